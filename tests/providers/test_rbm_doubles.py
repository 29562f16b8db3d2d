"""Tests of the RBM double itself (no application involved): each API rule refuses a bad request and accepts a good
one; duplicates, phones without RCS and outages are answered as Google does; webhook pushes are signed as the RBM
webhooks guide says. The token endpoint's tests are in test_google_oauth.py."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.providers._rbm_fixtures import AGENT, PHONE, TEXT, WebhookStub, send
from tests.providers.rbm import RbmDouble, RbmWebhooks


# -- sends -------------------------------------------------------------------------------------------------------
def test_a_valid_text_is_accepted_as_an_agent_message(rbm: RbmDouble, token: str) -> None:
    message_id = str(uuid.uuid4())
    response = send(rbm, token, TEXT, messageId=message_id)
    assert response.status_code == 200
    answer = response.json()
    assert answer["name"] == f"phones/{PHONE}/agentMessages/{message_id}"
    assert answer["contentMessage"] == TEXT["contentMessage"] and answer["sendTime"].endswith("Z")
    [message] = rbm.messages_to(PHONE)
    assert (message.message_id, message.agent_id, message.content) == (message_id, AGENT, {"text": "Hello"})


def test_a_percent_encoded_phone_is_read_as_e164(rbm: RbmDouble, token: str) -> None:
    assert send(rbm, token, TEXT, phone="%2B12223334444").status_code == 200
    assert rbm.accepted[0].phone == PHONE


REPLY = {"reply": {"text": "Yes", "postbackData": "answer=yes"}}
ACTION = {"action": {"text": "Call us", "postbackData": "call", "dialAction": {"phoneNumber": "+18005551212"}}}
MEDIA = {"height": "MEDIUM", "contentInfo": {"fileUrl": "https://cdn.example.com/a.png"}}
CARD = {"title": "T", "description": "D", "media": MEDIA, "suggestions": [REPLY] * 4}
STANDALONE = {"cardOrientation": "HORIZONTAL", "thumbnailImageAlignment": "LEFT", "cardContent": CARD}
CAROUSEL = {"cardWidth": "MEDIUM", "cardContents": [CARD, {"title": "Two"}]}
GOOD_BODIES = [
    {"contentMessage": {"text": "x" * 3072, "suggestions": [REPLY] * 6 + [ACTION] * 5}},
    {"contentMessage": {"richCard": {"standaloneCard": STANDALONE}}, "messageTrafficType": "TRANSACTION"},
    {"contentMessage": {"richCard": {"carouselCard": CAROUSEL}}, "ttl": "3600s"},
    {"contentMessage": {"contentInfo": {"fileUrl": "https://cdn.example.com/f.pdf"}}},
    {
        "contentMessage": {
            "uploadedRbmFile": {"fileName": "files/abc"},
            "suggestions": [
                {"action": {"text": "Open", "openUrlAction": {"url": "https://example.com"}}},
                {"action": {"text": "Where", "viewLocationAction": {"latLong": {"latitude": 1.5, "longitude": -2}}}},
                {"action": {"text": "Share", "shareLocationAction": {}}},
            ],
        }
    },
]


@pytest.mark.parametrize("body", GOOD_BODIES)
def test_good_bodies_are_accepted(rbm: RbmDouble, token: str, body: dict) -> None:
    assert send(rbm, token, body).status_code == 200


def _content(**content: object) -> dict:
    return {"contentMessage": content}


def _card(**card: object) -> dict:
    return _content(richCard={"standaloneCard": {"cardOrientation": "VERTICAL", "cardContent": card}})


BAD_BODIES = [
    {},
    {"contentMesage": {"text": "typo"}},
    {"name": "phones/x", **TEXT},
    _content(),
    _content(text="a", richCard={"standaloneCard": STANDALONE}),
    _content(text=""),
    _content(text="x" * 3073),
    _content(text="a", suggestions=[REPLY] * 12),
    _content(text="a", suggestions=[{"reply": {"text": "x" * 26}}]),
    _content(text="a", suggestions=[{"reply": {"text": "ok", "postbackData": "p" * 2049}}]),
    _content(text="a", suggestions=[{"reply": {"text": "ok", "postback": "typo"}}]),
    _content(text="a", suggestions=[{**REPLY, **ACTION}]),
    _content(text="a", suggestions=[{"action": {"text": "Act"}}]),
    _content(text="a", suggestions=[{"action": {"text": "Call", "dialAction": {"phoneNumber": "555-1212"}}}]),
    _content(text="a", suggestions=[{"action": {"text": "Open", "openUrlAction": {}}}]),
    _content(text="a", suggestions=[{"action": {"text": "Go", "viewLocationAction": {"latLong": {"latitude": 91}}}}]),
    _content(richCard={"standaloneCard": {**STANDALONE, "thumbnailImageAlignment": None}}),
    _content(richCard={"standaloneCard": {"cardContent": CARD}}),
    _content(richCard={"standaloneCard": STANDALONE, "carouselCard": CAROUSEL}),
    _card(title="x" * 201),
    _card(description="x" * 2001),
    _card(),
    _card(title="t", suggestions=[REPLY] * 5),
    _card(media={"height": "MEDIUM"}),
    _card(media={**MEDIA, "fileName": "files/x"}),
    _card(media={"contentInfo": {"fileUrl": "/relative.png"}}),
    _content(richCard={"carouselCard": {"cardWidth": "MEDIUM", "cardContents": [CARD]}}),
    _content(richCard={"carouselCard": {"cardWidth": "MEDIUM", "cardContents": [CARD] * 11}}),
    _content(richCard={"carouselCard": {"cardContents": [CARD, CARD]}}),
    _content(
        richCard={
            "carouselCard": {"cardWidth": "SMALL", "cardContents": [{"media": {**MEDIA, "height": "TALL"}}, CARD]}
        }
    ),
    {**TEXT, "messageTrafficType": "SPAM"},
    {**TEXT, "ttl": "60s", "expireTime": "2999-01-01T00:00:00Z"},
    {**TEXT, "ttl": "60"},
    {**TEXT, "ttl": f"{16 * 86400}s"},
    {**TEXT, "expireTime": "2000-01-01T00:00:00Z"},
    {**TEXT, "expireTime": "2999-01-01T00:00:00Z"},
    {**TEXT, "expireTime": "tomorrow"},
    _content(text=5),
    _content(uploadedRbmFile={"thumbnailName": "files/t"}),
    _content(contentInfo={"fileUrl": "https://cdn.example.com/a.png", "forceRefresh": "yes"}),
    _content(text="a", suggestions=[{"action": {"text": "Go", "viewLocationAction": {}}}]),
    _content(text="a", suggestions=[{"action": {**ACTION["action"], "fallbackUrl": "not a url"}}]),
    _content(
        text="a",
        suggestions=[{"action": {"text": "Open", "openUrlAction": {"url": "https://e.x", "application": "APP"}}}],
    ),
    _content(text="a", suggestions=[{"action": {"text": "Cal", "createCalendarEventAction": {"startTime": "noon"}}}]),
    _content(
        text="a",
        suggestions=[
            {"action": {"text": "Txt", "composeAction": {"composeTextMessage": {"phoneNumber": "12", "text": "hi"}}}}
        ],
    ),
    _content(richCard={"standaloneCard": {"cardOrientation": "VERTICAL"}}),
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_each_body_rule_refuses_a_bad_body(rbm: RbmDouble, token: str, body: dict) -> None:
    response = send(rbm, token, body)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT" and response.json()["error"]["code"] == 400
    assert rbm.accepted == [] and rbm.refused[-1].status == "INVALID_ARGUMENT"


@pytest.mark.parametrize(
    ("phone", "query", "status"),
    [
        ("12223334444", {}, 400),
        ("+0123", {}, 400),
        (PHONE, {"messageId": ""}, 400),
        (PHONE, {"messageId": "42"}, 400),
        (PHONE, {"messageId": uuid.uuid4().hex}, 400),
        (PHONE, {"agentId": ""}, 400),
        (PHONE, {"agentId": "x@rbm.goog"}, 403),
    ],
)
def test_path_and_query_rules_refuse(rbm: RbmDouble, token: str, phone: str, query: dict, status: int) -> None:
    assert send(rbm, token, TEXT, phone=phone, **query).status_code == status
    assert rbm.accepted == []


def test_oversized_non_json_and_malformed_bodies_are_refused(rbm: RbmDouble, token: str) -> None:
    assert send(rbm, token, {**TEXT, "pad": "x" * 250_001}).status_code == 400
    assert "250 KB" in rbm.refused[-1].reason
    url, headers = f"{rbm.url}/v1/phones/{PHONE}/agentMessages", {"Authorization": f"Bearer {token}"}
    params = {"messageId": str(uuid.uuid4()), "agentId": AGENT}
    assert requests.post(url, params=params, data=TEXT, headers=headers, timeout=10).status_code == 400
    malformed = requests.post(url, params=params, data="{", headers={**headers, "Content-Type": "application/json"})
    assert malformed.status_code == 400 and rbm.accepted == []


def test_a_reused_message_id_is_not_delivered_twice(rbm: RbmDouble, token: str) -> None:
    message_id = str(uuid.uuid4())
    assert send(rbm, token, TEXT, messageId=message_id).status_code == 200
    again = send(rbm, token, TEXT, messageId=message_id)
    assert (again.status_code, again.json()["error"]["status"]) == (409, "ALREADY_EXISTS")
    assert send(rbm, token, TEXT, phone="+12223335555", messageId=message_id).status_code == 409
    assert send(rbm, token, TEXT, messageId=message_id.upper()).status_code == 409
    assert len(rbm.accepted) == 1


def test_phones_without_rcs_get_404_not_found(rbm: RbmDouble, token: str) -> None:
    rbm.without_rcs(PHONE)
    response = send(rbm, token, TEXT)
    assert (response.status_code, response.json()["error"]["status"]) == (404, "NOT_FOUND")
    assert rbm.accepted == [] and send(rbm, token, TEXT, phone="+12223335555").status_code == 200


def test_fail_next_fails_valid_sends_and_the_id_can_be_retried(rbm: RbmDouble, token: str) -> None:
    rbm.fail_next(1)
    message_id = str(uuid.uuid4())
    failed = send(rbm, token, TEXT, messageId=message_id)
    assert (failed.status_code, failed.json()["error"]["status"]) == (503, "UNAVAILABLE") and rbm.accepted == []
    assert send(rbm, token, TEXT, messageId=message_id).status_code == 200


def test_agent_events_are_validated_and_recorded(rbm: RbmDouble, token: str) -> None:
    def event(body: dict) -> requests.Response:
        params = {"eventId": str(uuid.uuid4()), "agentId": AGENT}
        return requests.post(
            f"{rbm.url}/v1/phones/{PHONE}/agentEvents",
            params=params,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    assert event({"eventType": "READ", "messageId": "MxUser1"}).status_code == 200
    assert event({"eventType": "IS_TYPING"}).status_code == 200
    assert [event(body).status_code for body in ({"eventType": "READ"}, {"eventType": "TYPING"}, {})] == [400] * 3
    assert [(e.event_type, e.message_id) for e in rbm.events] == [("READ", "MxUser1"), ("IS_TYPING", None)]


def test_unknown_routes_are_404(rbm: RbmDouble, token: str) -> None:
    response = requests.get(f"{rbm.url}/v1/phones/{PHONE}/agentMessages", timeout=5)
    assert response.status_code == 404 and response.json()["error"]["status"] == "NOT_FOUND"


def test_auto_receipts_push_delivered_then_read(rbm: RbmDouble, token: str, hook: WebhookStub) -> None:
    rbm.auto_receipts = True
    message_id = str(uuid.uuid4())
    send(rbm, token, TEXT, messageId=message_id)
    rbm.settle()
    assert [(e["eventType"], e["messageId"]) for e in hook.received] == [
        ("DELIVERED", message_id),
        ("READ", message_id),
    ]


# -- webhooks to the agent ---------------------------------------------------------------------------------------
def test_the_handshake_and_what_counts_as_a_good_answer(webhooks: RbmWebhooks, hook: WebhookStub) -> None:
    assert webhooks.handshake_ok(webhooks.verify(), webhooks.last_secret)
    for mode in ("json", "error"):
        hook.mode = mode
        assert not webhooks.handshake_ok(webhooks.verify(), webhooks.last_secret)


def test_user_messages_and_events_carry_the_reference_fields_signed(webhooks: RbmWebhooks, hook: WebhookStub) -> None:
    assert webhooks.text(PHONE, "hi", message_id="MxA").status_code == 200
    webhooks.suggestion(PHONE, "answer=yes", "Yes")
    webhooks.file(PHONE, "https://rcs.example/f", "image/jpeg", "cat.jpg", 1234)
    webhooks.file(PHONE, "https://rcs.example/d", "application/pdf", "doc.pdf", 99)
    webhooks.location(PHONE, 37.4, -122.1)
    webhooks.event(PHONE, "IS_TYPING", "ignored")
    text, tap, image, pdf, where, typing = hook.received
    assert set(text) == {"senderPhoneNumber", "messageId", "sendTime", "agentId", "text"} and text["messageId"] == "MxA"
    assert tap["suggestionResponse"] == {"postbackData": "answer=yes", "text": "Yes", "type": "REPLY"}
    assert image["userFile"]["payload"] == {
        "mimeType": "image/jpeg",
        "fileSizeBytes": 1234,
        "fileUri": "https://rcs.example/f",
        "fileName": "cat.jpg",
    }
    assert "thumbnail" in image["userFile"] and "thumbnail" not in pdf["userFile"]
    assert where["location"] == {"latitude": 37.4, "longitude": -122.1}
    assert typing["eventType"] == "IS_TYPING" and "messageId" not in typing and typing["eventId"]
    assert {"data", "messageId", "publishTime"} <= set(hook.envelopes[0]["message"]) and hook.envelopes[0][
        "subscription"
    ]


def test_push_can_forge_a_signature(webhooks: RbmWebhooks, hook: WebhookStub) -> None:
    assert webhooks.push({"text": "x"}, signature="forged").status_code == 403 and hook.received == []
    with pytest.raises(ValueError):
        webhooks.event(PHONE, "OPENED", "m")
