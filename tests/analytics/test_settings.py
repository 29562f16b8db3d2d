"""analytics/config.yml: the project's file agrees with the domain; a wrong value is refused with its key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from analytics.settings import AnalyticsConfigError, domain_problems, parse_settings, settings

DOMAIN = yaml.safe_load(Path("domain.yml").read_text(encoding="utf-8"))


def test_the_project_s_analytics_config_names_only_what_the_domain_has():
    assert domain_problems(settings(), DOMAIN) == []


def test_a_renamed_response_or_action_is_reported_by_name():
    config = parse_settings({"answers": ["utter_delivery_options", "utter_gone"], "fallback_actions": ["action_x"],
                             "out_of_scope_intent": "off_topic"})  # fmt: skip
    assert domain_problems(config, DOMAIN) == [
        "analytics/config.yml answers: 'utter_gone' is not a response in domain.yml",
        "analytics/config.yml fallback_actions: 'action_x' is not an action in domain.yml",
        "analytics/config.yml out_of_scope_intent: 'off_topic' is not an intent in domain.yml",
    ]


@pytest.mark.parametrize(
    "raw, key",
    [({"idle_minutes": 0}, "idle_minutes"), ({"low_confidence": 2}, "low_confidence"),
     ({"timezone": "Mars/Olympus"}, "timezone"), ({"costs": {"per_agent_minute": "lots"}}, "per_agent_minute")],
)  # fmt: skip
def test_a_bad_value_names_its_key(raw, key):
    with pytest.raises(AnalyticsConfigError, match=key):
        parse_settings(raw)
