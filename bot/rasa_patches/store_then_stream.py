"""The SQL tracker store writes a turn's events first and streams them after.

Rasa 3.6's ``SQLTrackerStore.save`` publishes to the event broker *before* it
writes to the database, and finds what to publish by loading the whole stored
conversation again and diffing it with the new one. So a turn whose database
write fails still reaches RabbitMQ (consumers see a turn that never happened,
then see it again when the client resends), and every turn in the production
profile pays for one extra full tracker read. Here the events not yet stored
are written and committed, and exactly those are then published: one read
fewer per turn, and the broker carries only what the tracker holds.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY


def _row(store: SQLTrackerStore, sender_id: str, event: Event) -> Any:
    data: Dict[str, Any] = event.as_dict()
    return store.SQLEvent(
        sender_id=sender_id,
        type_name=event.type_name,
        timestamp=data.get("timestamp"),
        intent_name=(data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
        action_name=data.get("name"),
        data=json.dumps(data),
    )


async def store_then_stream(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    with self.session_scope() as session:
        new_events: List[Event] = list(self._additional_events(session, tracker))
        session.add_all([_row(self, tracker.sender_id, event) for event in new_events])
        session.commit()
    if self.event_broker is not None and new_events:
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)


def apply() -> None:
    SQLTrackerStore.save = store_then_stream  # type: ignore[method-assign]
