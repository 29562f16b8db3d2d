"""Does each test notice when the behaviour it names is gone? (``make mutations``; ``make test`` runs it too)

Two kinds of change are made, one at a time, each in a fresh pytest process running only the tests that cover
it; those tests must fail:

- every patch in ``bot/rasa_patches`` disabled (``RASA_PATCHES_DISABLED=name``): its module
  ``tests/rasa_patches/test_<name>.py`` must fail;
- each part of the project's Rasa subclasses taken back to Rasa's own (``bot/tools/seam_mutations.py``): the
  subclass's tests must fail.

A change its tests do not notice is not tested, whatever they say. Exit status 1 when any is not caught.
``--only name,name`` checks a few; ``--baseline`` first checks that every target passes unchanged (``make test``
has just run them all, so it skips that). ``--quick`` (what ``make test`` runs, to stay within its time) still
disables every patch in turn, but makes all the changes to one subclass at once.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.tools.seam_mutations import MUTATIONS, VARIABLE  # noqa: E402

STORE_TESTS = "tests/stores/test_sql_tracker_store.py"
BROKER_TESTS = "tests/production/test_broker.py"
POLICY_TESTS = "tests/policies/test_indexed_rule_policy.py"
SEAM_TESTS: Dict[str, str] = {
    "store_reads_as_rasa": STORE_TESTS,
    "store_saves_as_rasa": STORE_TESTS,
    "store_sqlite_unpooled": STORE_TESTS,
    "store_streams_before_writing": STORE_TESTS,
    "store_without_read_only_look": STORE_TESTS,
    "broker_exchange_as_rasa": BROKER_TESTS,
    "broker_publishes_as_rasa": BROKER_TESTS,
    "broker_reconnects_as_rasa": BROKER_TESTS,
    "broker_closes_as_rasa": BROKER_TESTS,
    "broker_built_as_rasa": BROKER_TESTS,
    "policy_looks_up_as_rasa": POLICY_TESTS,
}


@dataclass(frozen=True)
class Mutation:
    name: str
    tests: str
    env: Dict[str, str] = field(default_factory=dict)
    plugin: bool = False


def patch_mutations() -> List[Mutation]:
    from bot.rasa_guard import DISABLED_VARIABLE

    names = [path.stem for path in sorted((ROOT / "bot" / "rasa_patches").glob("*.py"))
             if path.stem != "__init__"]  # fmt: skip
    return [Mutation(name, f"tests/rasa_patches/test_{name}.py", {DISABLED_VARIABLE: name}) for name in names]


def seam_mutations(quick: bool = False) -> List[Mutation]:
    assert set(SEAM_TESTS) == set(MUTATIONS), "every seam mutation needs the tests that must catch it"
    if not quick:
        return [Mutation(name, tests, {VARIABLE: name}, plugin=True) for name, tests in SEAM_TESTS.items()]
    by_tests: Dict[str, List[str]] = {}
    for name, tests in SEAM_TESTS.items():
        by_tests.setdefault(tests, []).append(name)
    return [Mutation("+".join(names), tests, {VARIABLE: ",".join(names)}, plugin=True)
            for tests, names in by_tests.items()]  # fmt: skip


def passes(mutation: Mutation, mutated: bool) -> bool:
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", mutation.tests]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if mutated:
        env.update(mutation.env)
        if mutation.plugin:
            command[3:3] = ["-p", "bot.tools.seam_mutations"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    return done.returncode == 0


def check(mutation: Mutation, baseline: bool) -> str:
    started = time.monotonic()
    if not (ROOT / mutation.tests).exists():
        verdict = f"NOT CAUGHT: no tests at {mutation.tests}"
    elif baseline and not passes(mutation, mutated=False):
        verdict = f"NOT CHECKED: {mutation.tests} fails without the change"
    elif passes(mutation, mutated=True):
        verdict = f"NOT CAUGHT: {mutation.tests} passes with it"
    else:
        verdict = f"caught by {mutation.tests}"
    return f"{mutation.name[:60]:28s} {verdict} ({time.monotonic() - started:.0f} s)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated mutation names")
    parser.add_argument("--baseline", action="store_true", help="check each target passes unchanged first")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="all changes to one subclass at once")
    args = parser.parse_args(argv)
    mutations = patch_mutations() + seam_mutations(args.quick)
    only = {name for name in args.only.split(",") if name}
    unknown = only - {m.name for m in mutations}
    if unknown:
        parser.error(f"no such mutation: {', '.join(sorted(unknown))}")
    chosen = [m for m in mutations if not only or m.name in only]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        lines = list(pool.map(lambda m: check(m, args.baseline), chosen))
    for line in lines:
        print(line, flush=True)
    missed = [line for line in lines if "NOT " in line]
    print(f"\n{len(chosen) - len(missed)} of {len(chosen)} changes caught by their tests "
          f"({time.monotonic() - started:.0f} s)")  # fmt: skip
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
