"""Tracker-store failures fail the turn instead of forking the conversation.

Rasa wraps every tracker store in ``FailSafeTrackerStore``: when the database
is unreachable it logs, answers ``retrieve`` with "no such conversation" and
saves into a per-process memory store. The customer's conversation silently
restarts from nothing on that worker, and what it says there never reaches
the database - our reliability run lost 125 answered messages in a 5-second
PostgreSQL outage that way. Here the same wrapper re-raises instead: the turn
fails before anything is answered, the REST channel returns 503, and the
client's resend (same ``message_id``) is processed once the database is back.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable

from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_guard import RASA_3_6, Patch

logger = logging.getLogger(__name__)


class TrackerStoreUnavailable(RuntimeError):
    """The tracker store could not be read or written; nothing was answered."""


def _fail(store: FailSafeTrackerStore, operation: str, error: Exception) -> TrackerStoreUnavailable:
    logger.error("tracker store %s failed (%s: %s); the turn is refused rather than run without its history",
                 operation, type(error).__name__, error)  # fmt: skip
    return TrackerStoreUnavailable(f"{type(store._tracker_store).__name__}.{operation} failed")


async def retrieve(self: FailSafeTrackerStore, sender_id: str) -> DialogueStateTracker | None:
    try:
        return await self._tracker_store.retrieve(sender_id)
    except Exception as error:
        raise _fail(self, "retrieve", error) from error


async def retrieve_full_tracker(self: FailSafeTrackerStore, sender_id: str) -> DialogueStateTracker | None:
    try:
        return await self._tracker_store.retrieve_full_tracker(sender_id)
    except Exception as error:
        raise _fail(self, "retrieve_full_tracker", error) from error


async def save(self: FailSafeTrackerStore, tracker: DialogueStateTracker) -> None:
    try:
        await self._tracker_store.save(tracker)
    except Exception as error:
        raise _fail(self, "save", error) from error


async def keys(self: FailSafeTrackerStore) -> Iterable[Any]:
    try:
        return await self._tracker_store.keys()
    except Exception as error:
        raise _fail(self, "keys", error) from error


def apply() -> None:
    FailSafeTrackerStore.retrieve = retrieve
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker
    FailSafeTrackerStore.save = save
    FailSafeTrackerStore.keys = keys


PATCH = Patch(
    name="durable_trackers",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.tracker_store:FailSafeTrackerStore.retrieve": "35d77318b0cc7977",
        "rasa.core.tracker_store:FailSafeTrackerStore.retrieve_full_tracker": "5272a6be0919b511",
        "rasa.core.tracker_store:FailSafeTrackerStore.save": "8426dc08f58d7110",
        "rasa.core.tracker_store:FailSafeTrackerStore.keys": "2383a042130a7ce5",
    },
    apply=apply,
)
