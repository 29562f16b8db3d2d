"""Every patch is in place in a Rasa process: applying it changed every target it declares. Fails for a patch
that is disabled, renamed away or whose ``apply`` no longer replaces what it says (``make patch-mutations``
checks that each one's tests go red without it)."""

from __future__ import annotations

import pytest

from bot.rasa_patches import PATCHES, apply_all
from bot.rasa_patches.guard import CHANGED, ORIGINALS, resolve


@pytest.mark.parametrize("patch", PATCHES, ids=[patch.name for patch in PATCHES])
def test_the_patch_replaced_everything_it_declares(patch):
    apply_all()
    assert CHANGED.get(patch.name) == list(patch.replaces), f"{patch.name} is not in place"
    for target in patch.replaces:
        assert resolve(target) is not ORIGINALS[target]


def test_with_the_patches_left_out_every_in_place_check_fails():
    """The quick form of ``make patch-mutations`` that ``make test`` runs: the checks above, in a process where
    no patch was applied, each go red."""
    import os
    import subprocess
    import sys

    from bot.launcher import ROOT

    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k",
                           "replaced_everything"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "RASA_PATCHES_DISABLED": "all"})  # fmt: skip
    assert done.returncode == 1
    assert f"{len(PATCHES)} failed" in done.stdout.splitlines()[-1]
