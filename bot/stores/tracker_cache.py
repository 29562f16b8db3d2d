"""The trackers a process saved last, each handed out again while the database has nothing newer.

Rasa reads a conversation's events from SQL and replays every one of them into a new tracker at the start of
each turn: 18 % of the Rasa process's CPU in our profile, growing with the conversation. The tracker a turn
saved is exactly what the next turn would rebuild, so ``TriageSQLTrackerStore`` keeps the trackers it saved
(least recently used first out) and hands one out again when the newest stored event of that conversation
still has the id noted at the save. That one indexed query keeps the cache exact with several Rasa processes
(another worker's turn adds a newer event) and with anything else that writes to the events table.

A tracker is handed out at most once (taken, not shared) and returns only when its turn is saved, so a turn
that fails mid-way leaves nothing behind and the next one reads the database.

``TRACKER_CACHE_SIZE`` sets how many conversations each process keeps (default 2000; 0 turns the cache off).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterable, Mapping

from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

DEFAULT_CAPACITY = 2000


@dataclass
class _Entry:
    tracker: DialogueStateTracker
    newest_event_id: int
    length: int  # len(tracker.events) at the save: a tracker changed since is not handed out


class TrackerCache:
    """Saved trackers by conversation, each valid while its newest stored event is unchanged."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __contains__(self, sender_id: str) -> bool:
        return sender_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def _current(self, sender_id: str, newest_event_id: int | None) -> _Entry | None:
        entry = self._entries.get(sender_id)
        if entry is None:
            return None
        if entry.newest_event_id != newest_event_id or len(entry.tracker.events) != entry.length:
            del self._entries[sender_id]
            return None
        return entry

    def take(self, sender_id: str, newest_event_id: int | None) -> DialogueStateTracker | None:
        """The cached tracker if the database's newest event id still matches; it leaves the cache."""
        entry = self._current(sender_id, newest_event_id)
        if entry is None:
            self.misses += 1
            return None
        del self._entries[sender_id]
        self.hits += 1
        return entry.tracker

    def peek(self, sender_id: str, newest_event_id: int | None) -> DialogueStateTracker | None:
        """Like ``take``, but the tracker stays cached: for read-only checks under the conversation lock."""
        entry = self._current(sender_id, newest_event_id)
        return entry.tracker if entry else None

    def put(self, sender_id: str, tracker: DialogueStateTracker, newest_event_id: int) -> None:
        self._entries[sender_id] = _Entry(tracker, newest_event_id, len(tracker.events))
        self._entries.move_to_end(sender_id)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        self._entries.pop(sender_id, None)


def latest_session_start(events: Iterable[Event]) -> SessionStarted | None:
    starts = [event for event in events if isinstance(event, SessionStarted)]
    return starts[-1] if starts else None


def capacity_from_env(environ: Mapping[str, str] = os.environ) -> int:
    raw = environ.get("TRACKER_CACHE_SIZE", str(DEFAULT_CAPACITY))
    try:
        return max(0, int(raw))
    except ValueError as error:
        raise ValueError(f"TRACKER_CACHE_SIZE must be a whole number of conversations, not {raw!r}") from error
