"""The support-load report counts real conversations exactly.

Eleven customers talk to the running bot on every channel (REST with ids of every shape, web chat over
socket.io, SMS through the Twilio double, RCS through the RBM double), each written to end a known way: six
answered by the bot, three handed to a person for three different reasons, one who leaves the order look-up
half answered, and one who comes back within the day on another channel (the same verified e-mail). The
embedded feed reads Rasa's tracker store into a fresh analytics store of this module's own, and the report,
filtered to the minutes the conversations were played in, must give exactly the figures the scripts declare
(docs/analytics.md defines them; tests/analytics/scripted.py works them out from the declarations alone).

The report is read 25 hours after the conversations: a conversation is *over* after 60 idle minutes and
*judged* for resolution and repeat contact once its 24-hour window has closed, so every one of them is both.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Dict, List

import pytest
from sqlalchemy import delete, func, select, text

from analytics.feed import TrackerStoreFeed
from analytics.fold import stream_event
from analytics.metrics import ReportFilter
from analytics.report import compute
from analytics.settings import settings as analytics_settings
from analytics.store import AnalyticsStore
from analytics.tables import OffsetRow
from bot.launcher import Stack, tracker_database_url
from handoff.settings import settings as handoff_settings
from storage.sql import sql_engine
from tests.analytics.scripted import (
    Expected,
    Outcome,
    Scripted,
    counts,
    expected,
    phone,
    rest_ids,
    wait_until_stored,
    window_start,
)
from tests.conftest import DESK_AGENT, DESK_PASSWORD, TWILIO
from tests.customers import RcsCustomer, RestCustomer, SmsCustomer, WebChatCustomer, wait_until
from tests.helpers import Desk

JUDGED_LATER = 25 * 3600  # past the 60-minute idle time and the 24-hour repeat-contact window
THREE_DAYS = 3 * 86400
CONVERSATION_FIGURES = ("conversations", "containment", "escalation", "resolution", "durable_resolution",
                        "repeat_contact", "fallback", "abandonment")  # fmt: skip
ASKS_FOR_PROOF = "email address or phone number"
ABANDONED_AT = ("order_lookup_form", "customer_contact")


@dataclass
class Played:
    scripts: List[Scripted]
    where: ReportFilter
    now: float
    seconds: float


def play(stack: Stack, twilio, twilio_webhooks, rbm, rbm_webhooks) -> List[Scripted]:
    ids = rest_ids()

    def rest(shape: str, outcome: Outcome) -> Scripted:
        return Scripted(RestCustomer(stack.rasa_url, ids[shape]), outcome)

    def sms(country: str, outcome: Outcome) -> Scripted:
        return Scripted(SmsCustomer(twilio, twilio_webhooks, phone(country), TWILIO["TWILIO_FROM_NUMBER"]), outcome)

    def rcs(country: str, outcome: Outcome) -> Scripted:
        return Scripted(RcsCustomer(rbm, rbm_webhooks, phone(country)), outcome)

    def web(outcome: Outcome) -> Scripted:
        return Scripted(WebChatCustomer(stack.rasa_url), outcome)

    scripts: List[Scripted] = []

    def started(script: Scripted) -> Scripted:
        scripts.append(script)
        return script

    try:
        # Contained and answered.
        maria = started(rest("email", Outcome("order_status", answered=True, form_visits=1, identity="maria")))
        maria.line("where is my order 10023", ASKS_FOR_PROOF)
        maria.line("maria.keller@example.com", "on its way with UPS")

        started(rest("spaces", Outcome("delivery_options", answered=True, identity="spaces"))).line(
            "what delivery options do you have?", "We deliver with"
        )
        started(rest("non_ascii", Outcome("technical_issue", answered=True, identity="non_ascii"))).line(
            "the app keeps crashing as soon as I open it", "refresh the page"
        )

        aiko = started(rest("128_chars", Outcome("order_status", answered=True, form_visits=1, identity="aiko")))
        aiko.line("where is my order 10057", ASKS_FOR_PROOF)
        aiko.line("aiko.t@example.net", "10057")

        started(web(Outcome("delivery_options", answered=True, identity="web"))).line(
            "how long does delivery usually take", "We deliver with"
        )

        # The same customer twice within the day, on two channels: the first is not resolved, they came back.
        tom_by_sms = started(sms("us", Outcome("order_status", answered=True, form_visits=1, identity="tom")))
        tom_by_sms.line("where is my order 10031", ASKS_FOR_PROOF)
        tom_by_sms.line("tom.okafor@example.org", "10031")
        tom_on_the_web = started(web(Outcome("refund_status", answered=True, form_visits=1, identity="tom")))
        tom_on_the_web.line("has my refund for order 10031 been processed?", ASKS_FOR_PROOF)
        tom_on_the_web.line("tom.okafor@example.org", "refund")

        # Handed to a person, for three reasons.
        started(rcs("us", Outcome("request_human", handoff="customer_request", identity="rcs-us"))).ask_for_a_person(
            "I want to talk to a person"
        )

        confused = started(sms("de", Outcome("request_human", handoff="low_confidence", not_understood=2,
                                             identity="sms-de")))  # fmt: skip
        confused.line("money for my order", "Did you mean")
        confused.line("urgent", "member of our team")
        confused.ask_for_a_person("1")  # the SMS numbers the buttons: 1 is "Talk to a person"

        unproven = started(sms("uk", Outcome("order_status", handoff="ownership_failed", form_visits=1,
                                             identity="sms-uk")))  # fmt: skip
        unproven.line("where is my order 10023", ASKS_FOR_PROOF)
        unproven.line("wrong@example.com", "don't match")
        unproven.line("other@example.com", "don't match")
        unproven.line("third@example.com", "check who you are another way")
        unproven.ask_for_a_person("I want to talk to a person")

        # Left in the middle of a form: the order number given, the proof never.
        gone = started(rcs("uk", Outcome("change_address", form_visits=1, abandoned_at=ABANDONED_AT,
                                         identity="rcs-uk")))  # fmt: skip
        gone.line("I need to change the delivery address on my order", "order number")
        gone.line("10025", ASKS_FOR_PROOF)
    finally:
        for script in scripts:
            script.customer.close()
    return scripts


@pytest.fixture(scope="module")
def played(stack, twilio, twilio_webhooks, rbm, rbm_webhooks) -> Played:
    began = time.monotonic()
    start = window_start()
    scripts = play(stack, twilio, twilio_webhooks, rbm, rbm_webhooks)
    wait_until_stored(sql_engine(tracker_database_url(stack.config.endpoints)), scripts)
    end = time.time() + 1.0
    # Only this module's conversations started in [start, end): the others of the session came before.
    return Played(scripts, ReportFilter(start, end), time.time() + JUDGED_LATER, time.monotonic() - began)


@pytest.fixture(scope="module")
def feed(stack, tmp_path_factory) -> TrackerStoreFeed:
    """A fresh analytics store (no tickets needed for the conversation figures), fed from the test Rasa
    server's own tracker store (the SQLite file the stack fixture's endpoints name)."""
    database = tmp_path_factory.mktemp("analytics") / "analytics.db"
    store = AnalyticsStore(f"sqlite:///{database}", analytics_settings())
    return TrackerStoreFeed(store, tracker_database_url(stack.config.endpoints))


def report_of(engine: Any, played: Played) -> Dict[str, Any]:
    return compute(engine, played.where, analytics_settings(), handoff_settings(), played.now)


@pytest.fixture(scope="module")
def report(played: Played, feed: TrackerStoreFeed) -> Dict[str, Any]:
    assert feed.catch_up() > 0
    print(f"\n{len(played.scripts)} conversations played and stored in {played.seconds:.1f}s")
    return report_of(feed.store.engine, played)


@pytest.fixture(scope="module")
def want(played: Played) -> Expected:
    return expected(played.scripts)


@pytest.fixture
def desk(stack) -> Desk:
    return Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)


def test_the_scripts_cover_what_the_report_must_tell_apart(want: Expected):
    """The declarations themselves, so a reader sees the cast at a glance."""
    assert want.total == 11
    assert want.by_channel == {"rest": 4, "socketio": 2, "sms": 3, "rcs": 2}
    assert (want.contained, want.resolved, want.came_back, want.abandoned) == (8, 6, 1, 1)
    assert want.escalated_by_reason == {"customer_request": 1, "low_confidence": 1, "ownership_failed": 1}


def test_every_conversation_is_counted_once_on_its_channel(report, want: Expected):
    conversations = report["conversations"]
    assert conversations["total"] == want.total
    assert conversations["over"] == want.total
    assert counts(conversations["by_channel"]) == want.by_channel
    assert counts(conversations["by_intent"]) == want.by_first_task


def test_containment_is_the_conversations_no_person_took_over(report, want: Expected):
    assert report["containment"] == {"count": want.contained, "denominator": want.total,
                                     "rate": round(want.contained / want.total, 4)}  # fmt: skip


def test_each_escalation_is_counted_with_the_reason_the_bot_handed_over_for(report, want: Expected):
    escalation = report["escalation"]
    escalated = want.total - want.contained
    assert (escalation["count"], escalation["denominator"]) == (escalated, want.total)
    assert counts(escalation["by_reason"]) == want.escalated_by_reason
    assert sum(g["denominator"] for g in escalation["by_reason"]) == escalated


def test_the_handed_over_conversations_carry_the_desks_ticket(played: Played, feed: TrackerStoreFeed, desk, report):
    rows = {row["sender_id"]: row for row in feed.store.conversations()}
    for script in played.scripts:
        row = rows[script.conversation_id]
        if script.outcome.handoff is None:
            assert not row["handed_off"] and row["ticket_id"] is None, script.conversation_id
            continue
        ticket = desk.ticket_for(script.conversation_id)
        assert (row["ticket_id"], row["handoff_reason"], row["handoff_queue"]) == (
            ticket["id"], ticket["reason"], ticket["queue"]), script.conversation_id  # fmt: skip
        assert ticket["reason"] == script.outcome.handoff


def test_resolution_leaves_out_hand_offs_and_the_customer_who_came_back(report, want: Expected):
    resolution = report["resolution"]
    assert (resolution["count"], resolution["denominator"], resolution["pending"]) == (want.resolved, want.total, 0)
    assert report["repeat_contact"]["day"]["count"] == want.came_back
    assert report["repeat_contact"]["day"]["denominator"] == want.total


def test_the_abandoned_form_is_counted_at_the_question_left_unanswered(report, want: Expected):
    abandonment = report["abandonment"]
    assert (abandonment["count"], abandonment["denominator"]) == (want.abandoned, want.entered_a_form)
    dropped = {
        (funnel["form"], step["question"]): step["abandoned"]
        for funnel in abandonment["funnels"]
        for step in funnel["steps"]
        if step["abandoned"]
    }
    assert dropped == want.abandoned_at
    (form, question) = ABANDONED_AT
    (lookup,) = [f for f in abandonment["funnels"] if f["form"] == form]
    assert lookup["abandoned"] == want.abandoned
    asked = [step["question"] for step in lookup["steps"]]
    assert asked.index("order_number") < asked.index(question)  # it dropped after the first answer


def test_a_form_that_gave_up_on_the_proof_is_not_counted_as_completed(report):
    """The customer who guessed the order's contact wrong three times: the form ended itself, without the proof."""
    (lookup,) = [f for f in report["abandonment"]["funnels"] if f["form"] == "order_lookup_form"]
    assert lookup["failed"] == 1
    gave_up = {step["question"]: step["failed"] for step in lookup["steps"]}
    assert gave_up["customer_contact"] == 1


def test_only_the_messages_the_bot_did_not_understand_are_fallbacks(report, want: Expected):
    fallback = report["fallback"]
    assert (fallback["count"], fallback["denominator"]) == (want.not_understood, want.messages)


def test_reading_the_tracker_store_again_changes_no_figure(played: Played, feed: TrackerStoreFeed, report):
    events = feed.store.event_count()
    assert feed.catch_up() == 0  # the offset: nothing new to read
    assert report_of(feed.store.engine, played) == report

    # From the start again, as a feed that lost its offset would: every event is recognised by its id.
    with feed.store.engine.begin() as db:
        db.execute(delete(OffsetRow))
    assert feed.catch_up() > 0
    assert feed.store.event_count() == events
    assert report_of(feed.store.engine, played) == report


def test_the_supervisors_report_from_the_handoff_database_agrees(stack, played: Played, report, want: Expected):
    """What the desk's Reports page reads: the stack's own feed writing beside the tickets (HANDOFF_DATABASE_URL)."""
    handoff_db = sql_engine(stack.config.env["HANDOFF_DATABASE_URL"])
    tracker = sql_engine(tracker_database_url(stack.config.endpoints))
    with tracker.connect() as db:
        last_row = db.execute(text("SELECT max(id) FROM events")).scalar_one()

    def caught_up() -> bool:
        with handoff_db.connect() as db:
            position = db.execute(select(func.max(OffsetRow.position))).scalar()
        return position is not None and position >= last_row

    wait_until(caught_up, timeout=20, what="the stack's analytics feed to read the tracker store")
    supervisors = report_of(handoff_db, played)
    assert {k: supervisors[k] for k in CONVERSATION_FIGURES} == {k: report[k] for k in CONVERSATION_FIGURES}
    assert supervisors["agents"]["tickets"] == want.total - want.contained


@pytest.mark.parametrize(
    "channel, task",
    [("rest", "delivery_options"), ("sms", "order_status")],
)
def test_a_customer_back_on_the_same_id_days_later_is_not_a_repeat_contact_within_the_day(
    stack, played, tmp_path, channel, task
):
    """The same phone or REST id after the session expired is a new session of the same tracker, which Rasa opens
    with [session_started_metadata,] action_session_start, session_started, action_listen (rasa/core/processor.py,
    _update_tracker_session). Replayed alone in a store of its own: a real answered conversation from this module,
    and the same events again three days later. Repeat contact counts from the first conversation's last event."""
    answered = next(s for s in played.scripts if s.channel == channel and s.outcome.first_task == task)
    assert answered.outcome.answered and answered.outcome.handoff is None
    with sql_engine(tracker_database_url(stack.config.endpoints)).connect() as db:
        query = text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id")
        bodies = [json.loads(row[0]) for row in db.execute(query, {"sender": answered.conversation_id})]
    again = [{**body, "timestamp": body["timestamp"] + THREE_DAYS} for body in bodies]
    store = AnalyticsStore(f"sqlite:///{tmp_path / 'analytics.db'}", analytics_settings())
    store.ingest([e for e in (stream_event(answered.conversation_id, b) for b in bodies + again) if e is not None])
    first = ReportFilter(bodies[0]["timestamp"] - 1, bodies[-1]["timestamp"] + 1)
    now = again[-1]["timestamp"] + JUDGED_LATER
    later = compute(store.engine, first, analytics_settings(), handoff_settings(), now)
    assert later["repeat_contact"]["day"] == {"count": 0, "denominator": 1, "rate": 0.0}
    assert later["resolution"]["count"] == 1
