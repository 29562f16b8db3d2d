"""The SQL tracker store writes a turn's events first and streams them after.

Rasa 3.6's ``SQLTrackerStore.save`` publishes to the event broker *before* it
writes to the database, and finds what to publish by loading the whole stored
conversation again and diffing it with the new one. So a turn whose database
write fails still reaches RabbitMQ (consumers see a turn that never happened,
then see it again when the client resends), and every turn in the production
profile pays for one extra full tracker read. Here the events not yet stored
are written and committed, and exactly those are then published: one read
fewer per turn, and the broker carries only what the tracker holds.

Which events are new: Rasa counts the stored events with a query on every
save. A tracker this store just read already knows (it was read under the
conversation's lock, which is held until the save), so the count is noted at
read time; for trackers that were not read here (a new conversation) the same
count runs as one plain query.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Dict, List

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.rasa_patches.guard import RASA_3_6, Patch
from bot.rasa_patches.plain_sql import driver_sql, events_table

_rasa_retrieve = SQLTrackerStore.retrieve
STORED_EVENTS = "_triage_stored_events"  # on a tracker: how many of its events the database holds


async def retrieve_noting_count(self: SQLTrackerStore, sender_id: str) -> DialogueStateTracker | None:
    tracker = await _rasa_retrieve(self, sender_id)
    if tracker is not None and tracker.events.maxlen is None:
        tracker.__dict__[STORED_EVENTS] = len(tracker.events)
    return tracker


def stored_in_session(store: SQLTrackerStore, session: Any, sender_id: str) -> int:
    """How many events Rasa's ``_additional_events`` finds stored: those since the latest session start (all
    of them if none started), counted in one plain query instead of the ORM's."""
    sql = (
        f"SELECT count(*) FROM {events_table(store)} AS e, (SELECT max(timestamp) AS start FROM "
        f"{events_table(store)} WHERE sender_id = :sender_id AND type_name = :session_started) AS s "
        "WHERE e.sender_id = :sender_id AND (s.start IS NULL OR e.timestamp >= s.start)"
    )
    return int(
        driver_sql(session.connection(), sql, {"sender_id": sender_id, "session_started": SessionStarted.type_name})
    )


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


async def store_then_stream(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    stored = tracker.__dict__.get(STORED_EVENTS)
    with self.session_scope() as session:
        if stored is None or stored > len(tracker.events):
            stored = stored_in_session(self, session, tracker.sender_id)
        new_events: List[Event] = list(itertools.islice(tracker.events, stored, None))
        if new_events:  # one multi-row INSERT, without the ORM's per-object bookkeeping
            session.execute(self.SQLEvent.__table__.insert(), [_row(tracker.sender_id, e) for e in new_events])
        session.commit()
    if tracker.events.maxlen is None:
        tracker.__dict__[STORED_EVENTS] = len(tracker.events)
    if self.event_broker is not None and new_events:
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)


def apply() -> None:
    SQLTrackerStore.retrieve = retrieve_noting_count
    SQLTrackerStore.save = store_then_stream


PATCH = Patch(
    name="store_then_stream",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.tracker_store:SQLTrackerStore.retrieve": "0d99846daced97d3",
        "rasa.core.tracker_store:SQLTrackerStore.save": "57165e46eab3de08",
    },
    apply=apply,
)
