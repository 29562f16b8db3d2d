"""The tracker cache hands out exactly what a read of the database would give, or nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.rasa_patches import apply_all, tracker_cache
from bot.rasa_patches.tracker_cache import TrackerCache, cache_of


def tracker(sender_id: str, *texts: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender_id, [UserUttered(text) for text in texts])


def test_a_cached_tracker_is_handed_out_once_and_only_while_current():
    cache = TrackerCache(capacity=2)
    first = tracker("a", "hi")
    cache.put("a", first, newest_event_id=7)
    assert cache.peek("a", 7) is first and "a" in cache  # peeking leaves it cached
    assert cache.take("a", 8) is None and "a" not in cache  # the database has something newer
    cache.put("a", first, newest_event_id=7)
    assert cache.take("a", 7) is first and cache.take("a", 7) is None  # taken means gone
    cache.put("a", first, newest_event_id=7)
    first.update(UserUttered("changed after the save"))
    assert cache.take("a", 7) is None  # changed since it was saved


def test_the_least_recently_saved_conversation_leaves_first():
    cache = TrackerCache(capacity=2)
    for number, name in enumerate("abc"):
        cache.put(name, tracker(name, "hi"), newest_event_id=number)
    assert "a" not in cache and "b" in cache and "c" in cache and len(cache) == 2


def test_the_size_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRACKER_CACHE_SIZE", "many")
    with pytest.raises(ValueError, match="TRACKER_CACHE_SIZE"):
        tracker_cache.capacity_from_env()
    monkeypatch.setenv("TRACKER_CACHE_SIZE", "0")
    assert cache_of(SQLTrackerStore(None, dialect="sqlite", db="")) is None


@pytest.fixture(scope="module")
def agent(trained_model: Path) -> Agent:
    apply_all()
    return Agent.load(str(trained_model))


def store_for(agent: Agent, database: Path) -> SQLTrackerStore:
    return SQLTrackerStore(agent.domain, dialect="sqlite", db=str(database))


def say(agent: Agent, store: SQLTrackerStore, sender_id: str, text: str) -> None:
    agent.tracker_store = agent.processor.tracker_store = store  # type: ignore[union-attr]
    asyncio.run(agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender_id)))


def as_json(tracker: DialogueStateTracker) -> dict:
    """The tracker as stored and as actions see it (in memory, a parse keeps tuples where JSON has lists)."""
    return json.loads(json.dumps(tracker.current_state(EventVerbosity.ALL)))


def read_back(store: SQLTrackerStore, sender_id: str) -> dict:
    """What Rasa's own read of the database gives, bypassing the cache."""
    return as_json(asyncio.run(tracker_cache._inner_retrieve(store, sender_id)))


def test_turns_reuse_the_saved_tracker_which_matches_a_read_of_the_database(agent, tmp_path):
    store = store_for(agent, tmp_path / "trackers.db")
    cache = cache_of(store)
    say(agent, store, "c1", "hi")  # the first turn starts a session: what is cached is rebuilt from its start
    cached = cache.peek("c1", tracker_cache.newest_event_id(store, "c1"))
    assert cached is not None and as_json(cached) == read_back(store, "c1")
    hits = cache.hits
    say(agent, store, "c1", "where is my order")
    assert cache.hits == hits + 1
    again = asyncio.run(store.retrieve("c1"))
    assert as_json(again) == read_back(store, "c1")
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["hi", "where is my order"]


def test_a_write_from_another_process_is_seen_at_once(agent, tmp_path):
    ours, theirs = store_for(agent, tmp_path / "t.db"), store_for(agent, tmp_path / "t.db")
    say(agent, ours, "c2", "hi")
    other = asyncio.run(theirs.retrieve("c2"))
    other.update(SlotSet("order_number", "10023"))
    asyncio.run(theirs.save(other))
    seen = asyncio.run(ours.retrieve("c2"))
    assert seen.get_slot("order_number") == "10023"


def test_a_turn_that_was_not_saved_leaves_nothing_behind(agent, tmp_path):
    store = store_for(agent, tmp_path / "t.db")
    say(agent, store, "c3", "hi")
    taken = asyncio.run(store.retrieve("c3"))
    taken.update(ActionExecuted("utter_greet"))  # the turn fails before its save
    again = asyncio.run(store.retrieve("c3"))
    assert again is not taken and len(again.events) == len(taken.events) - 1


def test_the_plain_count_of_stored_events_matches_rasa_s_query(tmp_path):
    from rasa.shared.core.events import SessionStarted

    from bot.rasa_patches.store_then_stream import stored_in_session

    store = SQLTrackerStore(None, dialect="sqlite", db=str(tmp_path / "count.db"))
    sessions = {"none": [UserUttered("a"), UserUttered("b")],
                "two": [UserUttered("old"), SessionStarted(), UserUttered("x"), SessionStarted(), UserUttered("y")],
                "empty": []}  # fmt: skip
    for sender_id, events in sessions.items():
        if events:
            asyncio.run(store.save(DialogueStateTracker.from_events(sender_id, events)))
    with store.session_scope() as session:
        for sender_id in sessions:
            rasa_count = store._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()
            assert stored_in_session(store, session, sender_id) == rasa_count
    assert rasa_count == 0 and stored_in_session(store, store.sessionmaker(), "two") == 2
