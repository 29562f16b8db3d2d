"""The desk's Reports and Review API on the running stack: who may read what, the report being the analytics
store's figures, and a designer's label going from a real missed message to review/suggestions.yml."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta

import pytest
import requests
import yaml
from sqlalchemy import create_engine

from analytics.report import compute, parse_filter
from analytics.settings import settings as analytics_settings
from handoff.settings import settings as handoff_settings
from tests.conftest import DESK_AGENT, DESK_PASSWORD
from tests.helpers import Desk

SUPERVISOR, DESIGNER = ("lee", "lee-pass"), ("dee", "dee-pass")


def today() -> str:
    return date.today().isoformat()


def missed_message(stack, desk: Desk, contains: str, timeout: float = 30) -> dict:
    """The review's entry for the message with ``contains`` in it, once the analytics feed has stored it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = desk.session.get(f"{stack.desk_url}/desk/api/review", params={"contains": contains}, timeout=30)
        assert reply.status_code == 200, reply.text
        found = [m for g in reply.json()["groups"] for m in g["messages"] if contains in m["text"]]
        if found:
            return found[0]
        time.sleep(0.5)
    raise AssertionError(f"no missed message with {contains!r} reached the review")


@pytest.fixture
def gibberish(chat) -> str:
    """A message no intent covers, sent as this test's customer; returns its unique word."""
    word = f"zq{uuid.uuid4().hex[:8]}"
    chat(f"blorptang vexillum {word} quonk")
    return word


def test_each_role_and_a_stranger_get_only_their_part(stack):
    agent, supervisor, designer = (Desk(stack.desk_url, *who) for who in
                                   ((DESK_AGENT, DESK_PASSWORD), SUPERVISOR, DESIGNER))  # fmt: skip
    paths = ["/desk/api/tickets", "/desk/api/reports", "/desk/api/reports.csv", "/desk/api/review",
             "/desk/api/review/suggestions.yml"]  # fmt: skip

    def codes(desk: Desk | None) -> list[int]:
        session = desk.session if desk else requests.Session()
        return [session.get(f"{stack.desk_url}{path}", timeout=30).status_code for path in paths]

    assert codes(None) == [401] * 5
    assert codes(agent) == [200, 403, 403, 403, 403]
    assert codes(supervisor) == [200] * 5
    assert codes(designer) == [403, 403, 403, 200, 200]
    # A designer cannot act on a ticket either, whatever the action; an agent cannot label or read the review.
    assert designer.post(1, "claim").status_code == 403
    for path in ("/desk/api/reports/options", "/desk/api/review/options", "/desk/api/review/messages/e1/conversation"):
        assert agent.session.get(f"{stack.desk_url}{path}", timeout=30).status_code == 403, path
    label = agent.session.post(f"{stack.desk_url}/desk/api/review/messages/e1/label", json={"intent": "greet"},
                               timeout=30)  # fmt: skip
    assert label.status_code == 403
    assert designer.session.get(f"{stack.desk_url}/desk/api/reports/options", timeout=30).status_code == 403
    assert designer.session.get(f"{stack.desk_url}/desk/api/review/options", timeout=30).status_code == 200
    # A forged token is no session at all.
    forged_token = "bGVlfDk5OTk5OTk5OTl8YWJjfGRlZg=="  # "lee|9999999999|abc|def": the right shape, no signature
    forged = requests.get(f"{stack.desk_url}/desk/api/review", headers={"Authorization": f"Bearer {forged_token}"},
                          timeout=10)  # fmt: skip
    assert forged.status_code == 401


def test_the_report_is_the_analytics_stores_figures_and_counts_a_new_conversation(stack, chat, conversation_id):
    supervisor = Desk(stack.desk_url, *SUPERVISOR)
    params = {"from": (date.today() - timedelta(days=1)).isoformat(), "to": today(), "channel": "rest"}

    def report() -> dict:
        reply = supervisor.session.get(f"{stack.desk_url}/desk/api/reports", params=params, timeout=60)
        assert reply.status_code == 200, reply.text
        return reply.json()

    before = report()["conversations"]["total"]
    chat("where is my order")
    deadline = time.monotonic() + 30
    while report()["conversations"]["total"] == before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert report()["conversations"]["total"] >= before + 1

    # Once the feed is quiet, the page's figures are exactly what analytics.report computes from the same store.
    def comparable(figures: dict) -> dict:
        figures = {k: v for k, v in figures.items() if k != "generated_at"}
        figures["agents"]["backlog"].pop("oldest_waiting_s")
        return figures

    engine = create_engine(stack.config.handoff_database)
    for _ in range(20):
        served = comparable(report())
        where = parse_filter(params, analytics_settings(), date.today())
        direct = comparable(compute(engine, where, analytics_settings(), handoff_settings(), time.time()))
        if served == comparable(report()):
            break
    engine.dispose()
    assert served == direct

    csv = supervisor.session.get(f"{stack.desk_url}/desk/api/reports.csv", params=params, timeout=60)
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in csv.headers["Content-Disposition"]
    lines = csv.text.split("\r\n")
    assert lines[0] == "section,key,value,denominator,rate"
    assert f"conversations.total,,{served['conversations']['total']},," in lines


@pytest.mark.parametrize(
    "params, says",
    [
        ({"from": "2026-13-01"}, "'from' must be a date"),
        ({"from": "2026-11-10", "to": "2026-11-01"}, "'from' must not be after 'to'"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "at most 366 days"),
        ({"channel": "sms' OR 1=1 --"}, "'channel' must be a name"),
        ({"intent": "x" * 65}, "'intent' must be a name"),
        ({"queue": "caf\u00e9"}, "'queue' must be a name"),
        ({"to": "9999-12-31"}, "years 1 to 9998"),
    ],
)
def test_a_filter_that_cannot_be_read_gets_a_clear_400(stack, params, says):
    supervisor = Desk(stack.desk_url, *SUPERVISOR)
    for path in ("/desk/api/reports", "/desk/api/reports.csv", "/desk/api/review"):
        reply = supervisor.session.get(f"{stack.desk_url}{path}", params=params, timeout=30)
        assert reply.status_code == 400, (path, reply.text)
        assert reply.json()["error"] == "bad_filter" and says in reply.json()["detail"]


def test_review_limits_and_search_are_checked(stack):
    designer = Desk(stack.desk_url, *DESIGNER)
    for params in ({"limit": "0"}, {"limit": "201"}, {"limit": "many"}, {"contains": "x" * 201}):
        reply = designer.session.get(f"{stack.desk_url}/desk/api/review", params=params, timeout=30)
        assert reply.status_code == 400 and reply.json()["error"] == "bad_filter", params


def test_a_designer_labels_a_missed_message_and_it_becomes_a_suggestion(stack, chat, conversation_id, gibberish):
    designer = Desk(stack.desk_url, *DESIGNER)
    message = missed_message(stack, designer, gibberish)
    assert message["channel"] == "rest" and message["reasons"]
    assert "sender_id" not in message and "conversation_key" not in message  # a designer needs the words only

    # Its conversation, from the tracker: the customer's message and what the bot answered.
    url = f"{stack.desk_url}/desk/api/review/messages/{message['event_id']}"
    conversation = designer.session.get(f"{url}/conversation", timeout=30).json()
    said = [line for line in conversation["transcript"] if gibberish in line["text"]]
    assert said and said[0]["sender"] == "customer"
    assert conversation["transcript"][-1]["sender"] == "bot"
    assert conversation["customer"] == conversation_id and conversation["ticket_id"] is None

    # Labels that cannot be training data are refused and store nothing.
    for bad in ("nlu_fallback", "EXTERNAL_handback", "no_such_intent"):
        refused = designer.session.post(f"{url}/label", json={"intent": bad}, timeout=30)
        assert refused.status_code == 400 and refused.json()["error"] == "bad_label", refused.text
    for body in ({}, {"intent": 7}, {"intent": " "}):
        assert designer.session.post(f"{url}/label", json=body, timeout=30).status_code == 400
    unknown = designer.session.post(f"{stack.desk_url}/desk/api/review/messages/nope/label",
                                    json={"intent": "order_status"}, timeout=30)  # fmt: skip
    assert unknown.status_code == 404
    # Without the page's CSRF token (the cookie alone), or from another site, nothing is labelled.
    bare = requests.Session()
    bare.cookies.update(designer.session.cookies)
    assert bare.post(f"{url}/label", json={"intent": "order_status"}, timeout=30).status_code == 403
    evil = {"Origin": "http://evil.example"}
    assert designer.session.post(f"{url}/label", json={"intent": "order_status"}, headers=evil,
                                 timeout=30).status_code == 403  # fmt: skip
    before = designer.session.get(f"{stack.desk_url}/desk/api/review/suggestions.yml", timeout=30).text
    assert gibberish not in before

    stored = designer.session.post(f"{url}/label", json={"intent": "order_status"}, timeout=30)
    assert stored.status_code == 200 and stored.json()["labelled_by"] == "dee"
    suggestions = designer.session.get(f"{stack.desk_url}/desk/api/review/suggestions.yml", timeout=30)
    assert suggestions.status_code == 200 and "attachment" in suggestions.headers["Content-Disposition"]
    nlu = yaml.safe_load(suggestions.text)["nlu"]
    examples = {entry["intent"]: entry["examples"] for entry in nlu}
    assert gibberish in examples["order_status"]
    assert missed_message(stack, designer, gibberish)["label"] == "order_status"


def test_the_pages_and_chart_library_are_served_without_a_session_but_hold_no_data(stack):
    served = (("/desk/reports", "text/html"), ("/desk/review", "text/html"), ("/desk/reports.js", "javascript"),
              ("/desk/vendor/chart.umd.js", "javascript"), ("/desk/pages.css", "text/css"))  # fmt: skip
    for path, kind in served:
        reply = requests.get(f"{stack.desk_url}{path}", timeout=10)
        assert reply.status_code == 200 and kind in reply.headers["Content-Type"], path
        assert "script-src 'self'" in reply.headers["Content-Security-Policy"]
    chart = requests.get(f"{stack.desk_url}/desk/vendor/chart.umd.js", timeout=10).text
    assert "Chart.js v4" in chart[:300]  # the npm package's own banner: the library itself, served locally


@pytest.mark.parametrize("shape", ["+15552014477", "anna.b@example.com", "with spaces in it", "Zoë-日本-ü", "x" * 128])
def test_a_missed_message_opens_its_conversation_whatever_the_ids_shape(stack, shape):
    word = f"zq{uuid.uuid4().hex[:8]}"
    # Each run a conversation of its own, of the same shape (the 128-character one stays 128 characters).
    sender = word + shape[len(word) :] if len(shape) == 128 else f"{shape}-{word}"
    reply = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", headers=stack.rest_headers, timeout=30,
                          json={"sender": sender, "message": f"blorptang vexillum {word} quonk"})  # fmt: skip
    assert reply.status_code == 200, reply.text
    designer, supervisor = Desk(stack.desk_url, *DESIGNER), Desk(stack.desk_url, *SUPERVISOR)
    message = missed_message(stack, designer, word)
    url = f"{stack.desk_url}/desk/api/review/messages/{message['event_id']}/conversation"
    seen = supervisor.session.get(url, timeout=30).json()
    assert seen["customer"] == sender
    assert [line["sender"] for line in seen["transcript"] if word in line["text"]] == ["customer"]
    # A designer sees the same conversation with the customer's phone or address masked.
    masked = designer.session.get(url, timeout=30)
    assert [line["sender"] for line in masked.json()["transcript"] if word in line["text"]] == ["customer"]
    if shape in ("+15552014477", "anna.b@example.com"):
        assert "5552014477" not in masked.text and "anna.b@" not in masked.text
