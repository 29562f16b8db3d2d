"""``slot_copy``: ``copy.copy`` of a Rasa slot (every new tracker copies each slot) is the same shallow copy as
the generic one, made directly instead of through ``__reduce_ex__`` and ``copy._reconstruct``."""

from __future__ import annotations

import copy
from typing import Any, List

from rasa.shared.core import slots as rasa_slots
from rasa.shared.core.domain import Domain

from bot.launcher import ROOT


def sample_slots() -> List[rasa_slots.Slot]:
    domain = Domain.load(str(ROOT / "domain.yml"))
    samples = list(domain.slots) + [rasa_slots.ListSlot("tags", [], initial_value=["a"])]
    for slot in samples:
        slot.value = slot.initial_value if slot.initial_value is not None else "x"
    return samples


def generic_copy(slot: rasa_slots.Slot) -> Any:
    """What ``copy.copy`` makes of a slot without a ``__copy__``: Rasa's path."""
    return copy._reconstruct(slot, None, *slot.__reduce_ex__(4))  # type: ignore[attr-defined]


def test_a_copied_slot_equals_the_generic_copy_and_is_independent():
    for slot in sample_slots():
        duplicate = copy.copy(slot)
        generic = generic_copy(slot)
        assert (type(duplicate), vars(duplicate)) == (type(generic), vars(generic)) and duplicate is not slot
        duplicate.value = "changed"
        assert slot.value != "changed"


def test_copying_slots_skips_the_generic_reconstruction(monkeypatch):
    reconstructed: List[int] = []
    real = copy._reconstruct  # type: ignore[attr-defined]

    def counted(*args: Any, **kwargs: Any) -> Any:
        reconstructed.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(copy, "_reconstruct", counted)
    for slot in sample_slots():
        copy.copy(slot)
    assert reconstructed == []
