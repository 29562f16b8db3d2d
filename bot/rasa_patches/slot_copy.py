"""Copying a slot without ``copy.copy``'s generic machinery.

Every tracker Rasa creates copies each of the domain's slots
(``DialogueStateTracker.__init__``), and Rasa creates trackers all the time:
``tracker.copy()`` before every action it runs, and one per past turn when the
policies featurise the conversation. In a profile of the Rasa process at an
offered 50 messages/s, ``init_copy`` took 8.6 % of its CPU, most of it in
``copy.copy`` going through ``__reduce_ex__`` for each of the 21 slots.

``Slot.__copy__`` here makes the same shallow copy directly: a new object of
the slot's class with the same attributes (what ``copy.copy`` does for a
plain object), in a quarter of the time. ``init_copy`` went from 79 to 42 µs.
"""

from __future__ import annotations

from typing import TypeVar

from rasa.shared.core.slots import Slot

from bot.rasa_guard import RASA_3_6, Patch

S = TypeVar("S", bound=Slot)


def shallow_copy(slot: S) -> S:
    duplicate = object.__new__(type(slot))
    duplicate.__dict__.update(slot.__dict__)
    return duplicate


def apply() -> None:
    Slot.__copy__ = shallow_copy


PATCH = Patch(
    name="slot_copy",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.shared.core.slots:Slot.__copy__": "absent",
    },
    apply=apply,
)
