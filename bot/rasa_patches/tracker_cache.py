"""The SQL tracker store keeps the trackers it saved, and reuses one while it is current.

Rasa reads a conversation's events from SQL and replays every one of them
into a new tracker at the start of each turn: 18 % of the Rasa process's CPU
in our profile, growing with the conversation. The tracker a turn saved is
exactly what the next turn would rebuild, so each process keeps the trackers
it saved last (least recently used first out) and hands one out again when
the database agrees nothing happened since: the newest stored event of that
conversation still has the id noted at the save. That one indexed query keeps
the cache exact with several Rasa processes (another worker's turn adds a
newer event), and with anything else that writes to the events table. The
same query answers "no such conversation" for a new one without building
Rasa's full read.

A tracker is handed out at most once (taken, not shared) and returns to the
cache only when its turn is saved, so a turn that fails mid-way leaves nothing
behind and the next one reads the database. When a turn starts a new session,
what is cached is what Rasa would read back: the events from the session's
start on (by timestamp, as Rasa's query selects them), replayed into a new
tracker - a handful of events instead of the whole conversation.

``TRACKER_CACHE_SIZE`` sets how many conversations each process keeps
(default 2000; 0 turns the cache off).
"""

from __future__ import annotations

import itertools
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterable

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_patches.guard import RASA_3_6, Patch
from bot.rasa_patches.plain_sql import events_table, pooled_scalar
from bot.rasa_patches.store_then_stream import STORED_EVENTS

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


def as_read_back(store: SQLTrackerStore, tracker: DialogueStateTracker, start: SessionStarted) -> DialogueStateTracker:
    """The tracker ``store.retrieve`` would build: the events stamped at or after the session start."""
    events = [event for event in tracker.events if event.timestamp >= start.timestamp]
    fresh = DialogueStateTracker.from_events(tracker.sender_id, events, store.domain.slots)
    fresh.__dict__[STORED_EVENTS] = len(fresh.events)
    return fresh


def capacity_from_env() -> int:
    raw = os.environ.get("TRACKER_CACHE_SIZE", str(DEFAULT_CAPACITY))
    try:
        return max(0, int(raw))
    except ValueError as error:
        raise ValueError(f"TRACKER_CACHE_SIZE must be a whole number of conversations, not {raw!r}") from error


def cache_of(store: SQLTrackerStore) -> TrackerCache | None:
    if "_triage_tracker_cache" not in store.__dict__:
        capacity = capacity_from_env()
        store.__dict__["_triage_tracker_cache"] = TrackerCache(capacity) if capacity else None
    return store.__dict__["_triage_tracker_cache"]


def newest_event_id(store: SQLTrackerStore, sender_id: str) -> int | None:
    sql = f"SELECT max(id) FROM {events_table(store)} WHERE sender_id = :sender_id"
    return pooled_scalar(store.engine, sql, {"sender_id": sender_id})


_inner_retrieve: Any = None
_inner_save: Any = None


async def retrieve_through_cache(self: SQLTrackerStore, sender_id: str) -> DialogueStateTracker | None:
    cache = cache_of(self)
    if cache is None:
        return await _inner_retrieve(self, sender_id)
    newest = newest_event_id(self, sender_id)
    if newest is None:
        return None  # no event stored: Rasa's read would find nothing either (a new conversation)
    tracker = cache.take(sender_id, newest) if sender_id in cache else None
    return tracker if tracker is not None else await _inner_retrieve(self, sender_id)


async def save_into_cache(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    cache = cache_of(self)
    stored_before = tracker.__dict__.get(STORED_EVENTS)
    if cache is not None:
        cache.forget(tracker.sender_id)  # until this save has committed
    await _inner_save(self, tracker)
    if cache is None or not self.domain or stored_before is None or tracker.events.maxlen is not None:
        return  # Rasa would read nothing back without a domain; a tracker read elsewhere may not match a read
    start = latest_session_start(itertools.islice(tracker.events, stored_before, None))
    newest = newest_event_id(self, tracker.sender_id)
    if newest is not None:
        cache.put(tracker.sender_id, as_read_back(self, tracker, start) if start else tracker, newest)


async def current_tracker(store: Any, sender_id: str) -> DialogueStateTracker | None:
    """The conversation as stored, for a read-only look under its lock; the next turn still gets it cheaply.

    ``store`` is the processor's store (Rasa's fail-safe wrapper around ours, or any other store).
    """
    inner = getattr(store, "_tracker_store", store)
    cache = cache_of(inner) if isinstance(inner, SQLTrackerStore) else None
    if cache is None:
        return await store.retrieve(sender_id)
    newest = newest_event_id(inner, sender_id)
    tracker = cache.peek(sender_id, newest)
    if tracker is None:
        tracker = await store.retrieve(sender_id)
        if tracker is not None and newest is not None and tracker.__dict__.get(STORED_EVENTS) == len(tracker.events):
            cache.put(sender_id, tracker, newest)  # read under the lock: nothing newer can be stored meanwhile
    return tracker


def apply() -> None:
    global _inner_retrieve, _inner_save
    _inner_retrieve, _inner_save = SQLTrackerStore.retrieve, SQLTrackerStore.save
    SQLTrackerStore.retrieve = retrieve_through_cache
    SQLTrackerStore.save = save_into_cache


PATCH = Patch(
    name="tracker_cache",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.tracker_store:SQLTrackerStore.retrieve": "0d99846daced97d3",
        "rasa.core.tracker_store:SQLTrackerStore.save": "57165e46eab3de08",
    },
    requires=("store_then_stream",),
    apply=apply,
)
