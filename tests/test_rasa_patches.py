"""The serving patches keep Rasa's behaviour: same verdicts, same errors."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, UserUttered

from bot.launcher import ROOT
from bot.rasa_patches import speedups as rasa_speedups
from bot.rasa_patches.idempotent_messages import already_received

GOOD = {"events": [{"event": "slot", "name": "order_number", "value": "10023"}], "responses": [{"text": "hi"}]}
BAD = [
    {"events": "not a list"},
    {"events": [{"event": "slot", "timestamp": "yesterday"}]},
    {"events": [{"no_event_key": 1}]},
]


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_x", None)


def test_valid_action_responses_pass_as_before(action):
    assert rasa_speedups.validate_action_result(action, GOOD) is True
    jsonschema.validate(GOOD, action.action_response_format_spec())


@pytest.mark.parametrize("response", BAD)
def test_invalid_action_responses_fail_with_rasa_s_error(action, response):
    with pytest.raises(jsonschema.ValidationError) as rasa_error:
        jsonschema.validate(response, action.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response") as ours:
        rasa_speedups.validate_action_result(action, response)
    assert ours.value.message.startswith(rasa_error.value.message)


def test_a_message_is_recognised_by_its_client_id_only():
    events = [UserUttered("hi", message_id="m-1"), ActionExecuted("action_listen")]
    assert already_received(events, "m-1")
    assert not already_received(events, "m-2")


def test_a_tracker_store_outage_fails_the_turn_instead_of_forgetting_the_conversation(tmp_path):
    """Rasa's wrapper would answer "no such conversation" and keep the turn in memory."""
    import asyncio

    from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_patches import apply_all
    from bot.rasa_patches.durable_trackers import TrackerStoreUnavailable

    apply_all()
    database = tmp_path / "trackers.db"
    store = FailSafeTrackerStore(SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(database)))
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


def test_graphs_run_in_order_give_the_same_parse_as_dask(trained_model):
    """The same trained model parses the held-out messages identically with both runners."""
    import asyncio

    from rasa.core.agent import Agent
    from rasa.engine.runner.dask import DaskGraphRunner

    from bot.rasa_patches import graph_runner
    from bot.tools.nlu_scores import load_examples

    texts = [e.text for e in load_examples(sorted(ROOT.joinpath("tests", "nlu", "heldout").glob("*.yml")))][:60]
    agent = Agent.load(str(trained_model))
    patched = DaskGraphRunner.run
    try:
        DaskGraphRunner.run = graph_runner._rasa_run  # type: ignore[method-assign]
        with_dask = [asyncio.run(agent.parse_message(t)) for t in texts]
    finally:
        DaskGraphRunner.run = patched  # type: ignore[method-assign]
    graph_runner.apply()
    in_order = [asyncio.run(agent.parse_message(t)) for t in texts]
    assert in_order == with_dask
    assert {p["intent"]["name"] for p in in_order} > {"greet"}


def response_corpus() -> list:
    """Responses of every event type Rasa knows, as it serialises them, and broken variants of each."""
    from rasa.shared.core import events as rasa_events

    samples = [
        rasa_events.UserUttered("hi", {"name": "greet", "confidence": 0.9}, [{"entity": "x", "value": "1"}]),
        rasa_events.ActionExecuted("utter_greet", policy="RulePolicy", confidence=1.0),
        rasa_events.SlotSet("order_number", "10023"), rasa_events.SlotSet("tags", ["a", "b"]),
        rasa_events.EntitiesAdded([{"entity": "email", "value": "a@b.c", "start": 0, "end": 5}]),
        rasa_events.BotUttered("hello", {"buttons": []}), rasa_events.ActiveLoop("order_form"),
        rasa_events.ActiveLoop(None), rasa_events.FollowupAction("action_x"), rasa_events.AllSlotsReset(),
        rasa_events.Restarted(), rasa_events.SessionStarted(), rasa_events.ConversationPaused(),
        rasa_events.ConversationResumed(), rasa_events.LoopInterrupted(True), rasa_events.ActionReverted(),
        rasa_events.UserUtteranceReverted(), rasa_events.AgentUttered("hi"), rasa_events.ReminderCancelled("r"),
        rasa_events.ActionExecutionRejected("action_x"),
    ]  # fmt: skip
    good = [event.as_dict() for event in samples]
    broken = [
        {**good[0], "text": 42}, {**good[2], "name": 7}, {k: v for k, v in good[2].items() if k != "value"},
        {**good[1], "timestamp": "now"}, {**good[4], "entities": "none"}, {"event": "no_such_event"},
        {"event": ["slot"]}, {"event": None}, "slot", {**good[0], "metadata": []},
    ]  # fmt: skip
    responses = [{"events": [event], "responses": []} for event in good + broken]
    responses += [{"events": good}, {"responses": [{"text": "a"}]}, {}, {"events": good, "responses": ["text"]},
                  {"events": good, "other": 1}, [], {"events": {"event": "slot"}}]  # fmt: skip
    return responses


def test_the_per_event_type_shortcut_accepts_only_what_the_full_schema_accepts(action):
    verdicts = []
    for response in response_corpus():
        try:
            jsonschema.validate(response, action.action_response_format_spec())
            rasa_valid = True
        except jsonschema.ValidationError:
            rasa_valid = False
        shortcut = rasa_speedups.plainly_valid(action, response)
        assert not (shortcut and not rasa_valid), response
        verdicts.append((rasa_valid, shortcut))
        if rasa_valid:
            assert rasa_speedups.validate_action_result(action, response) is True
        else:
            with pytest.raises(jsonschema.ValidationError):
                rasa_speedups.validate_action_result(action, response)
    # the shortcut took nearly every valid response; what it left went through the full check
    assert sum(shortcut for _, shortcut in verdicts) >= sum(valid for valid, _ in verdicts) - 2
    assert sum(not valid for valid, _ in verdicts) >= 9


def test_a_slot_copies_like_copy_copy_and_independently():
    import copy

    from rasa.shared.core import slots as rasa_slots
    from rasa.shared.core.domain import Domain

    from bot.rasa_patches import slot_copy

    domain = Domain.load(str(ROOT / "domain.yml"))
    samples = list(domain.slots) + [rasa_slots.ListSlot("tags", [], initial_value=["a"])]
    for slot in samples:
        slot.value = slot.initial_value if slot.initial_value is not None else "x"
        duplicate = slot_copy.shallow_copy(slot)
        # copy.copy's generic path, as Rasa's slots take it without the patch (copy.copy itself is patched here)
        generic = copy._reconstruct(slot, None, *slot.__reduce_ex__(4))  # type: ignore[attr-defined]
        expected = type(generic), vars(generic)
        assert (type(duplicate), vars(duplicate)) == expected and duplicate is not slot
        duplicate.value = "changed"
        assert slot.value != "changed"
    slot_copy.apply()
    assert copy.copy(samples[0]).__class__ is type(samples[0])


def test_the_empty_domain_check_answers_as_rasas():
    from rasa.shared.core.domain import Domain

    from bot.rasa_patches import empty_domain

    loaded = Domain.load(str(ROOT / "domain.yml"))
    assert empty_domain.is_empty(Domain.empty()) and not empty_domain.is_empty(loaded)
    assert Domain.from_dict({"intents": ["greet"]}).as_dict() != empty_domain.empty_domain_dict()
    empty_domain.apply()
    assert Domain.empty().is_empty() and not loaded.is_empty()


def test_cut_off_confirmations_are_counted_and_summarised_and_other_errors_pass_through():
    import asyncio
    import logging

    from aiormq.exceptions import ConnectionClosed

    from bot.rasa_patches.cut_off_confirmations import NEVER_RETRIEVED, CutOffCounter

    passed_on = []
    counter = CutOffCounter(lambda loop, context: passed_on.append(context), every_s=3600)
    logged: list = []
    counter.summary.logger = logging.getLogger(f"test-summary-{id(logged)}")  # Rasa's logging setup may
    counter.summary.logger.propagate = False  # have disabled the module's logger in this process
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())  # type: ignore[method-assign]
    counter.summary.logger.addHandler(handler)
    loop = asyncio.new_event_loop()
    try:
        cut = {"message": NEVER_RETRIEVED, "exception": ConnectionClosed(320, "CONNECTION_FORCED")}
        other = {"message": NEVER_RETRIEVED, "exception": ValueError("a bug somewhere")}

        def reset_raised_in(filename: str) -> ConnectionResetError:
            try:
                exec(compile("raise ConnectionResetError(104, 'Connection reset by peer')", filename, "exec"))
            except ConnectionResetError as error:
                return error
            raise AssertionError("not raised")

        reset_in_aiormq = {"message": NEVER_RETRIEVED, "exception": reset_raised_in("/site/aiormq/connection.py")}
        reset_elsewhere = {"message": NEVER_RETRIEVED, "exception": reset_raised_in("/site/other/client.py")}
        for _ in range(500):
            counter(loop, cut)
        counter(loop, reset_in_aiormq)
        counter(loop, other)
        counter(loop, reset_elsewhere)
    finally:
        loop.close()
    # anything that is not a cut-off confirmation still reaches the old handler
    assert passed_on == [other, reset_elsewhere]
    assert counter.total == 501
    assert len(logged) == 1 and logged[0].startswith("1 RabbitMQ confirmations cut off by a lost connection")
    # then quiet until the interval ends, counting what it will report
    assert counter.summary.unreported == {"ConnectionClosed": 499, "ConnectionResetError": 1}


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
    from bot.rasa_patches.plain_sql import in_driver_style

    assert in_driver_style(style, "SELECT x FROM t WHERE a = :a AND b = :b", {"b": 2, "a": 1}) == (statement, arguments)
    with pytest.raises(NotImplementedError, match="numeric"):
        in_driver_style("numeric", "SELECT :a", {"a": 1})


def test_the_pooled_read_answers_like_sqlalchemy_on_sqlite_and_postgresql(tmp_path):
    import uuid

    import sqlalchemy

    from bot.profiles import ProductionSettings, admin_cursor, postgres_url
    from bot.rasa_patches.plain_sql import pooled_scalar

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
    from bot.rasa_patches.plain_sql import pooled_scalar

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
