"""Rasa's SQL tracker store, made to write before it streams, to reuse the tracker it saved, and to pool SQLite.

Named in both endpoints files as ``type: bot.stores.sql_tracker_store.TriageSQLTrackerStore`` with the same
settings as Rasa's ``SQL`` store; Rasa constructs it through its declared seam for tracker stores given by module
path. What each part changes, measured (docs/performance.md, docs/rasa-upgrade.md):

- **Write, then stream.** Rasa 3.6's ``SQLTrackerStore.save`` publishes to the event broker *before* it writes,
  and finds what to publish by loading the whole stored conversation again and diffing it. A turn whose write
  fails still reaches RabbitMQ (consumers see a turn that never happened, then again on the client's resend),
  and every production turn pays one extra full read. Here the events not yet stored are written and committed
  in one multi-row INSERT, and exactly those are published after.
- **Which events are new.** Rasa counts the stored events with a query on every save. A tracker this store
  read already knows (it was read under the conversation's lock, held until the save), so the count is noted
  on the tracker at read time; for others (a new conversation) the same count runs as one plain query.
- **The saved tracker is reused** while the database has nothing newer (``tracker_cache.py``): 18 % of CPU.
  When a turn starts a new session, what is cached is what Rasa would read back: the events from the session's
  start on (by timestamp, as Rasa's query selects them), a handful instead of the whole conversation.
- **SQLite is pooled** with write-ahead logging (``sqlite_pool.py``): 16 % of CPU on the embedded profile.
"""

from __future__ import annotations

import itertools
import json
import logging
from typing import Any, Dict, List

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.rasa_guard import RASA_3_6, Patch, require_unchanged
from bot.stores.plain_sql import driver_sql, events_table, pooled_scalar
from bot.stores.sqlite_pool import pooled_sqlite
from bot.stores.tracker_cache import TrackerCache, capacity_from_env, latest_session_start

logger = logging.getLogger(__name__)

# On a tracker: how many of its events the database holds. It travels with the tracker object from this store's
# read, through the turn, to its save (trackers are not hashable, so it cannot be kept beside them).
STORED_EVENTS = "_triage_stored_events"


def _row(sender_id: str, event: Event) -> Dict[str, Any]:
    data: Dict[str, Any] = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": (data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def stored_count(tracker: DialogueStateTracker) -> int | None:
    count = tracker.__dict__.get(STORED_EVENTS)
    return count if isinstance(count, int) else None


def _note_stored(tracker: DialogueStateTracker, count: int) -> None:
    if tracker.events.maxlen is None:  # a tracker cut to its last n events cannot be counted against the store
        tracker.__dict__[STORED_EVENTS] = count


class TrackerStoreMisconfigured(RuntimeError):
    """The tracker store could not be constructed; Rasa must not start without it."""


class TriageSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        require_unchanged(RASA_OVERRIDES)
        try:
            super().__init__(*args, **kwargs)
        except (AttributeError, ImportError) as error:
            # Rasa reads these two as "no such store class" and runs on an in-memory store, silently.
            raise TrackerStoreMisconfigured(f"{type(error).__name__}: {error}") from error
        engine: sa.engine.Engine = vars(self)["engine"]  # Rasa's, set untyped in its __init__
        pooled = pooled_sqlite(engine)
        if pooled is not engine:
            self.engine = pooled
            self.sessionmaker = sa.orm.session.sessionmaker(bind=pooled)
        capacity = capacity_from_env()
        self.tracker_cache: TrackerCache | None = TrackerCache(capacity) if capacity else None

    # --- reading ---------------------------------------------------------------------------------------------

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        if self.tracker_cache is None:
            return await self._read(sender_id)
        newest = self.newest_event_id(sender_id)
        if newest is None:
            return None  # no event stored: Rasa's read would find nothing either (a new conversation)
        tracker = self.tracker_cache.take(sender_id, newest) if sender_id in self.tracker_cache else None
        return tracker if tracker is not None else await self._read(sender_id)

    async def _read(self, sender_id: str) -> DialogueStateTracker | None:
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            _note_stored(tracker, len(tracker.events))
        return tracker

    async def current(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation as stored, for a read-only look under its lock; the next turn still gets it cheaply.
        Errors are Rasa's, as from ``retrieve``."""
        if self.tracker_cache is None:
            return await self._read(sender_id)
        newest = self.newest_event_id(sender_id)
        tracker = self.tracker_cache.peek(sender_id, newest)
        if tracker is None:
            tracker = await self._read(sender_id)
            if tracker is not None and newest is not None and stored_count(tracker) == len(tracker.events):
                self.tracker_cache.put(sender_id, tracker, newest)  # read under the lock: nothing newer meanwhile
        return tracker

    def newest_event_id(self, sender_id: str) -> int | None:
        sql = f"SELECT max(id) FROM {events_table(self)} WHERE sender_id = :sender_id"
        return pooled_scalar(self.engine, sql, {"sender_id": sender_id})

    def forget_cached(self, sender_id: str) -> None:
        """Drop the cached tracker (after its stored events were changed in place)."""
        if self.tracker_cache is not None:
            self.tracker_cache.forget(sender_id)

    # --- writing ---------------------------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        stored_before = stored_count(tracker)
        self.forget_cached(tracker.sender_id)  # until this save has committed
        await self._store_then_stream(tracker)
        if self.tracker_cache is None or not self.domain or stored_before is None or tracker.events.maxlen is not None:
            return  # Rasa would read nothing back without a domain; a tracker read elsewhere may not match a read
        start = latest_session_start(itertools.islice(tracker.events, stored_before, None))
        newest = self.newest_event_id(tracker.sender_id)
        if newest is not None:
            self.tracker_cache.put(tracker.sender_id, self._as_read_back(tracker, start) if start else tracker,
                                   newest)  # fmt: skip

    async def _store_then_stream(self, tracker: DialogueStateTracker) -> None:
        stored = stored_count(tracker)
        with self.session_scope() as session:
            if stored is None or stored > len(tracker.events):
                stored = self._stored_in_session(session, tracker.sender_id)
            new_events: List[Event] = list(itertools.islice(tracker.events, stored, None))
            if new_events:  # one multi-row INSERT, without the ORM's per-object bookkeeping
                session.execute(self.SQLEvent.__table__.insert(), [_row(tracker.sender_id, e) for e in new_events])
            session.commit()
        _note_stored(tracker, len(tracker.events))
        if self.event_broker is not None and new_events:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

    def _stored_in_session(self, session: Any, sender_id: str) -> int:
        """How many events Rasa's ``_additional_events`` finds stored: those since the latest session start (all
        of them if none started), counted in one plain query instead of the ORM's."""
        table = events_table(self)
        sql = (
            f"SELECT count(*) FROM {table} AS e, (SELECT max(timestamp) AS start FROM {table} "
            "WHERE sender_id = :sender_id AND type_name = :session_started) AS s "
            "WHERE e.sender_id = :sender_id AND (s.start IS NULL OR e.timestamp >= s.start)"
        )
        parameters = {"sender_id": sender_id, "session_started": SessionStarted.type_name}
        return int(driver_sql(session.connection(), sql, parameters))

    def _as_read_back(self, tracker: DialogueStateTracker, start: SessionStarted) -> DialogueStateTracker:
        """The tracker ``retrieve`` would build: the events stamped at or after the session start."""
        events = [event for event in tracker.events if event.timestamp >= start.timestamp]
        fresh = DialogueStateTracker.from_events(tracker.sender_id, events, self.domain.slots)
        _note_stored(fresh, len(fresh.events))
        return fresh


def configured_store(store: Any) -> Any:
    """The store Rasa was configured with, inside the fail-safe wrapper Rasa puts around every one."""
    return getattr(store, "_tracker_store", store)


async def current_tracker(store: Any, sender_id: str) -> DialogueStateTracker | None:
    """The conversation as stored, through ``store`` (Rasa's wrapper around ours, or any other store)."""
    inner = configured_store(store)
    if isinstance(inner, TriageSQLTrackerStore) and inner.tracker_cache is not None:
        try:
            return await inner.current(sender_id)
        except Exception as error:  # the wrapper's read below meets the same failure and reports it as any other
            logger.warning("reading conversation %s through the tracker cache failed (%s: %s); reading it directly",
                           sender_id, type(error).__name__, error)  # fmt: skip
    return await store.retrieve(sender_id)


# What the subclass overrides, in the Rasa it was written against (checked at start-up: bot/rasa_guard.py).
RASA_OVERRIDES = Patch(
    name="TriageSQLTrackerStore",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.tracker_store:SQLTrackerStore.__init__": "64e704d159dfa35b",
        "rasa.core.tracker_store:SQLTrackerStore.retrieve": "0d99846daced97d3",
        "rasa.core.tracker_store:SQLTrackerStore.save": "57165e46eab3de08",
    },
    kind="subclass",
)
