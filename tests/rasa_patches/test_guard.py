"""The start-up check: a patch over Rasa code it was not written for stops the Rasa process, by name, unless
it is disabled. Run in fresh interpreters: this one has the patches applied already."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from bot.launcher import ROOT
from bot.rasa_patches import PATCHES
from bot.rasa_patches.guard import ABSENT, RASA_3_6, Patch, enabled, fingerprint, problems


def python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env}, timeout=300)  # fmt: skip


def test_every_declared_fingerprint_matches_the_installed_rasa():
    done = subprocess.run([sys.executable, "-m", "bot.rasa_patches.guard"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout
    assert done.stdout.count(": ok") == len(PATCHES)


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
    names = [p.name for p in enabled(PATCHES, {"store_then_stream"})]
    assert "store_then_stream" not in names and "tracker_cache" not in names and "sqlite_wal" in names
    assert enabled(PATCHES, {"all"}) == []
    assert [p.name for p in enabled(PATCHES, set())] == [p.name for p in PATCHES]


def test_rasas_command_line_runs_with_the_patches_applied():
    """``python -m bot.rasa_cli`` (how test stories run) applies every patch, then hands over to Rasa's CLI."""
    probe = """
        import sys
        from unittest import mock
        import rasa.__main__
        from bot.rasa_patches import PATCHES
        from bot.rasa_patches.guard import CHANGED
        import bot.rasa_cli
        with mock.patch.object(rasa.__main__, "main", lambda: print("rasa main with", len(CHANGED), "patches")):
            bot.rasa_cli.main()
        assert len(CHANGED) == len(PATCHES)
    """
    done = python(probe)
    assert done.returncode == 0, done.stderr
    assert f"rasa main with {len(PATCHES)} patches" in done.stdout
