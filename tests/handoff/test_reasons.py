"""The hand-off reason codes: one list, the configuration checked against it, the docs in step with it."""

from __future__ import annotations

import os
import re

import pytest
import yaml

from bot.launcher import ROOT
from handoff.reasons import CODES
from handoff.settings import HandoffConfigError, parse_settings

CONFIG = yaml.safe_load((ROOT / "handoff" / "config.yml").read_text(encoding="utf-8"))


def test_the_shipped_configuration_names_only_known_reasons():
    settings = parse_settings(CONFIG, os.environ)
    assert set(settings.reason_priority) <= CODES and set(settings.reason_queues) <= CODES


@pytest.mark.parametrize("section", ["reason_queues", "priority"])
def test_a_misspelt_reason_stops_the_start_naming_it(section):
    raw = yaml.safe_load(yaml.safe_dump(CONFIG))
    if section == "reason_queues":
        raw["reason_queues"]["disputed_chrage"] = "billing"
    else:
        raw["priority"]["reasons"]["fustration"] = 3
    with pytest.raises(HandoffConfigError, match="disputed_chrage|fustration"):
        parse_settings(raw, os.environ)


def test_every_code_is_documented_for_designers_and_agents():
    table = (ROOT / "docs" / "dialogue.md").read_text(encoding="utf-8").split("## Hand-off reason codes")[1]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE))
    assert documented == CODES
