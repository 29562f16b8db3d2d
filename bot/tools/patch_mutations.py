"""Does each patch's test notice when the patch is gone? (``make patch-mutations``)

For every patch in ``bot/rasa_patches``, run the tests that cover it once with that patch disabled
(``RASA_PATCHES_DISABLED``): they must fail. A patch whose tests still pass without it is not tested, whatever
they say. Exit status 1 when any patch is not caught; ``--only name,name`` checks a few.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Sequence

ROOT = Path(__file__).resolve().parents[2]

# The tests that cover each patch (pytest node ids or files, with -k expressions after "::-k ").
COVERED_BY: Dict[str, Sequence[str]] = {
    "speedups": ["tests/test_rasa_patches.py::-k action_responses or shortcut_accepts"],
    "graph_runner": ["tests/test_rasa_patches.py::-k graphs_run_in_order"],
    "rule_lookup": ["tests/test_policy_speedups.py::-k shortcut_finds"],
    "state_memo": ["tests/test_policy_speedups.py::-k past_states or resumes_the_replay"],
    "gc_tuning": ["tests/rasa_patches/test_store_and_memory_patches.py::-k garbage_collection"],
    "idempotent_messages": ["tests/test_rasa_patches.py::-k client_id"],
    "durable_trackers": ["tests/test_rasa_patches.py::-k tracker_store_outage"],
    "store_then_stream": ["tests/test_tracker_cache.py::-k plain_count or reuse_the_saved"],
    "tracker_cache": ["tests/test_tracker_cache.py::-k reuse_the_saved or another_process or not_saved"],
    "sqlite_wal": ["tests/rasa_patches/test_store_and_memory_patches.py::-k write_ahead"],
    "broker_redelivery": ["tests/production/test_broker.py"],
    "durable_exchange": ["tests/production/test_broker.py"],
    "cut_off_confirmations": ["tests/test_rasa_patches.py::-k cut_off_confirmations"],
    "pooled_endpoints": ["tests/test_pooled_endpoints.py"],
    "failed_actions": ["tests/test_failed_actions.py"],
    "slot_copy": ["tests/test_rasa_patches.py::-k slot_copies"],
    "empty_domain": ["tests/test_rasa_patches.py::-k empty_domain"],
}


INSTALLED = "tests/rasa_patches/test_installed.py::-k {name}"  # test ids are the patch names


def targets_for(name: str) -> List[str]:
    """The patch's own tests, and the check that it is in place (which any removal fails)."""
    return [INSTALLED.format(name=name), *COVERED_BY[name]]


def pytest_command(target: str) -> List[str]:
    path, _, selection = target.partition("::-k ")
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", path]
    return command + (["-k", selection] if selection else [])


def failing(targets: Sequence[str], disabled: str) -> List[str]:
    """The targets whose tests fail with ``disabled`` patches left out (each in a fresh interpreter)."""
    env = {**os.environ, "RASA_PATCHES_DISABLED": disabled, "PYTHONPATH": str(ROOT)}
    found = []
    for target in targets:
        done = subprocess.run(pytest_command(target), cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            found.append(target)
    return found


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated patch names")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(COVERED_BY)
    untested, uncaught = [], []
    for name in names:
        targets = targets_for(name)
        if not COVERED_BY[name]:
            untested.append(name)  # only the in-place check covers it: no test of what it does
        started = time.monotonic()
        broken_anyway = failing(targets, "")
        red = failing(targets, name)
        if broken_anyway:
            verdict = "tests fail with the patch in place"
        elif len(red) == len(targets):
            verdict = "caught by every test"
        elif red:
            verdict = f"caught by {len(red)} of {len(targets)} (not by: {', '.join(sorted(set(targets) - set(red)))})"
        else:
            verdict = "NOT CAUGHT"
        if broken_anyway or not red:
            uncaught.append(name)
        print(f"{name:24s} {verdict} ({time.monotonic() - started:.0f} s)", flush=True)
    print(f"\n{len(names) - len(uncaught)} of {len(names)} patches caught when disabled; "
          f"not caught: {', '.join(uncaught) or 'none'}; no behaviour test, only the in-place check: "
          f"{', '.join(untested) or 'none'}")  # fmt: skip
    return 1 if uncaught else 0


if __name__ == "__main__":
    sys.exit(main())
