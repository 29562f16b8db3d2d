"""Only the Rasa server process loads Rasa and the patches: the desk, the reference service, the action server
and the launcher import neither (a fresh interpreter each, so nothing here has loaded them first)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.launcher import ROOT

PROBE = """
import importlib, sys
importlib.import_module(sys.argv[1])
RASA_SIDE = ("rasa.", "bot.rasa_patches", "bot.channels", "bot.stores", "bot.brokers", "bot.policies")
loaded = sorted(m for m in sys.modules if m == "rasa" or m.startswith(RASA_SIDE))
print(",".join(loaded[:5]) or "none")
"""


@pytest.mark.parametrize("module", ["handoff.desk.__main__", "reference_service.__main__", "actions.server",
                                    "bot.launcher", "handoff.service"])  # fmt: skip
def test_a_process_that_is_not_rasa_does_not_import_rasa_or_its_patches(module):
    done = subprocess.run([sys.executable, "-c", PROBE, module], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"


@pytest.mark.parametrize("module", ["bot.stores.sql_tracker_store", "bot.brokers.durable_pika",
                                    "bot.policies.indexed_rule_policy", "bot.rasa_patches"])  # fmt: skip
def test_each_class_rasa_loads_by_module_path_imports_first_in_a_fresh_process(module):
    """``rasa train`` and ``rasa run`` import a policy or store before anything of the project's: no cycle
    through the patches may break that."""
    done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-1500:]
