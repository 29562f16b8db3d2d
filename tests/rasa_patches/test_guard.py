"""The start-up check: a patch over Rasa code it was not written for stops the Rasa process, by name, unless
it is disabled. Run in fresh interpreters: this one has the patches applied already."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from bot.launcher import ROOT
from bot.rasa_guard import ABSENT, RASA_3_6, Patch, enabled, fingerprint, problems
from bot.rasa_patches import PATCHES, SUBCLASSES


def python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env}, timeout=300)  # fmt: skip


def test_every_declared_fingerprint_matches_the_installed_rasa():
    done = subprocess.run([sys.executable, "-m", "bot.rasa_guard"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout
    assert done.stdout.count(": ok") == len(PATCHES) + len(SUBCLASSES) == len(PATCHES) + 3


def test_a_changed_rasa_function_stops_the_start_naming_the_patch_and_the_override_starts_without_it():
    changed_rasa = """
        from rasa.shared.core.domain import Domain
        def is_empty(self):  # as if a new Rasa rewrote it
            return False
        Domain.is_empty = is_empty
        from bot.rasa_patches import apply_all
        applied = apply_all()
        print("started with", len(applied), "patches;", "empty_domain" in applied, Domain.is_empty is is_empty)
    """
    refused = python(changed_rasa)
    assert refused.returncode != 0
    assert "empty_domain: rasa.shared.core.domain:Domain.is_empty has changed" in refused.stderr
    assert "RASA_PATCHES_DISABLED=empty_domain" in refused.stderr
    started = python(changed_rasa, RASA_PATCHES_DISABLED="empty_domain")
    assert started.returncode == 0, started.stderr
    assert f"started with {len(PATCHES) - 1} patches; False True" in started.stdout


def test_a_changed_rasa_method_a_subclass_overrides_stops_the_start_too():
    """The tracker store, broker and policy subclasses override Rasa methods as silently as a patch replaces them."""
    changed_rasa = """
        from rasa.core.tracker_store import SQLTrackerStore
        async def save(self, tracker):  # as if a new Rasa rewrote it
            return None
        SQLTrackerStore.save = save
        from bot.rasa_patches import apply_all
        apply_all()
    """
    refused = python(changed_rasa, RASA_PATCHES_DISABLED="all")
    assert refused.returncode != 0
    assert "TriageSQLTrackerStore: rasa.core.tracker_store:SQLTrackerStore.save has changed" in refused.stderr
    assert "name Rasa's own class instead of the subclass" in refused.stderr


def test_another_rasa_version_or_a_missing_target_is_reported():
    # A Rasa function no patch replaces, so its source here is Rasa's whatever this process has applied.
    target = "rasa.shared.core.domain:Domain.load"
    declared = Patch("example", RASA_3_6, {target: "0000000000000000"})
    assert problems(declared, "3.6.21") == [
        f"{target} has changed (source fingerprint {fingerprint(target)}, written against 0000000000000000)"
    ]
    assert problems(Patch("example", RASA_3_6, {target: fingerprint(target)}), "3.6.21") == []
    newer = problems(Patch("example", RASA_3_6, {}), "3.7.0")
    assert newer == ["written for Rasa >=3.6.21,<3.7, this is 3.7.0"]
    gone = Patch(
        "example", RASA_3_6, {"rasa.core.no_such_module:Thing.run": "x", "rasa.shared.core.slots:Slot.nope": "y"}
    )
    found = problems(gone, "3.6.21")
    assert "rasa.core.no_such_module:Thing.run cannot be found" in found[0]
    assert found[1] == "rasa.shared.core.slots:Slot.nope is no longer defined"
    added = Patch("example", RASA_3_6, {target: ABSENT})
    assert problems(added, "3.6.21") == [f"{target} is now defined"]


def test_disabling_a_patch_leaves_out_those_built_on_it():
    base, built_on, other = (
        Patch("base", RASA_3_6, {}),
        Patch("wrapper", RASA_3_6, {}, ("base",)),
        Patch("x", RASA_3_6, {}),
    )
    assert [p.name for p in enabled([base, built_on, other], {"base"})] == ["x"]
    assert [p.name for p in enabled([base, built_on, other], {"wrapper"})] == ["base", "x"]
    assert enabled(PATCHES, {"all"}) == []
    assert [p.name for p in enabled(PATCHES, set())] == [p.name for p in PATCHES]


def test_rasas_command_line_runs_with_the_patches_applied():
    """``python -m bot.rasa_cli`` (how test stories run) applies every patch, then hands over to Rasa's CLI."""
    probe = """
        import sys
        from unittest import mock
        import rasa.__main__
        from bot.rasa_patches import PATCHES, SUBCLASSES
        from bot.rasa_guard import CHANGED
        import bot.rasa_cli
        with mock.patch.object(rasa.__main__, "main", lambda: print("rasa main with", len(CHANGED), "patches")):
            bot.rasa_cli.main()
        assert len(CHANGED) == len(PATCHES)
    """
    done = python(probe)
    assert done.returncode == 0, done.stderr
    assert f"rasa main with {len(PATCHES)} patches" in done.stdout


def test_rasa_does_not_start_when_a_class_the_endpoints_name_does_not_load(tmp_path):
    """Rasa itself would warn and carry on with an in-memory tracker store, or without the event broker."""
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text('tracker_store:\n  type: "bot.stores.sql_tracker_store.TriageSQLTrackerstore"\n'
                         'event_broker:\n  type: "bot.no_such_module.Broker"\n', encoding="utf-8")  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "bot.rasa_cli", "run", "--endpoints", str(endpoints)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert done.returncode == 2
    assert "tracker_store: bot.stores.sql_tracker_store has no class TriageSQLTrackerstore" in done.stderr
    assert "event_broker: bot.no_such_module.Broker cannot be imported (ModuleNotFoundError" in done.stderr


def test_a_subclass_checks_rasa_when_rasa_builds_it_on_any_path():
    """``rasa train`` and plain ``rasa run`` build the store and policy without bot/rasa_cli.py."""
    changed_rasa = """
        from rasa.core.tracker_store import SQLTrackerStore
        async def save(self, tracker):  # as if a new Rasa rewrote it
            return None
        SQLTrackerStore.save = save
        from rasa.shared.core.domain import Domain
        from bot.stores.sql_tracker_store import TriageSQLTrackerStore
        TriageSQLTrackerStore(Domain.empty(), dialect="sqlite", db="")
    """
    refused = python(changed_rasa)
    assert refused.returncode != 0
    assert "TriageSQLTrackerStore: rasa.core.tracker_store:SQLTrackerStore.save has changed" in refused.stderr


@pytest.mark.parametrize(
    "arguments",
    [
        ["--endpoint", "{missing}"],
        ["--endpoints", "endpoints.yml", "--endpoints", "{missing}"],
        ["--endpoints={missing}"],
    ],
)
def test_rasa_does_not_start_on_an_endpoints_file_it_would_not_find(arguments, tmp_path):
    """Rasa logs "file not found" and runs with an in-memory tracker store and no broker."""
    missing = str(tmp_path / "nowhere.yml")
    command = [sys.executable, "-m", "bot.rasa_cli", "run", *[a.format(missing=missing) for a in arguments]]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert done.returncode == 2
    assert f"{missing} does not exist" in done.stderr
