"""Every patch is in place in a Rasa process: applying it changed every target it declares. Fails for a patch
that is disabled, renamed away or whose ``apply`` no longer replaces what it says (``make mutations`` checks
that each one's own tests go red without it)."""

from __future__ import annotations

import pytest

from bot.rasa_guard import CHANGED, ORIGINALS, resolve
from bot.rasa_patches import PATCHES, apply_all


@pytest.mark.parametrize("patch", PATCHES, ids=[patch.name for patch in PATCHES])
def test_the_patch_replaced_everything_it_declares(patch):
    apply_all()
    assert CHANGED.get(patch.name) == list(patch.replaces), f"{patch.name} is not in place"
    for target in patch.replaces:
        assert resolve(target) is not ORIGINALS[target]
