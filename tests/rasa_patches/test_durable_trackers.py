"""``durable_trackers``: when the tracker store cannot be reached, Rasa's ``FailSafeTrackerStore`` (the wrapper
Rasa puts around every store) fails the turn instead of answering "no such conversation" and saving the turn
in memory, where the customer's conversation silently restarts and never reaches the database."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import UserUttered

from bot.rasa_patches.idempotent_messages import already_received


def test_a_tracker_store_outage_fails_the_turn_instead_of_forgetting_the_conversation(tmp_path):
    """Rasa's wrapper would answer "no such conversation" and keep the turn in memory."""
    import asyncio

    from rasa.core.tracker_store import FailSafeTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_patches.durable_trackers import TrackerStoreUnavailable
    from bot.stores.sql_tracker_store import TriageSQLTrackerStore

    database = tmp_path / "trackers.db"
    store = FailSafeTrackerStore(TriageSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(database)))
    tracker = DialogueStateTracker.from_events("c1", [UserUttered("hi", message_id="m-1")])
    asyncio.run(store.save(tracker))
    assert already_received(asyncio.run(store.retrieve("c1")).events, "m-1")

    # The volume goes away: the file is moved aside and its path is now a folder, so no connection can open it.
    store._tracker_store.engine.dispose()
    aside = tmp_path / "aside.db"
    database.rename(aside)
    database.mkdir()
    try:
        tracker.update(UserUttered("where is my order", message_id="m-2"))
        with pytest.raises(TrackerStoreUnavailable):
            asyncio.run(store.save(tracker))
        with pytest.raises(TrackerStoreUnavailable):
            asyncio.run(store.retrieve("c1"))
    finally:
        database.rmdir()
        aside.rename(database)
        store._tracker_store.engine.dispose()
    stored = asyncio.run(store.retrieve("c1"))
    assert [e.message_id for e in stored.events if isinstance(e, UserUttered)] == ["m-1"]
    asyncio.run(store.save(tracker))  # the resend, once the database is back, stores the turn once
    assert [e.message_id for e in asyncio.run(store.retrieve("c1")).events if isinstance(e, UserUttered)] == [
        "m-1",
        "m-2",
    ]
