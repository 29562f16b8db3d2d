"""``TriageSQLTrackerStore``, the tracker store both endpoints files name: what it reads and writes is what
Rasa's ``SQLTrackerStore`` reads and writes on the same database, while it writes before it streams, reuses the
tracker a turn saved and keeps SQLite connections pooled in write-ahead logging."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import List

import pytest
import sqlalchemy.exc
import yaml
from rasa.core.agent import Agent
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import read_endpoint_config
from sqlalchemy.pool import NullPool

from bot.launcher import ROOT
from bot.rasa_guard import require_unchanged
from bot.stores.sql_tracker_store import (
    RASA_OVERRIDES,
    TrackerStoreMisconfigured,
    TriageSQLTrackerStore,
    current_tracker,
)
from bot.stores.tracker_cache import TrackerCache, capacity_from_env


def test_both_endpoints_files_name_this_store_and_rasa_builds_it_from_them(tmp_path):
    for name in ("endpoints.yml", "endpoints.production.yml"):
        config = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))
        assert config["tracker_store"]["type"] == "bot.stores.sql_tracker_store.TriageSQLTrackerStore", name
    endpoints = tmp_path / "endpoints.yml"
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    config["tracker_store"]["db"] = str(tmp_path / "trackers.db")
    endpoints.write_text(yaml.safe_dump(config), encoding="utf-8")
    store = TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"), Domain.empty())
    assert type(store) is TriageSQLTrackerStore


def test_a_store_that_cannot_be_built_stops_rasa_instead_of_falling_back_to_memory(tmp_path, monkeypatch):
    """Rasa takes an AttributeError from a custom store's constructor for "no such class" and carries on with an
    in-memory store: every conversation would be lost at the next restart."""

    def changed_internals(self: SQLTrackerStore, *args: object, **kwargs: object) -> None:
        raise AttributeError("'SQLTrackerStore' object has no attribute 'something_renamed'")

    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f'tracker_store:\n  type: "bot.stores.sql_tracker_store.TriageSQLTrackerStore"\n'
                         f'  dialect: sqlite\n  db: "{tmp_path / "t.db"}"\n', encoding="utf-8")  # fmt: skip
    require_unchanged(RASA_OVERRIDES)  # checked against the real Rasa before the test changes it
    monkeypatch.setattr(SQLTrackerStore, "__init__", changed_internals)
    with pytest.raises(TrackerStoreMisconfigured, match="something_renamed"):
        TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"), Domain.empty())


def test_sqlite_connections_are_pooled_in_write_ahead_logging(tmp_path):
    """Rasa's own opens a new connection for every session (SQLAlchemy's NullPool), three per turn."""
    database = tmp_path / "trackers.db"
    store = TriageSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(database))
    assert not isinstance(store.engine.pool, NullPool)
    asyncio.run(store.save(DialogueStateTracker.from_events("c1", [UserUttered("hi")])))
    with sqlite3.connect(database) as reader:  # the mode is the file's: any connection sees it
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.engine.dispose()


def test_what_it_writes_rasas_own_store_reads_back_and_the_reverse(tmp_path):
    database = str(tmp_path / "shared.db")
    ours, rasas = (TriageSQLTrackerStore(Domain.empty(), dialect="sqlite", db=database),
                   SQLTrackerStore(Domain.empty(), dialect="sqlite", db=database))  # fmt: skip
    events = [UserUttered("hi", {"name": "greet", "confidence": 0.9}, message_id="m-1"), ActionExecuted("utter_greet"),
              SlotSet("order_number", "10023")]  # fmt: skip
    asyncio.run(ours.save(DialogueStateTracker.from_events("mixed", events)))
    assert asyncio.run(rasas.retrieve("mixed")).events == asyncio.run(ours.retrieve("mixed")).events
    more = asyncio.run(rasas.retrieve("mixed"))
    more.update(UserUttered("bye", message_id="m-2"))
    asyncio.run(rasas.save(more))
    assert [e.message_id for e in asyncio.run(ours.retrieve("mixed")).events if isinstance(e, UserUttered)] == [
        "m-1", "m-2"]  # fmt: skip
    ours.engine.dispose()
    rasas.engine.dispose()


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
        capacity_from_env()
    monkeypatch.setenv("TRACKER_CACHE_SIZE", "0")
    assert TriageSQLTrackerStore(None, dialect="sqlite", db="").tracker_cache is None


@pytest.fixture(scope="module")
def agent(trained_model: Path) -> Agent:
    return Agent.load(str(trained_model))


def store_for(agent: Agent, database: Path) -> TriageSQLTrackerStore:
    return TriageSQLTrackerStore(agent.domain, dialect="sqlite", db=str(database))


def say(agent: Agent, store: SQLTrackerStore, sender_id: str, text: str) -> None:
    agent.tracker_store = agent.processor.tracker_store = store  # type: ignore[union-attr]
    asyncio.run(agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender_id)))


def as_json(tracker: DialogueStateTracker) -> dict:
    """The tracker as stored and as actions see it (in memory, a parse keeps tuples where JSON has lists)."""
    return json.loads(json.dumps(tracker.current_state(EventVerbosity.ALL)))


def read_back(store: SQLTrackerStore, sender_id: str) -> dict:
    """What Rasa's own store reads from the same database."""
    rasas = SQLTrackerStore(store.domain, dialect="sqlite", db=store.engine.url.database)
    try:
        return as_json(asyncio.run(rasas.retrieve(sender_id)))
    finally:
        rasas.engine.dispose()


def test_turns_reuse_the_saved_tracker_which_matches_a_read_of_the_database(agent, tmp_path):
    store = store_for(agent, tmp_path / "trackers.db")
    cache = store.tracker_cache
    say(agent, store, "c1", "hi")  # the first turn starts a session: what is cached is rebuilt from its start
    cached = cache.peek("c1", store.newest_event_id("c1"))
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

    store = TriageSQLTrackerStore(None, dialect="sqlite", db=str(tmp_path / "count.db"))
    sessions = {"none": [UserUttered("a"), UserUttered("b")],
                "two": [UserUttered("old"), SessionStarted(), UserUttered("x"), SessionStarted(), UserUttered("y")],
                "empty": []}  # fmt: skip
    for sender_id, events in sessions.items():
        if events:
            asyncio.run(store.save(DialogueStateTracker.from_events(sender_id, events)))
    with store.session_scope() as session:
        for sender_id in sessions:
            rasa_count = store._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()
            assert store._stored_in_session(session, sender_id) == rasa_count
    assert rasa_count == 0 and store._stored_in_session(store.sessionmaker(), "two") == 2


@pytest.mark.parametrize(
    "style, statement, arguments",
    [
        ("named", "SELECT x FROM t WHERE a = :a AND b = :b", {"a": 1, "b": 2}),
        ("pyformat", "SELECT x FROM t WHERE a = %(a)s AND b = %(b)s", {"a": 1, "b": 2}),
        ("qmark", "SELECT x FROM t WHERE a = ? AND b = ?", (1, 2)),
        ("format", "SELECT x FROM t WHERE a = %s AND b = %s", (1, 2)),
    ],
)
def test_plain_sql_speaks_each_drivers_parameter_style(style, statement, arguments):
    from bot.stores.plain_sql import in_driver_style

    assert in_driver_style(style, "SELECT x FROM t WHERE a = :a AND b = :b", {"b": 2, "a": 1}) == (statement, arguments)
    with pytest.raises(NotImplementedError, match="numeric"):
        in_driver_style("numeric", "SELECT :a", {"a": 1})


def test_the_pooled_read_answers_like_sqlalchemy_on_sqlite_and_postgresql(tmp_path):
    import uuid

    import sqlalchemy

    from bot.profiles import ProductionSettings, admin_cursor, postgres_url
    from bot.stores.plain_sql import pooled_scalar

    database = f"triage_test_{uuid.uuid4().hex[:8]}"
    settings = ProductionSettings()
    with admin_cursor(settings) as cursor:
        cursor.execute(f"CREATE DATABASE {database}")
    try:
        for url in (f"sqlite:///{tmp_path / 'events.db'}", postgres_url(settings, database)):
            engine = sqlalchemy.create_engine(url)
            with engine.begin() as connection:
                connection.exec_driver_sql("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(20))")
                connection.exec_driver_sql("INSERT INTO events (id, sender_id) VALUES (3, 'a'), (9, 'a'), (4, 'b')")
            newest = "SELECT max(id) FROM events WHERE sender_id = :sender_id"
            assert [pooled_scalar(engine, newest, {"sender_id": s}) for s in ("a", "b", "nobody")] == [9, 4, None]
            with engine.begin() as connection:  # a later write is seen: no read transaction was left open
                connection.exec_driver_sql("INSERT INTO events (id, sender_id) VALUES (12, 'b')")
            assert pooled_scalar(engine, newest, {"sender_id": "b"}) == 12
            engine.dispose()
    finally:
        with admin_cursor(settings) as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {database}")


def test_after_the_database_drops_its_connections_one_pooled_read_fails_and_the_next_reconnects():
    import uuid

    import psycopg2
    import sqlalchemy

    from bot.profiles import ProductionSettings, admin_cursor, postgres_url
    from bot.stores.plain_sql import pooled_scalar

    database = f"triage_test_{uuid.uuid4().hex[:8]}"
    settings = ProductionSettings()
    with admin_cursor(settings) as cursor:
        cursor.execute(f"CREATE DATABASE {database}")
    engine = sqlalchemy.create_engine(postgres_url(settings, database), pool_size=3)
    try:
        held = [engine.raw_connection() for _ in range(3)]  # three connections in the pool
        for connection in held:
            connection.close()
        with admin_cursor(settings) as cursor:  # what a PostgreSQL restart does to them
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))
        with pytest.raises(psycopg2.OperationalError):
            pooled_scalar(engine, "SELECT :one", {"one": 1})
        assert pooled_scalar(engine, "SELECT :one", {"one": 1}) == 1  # not the next dead pooled connection
    finally:
        engine.dispose()
        with admin_cursor(settings) as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {database}")


def published(broker: SQLEventBroker) -> List[str]:
    with broker.session_scope() as session:
        return [json.loads(row.data)["event"] for row in session.query(broker.SQLBrokerEvent).order_by("id")]


def test_a_turn_whose_write_fails_is_never_streamed(tmp_path):
    """Rasa's own store publishes first and writes after: consumers would see a turn that never happened."""
    broker = SQLEventBroker(db=str(tmp_path / "events.db"))  # Rasa's own SQL broker, a real one
    database = tmp_path / "trackers.db"
    store = TriageSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(database), event_broker=broker)
    tracker = DialogueStateTracker.from_events("c1", [UserUttered("hi", message_id="m-1")])
    asyncio.run(store.save(tracker))
    assert published(broker) == ["user"]
    with store.engine.begin() as connection:  # the database reads but refuses writes (a full disk, a constraint)
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    tracker.update(UserUttered("where is my order", message_id="m-2"))
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="disk full"):
        asyncio.run(store.save(tracker))
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER refuse")
    assert published(broker) == ["user"]  # nothing of the failed turn
    asyncio.run(store.save(tracker))  # once the database is back, the turn is stored and streamed once
    assert published(broker) == ["user", "user"]
    store.engine.dispose()


def test_the_read_only_look_of_a_resend_check_is_rasas_read_and_leaves_the_tracker_cached(agent, tmp_path):
    store = store_for(agent, tmp_path / "t.db")
    say(agent, store, "c4", "hi")
    looked = asyncio.run(current_tracker(store, "c4"))
    assert looked is not None and as_json(looked) == read_back(store, "c4")
    hits = store.tracker_cache.hits
    asyncio.run(store.retrieve("c4"))  # the turn after the check still gets the tracker without a read
    assert store.tracker_cache.hits == hits + 1
    assert asyncio.run(current_tracker(store, "nobody")) is None
