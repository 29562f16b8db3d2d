"""Tests of the Twilio double itself (no application involved): each rule refuses a bad request and accepts a good
one, the signature matches Twilio's documented test vector and Twilio's own helper library, callbacks are signed.
The RBM double's tests are in test_rbm_doubles.py."""

from __future__ import annotations

import re
import threading
from typing import Any, Iterator
from urllib.parse import parse_qs

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.providers import twilio_rules
from tests.providers._server import LoopbackServer, Reply, Request
from tests.providers.sms_segments import count_segments
from tests.providers.twilio import TwilioDouble, TwilioWebhooks, check_twiml_ack

ACCOUNT, TOKEN = "AC" + "a1" * 16, "auth-token-123"
NUMBER, SERVICE, USER = "+15005550006", "MG" + "b2" * 16, "+14155550100"
PUBLIC = "https://bot.example.com"


class AppStub:
    """A stand-in application: records form POSTs, checks X-Twilio-Signature with Twilio's helper library."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str], bool]] = []
        self.lock = threading.Lock()
        self.server = LoopbackServer(self.handle)
        self.server.start()

    def handle(self, request: Request) -> Reply:
        params = {k: v[0] for k, v in parse_qs(request.body.decode(), keep_blank_values=True).items()}
        public = PUBLIC + request.path + (f"?{request.query}" if request.query else "")
        valid = RequestValidator(TOKEN).validate(public, params, request.header("X-Twilio-Signature"))
        with self.lock:
            self.seen.append((public, params, valid))
        if not valid:
            return Reply(403)
        return Reply(200, b"<Response/>", {"Content-Type": "text/xml"})


@pytest.fixture
def app() -> Iterator[AppStub]:
    stub = AppStub()
    yield stub
    stub.server.stop()


@pytest.fixture
def twilio(app: AppStub) -> Iterator[TwilioDouble]:
    reach = lambda url: url.replace(PUBLIC, app.server.url)  # noqa: E731 - the public URL is proxied to the stub
    with TwilioDouble(ACCOUNT, TOKEN, [NUMBER], [SERVICE], reachable=reach) as double:
        yield double


def send(double: TwilioDouble, **form: Any) -> requests.Response:
    """POST ``form`` to Messages.json; ``auth`` and ``account`` (popped from it) default to the good ones."""
    auth, account = form.pop("auth", (ACCOUNT, TOKEN)), form.pop("account", ACCOUNT)
    url = f"{double.url}/2010-04-01/Accounts/{account}/Messages.json"
    return requests.post(url, data=form, auth=auth, timeout=10)


GOOD = {"To": USER, "From": NUMBER, "Body": "Hello"}


# -- the signature -----------------------------------------------------------------------------------------------
def test_signature_reproduces_twilios_documented_test_vector() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_rules.signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert TwilioWebhooks("12345", ACCOUNT, PUBLIC, PUBLIC).signature(url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_signature_agrees_with_twilios_helper_library() -> None:
    params = {"Body": "Ünïcode & spaces = ok?", "b": "2", "B": "1", "MediaUrl0": "https://x.example/a?b=c"}
    url = f"{PUBLIC}/twilio/sms?tenant=a%20b&x=1"
    assert twilio_rules.signature(TOKEN, url, params) == RequestValidator(TOKEN).compute_signature(url, params)


# -- accepted sends ----------------------------------------------------------------------------------------------
def test_a_valid_send_is_accepted_with_a_message_resource(twilio: TwilioDouble) -> None:
    response = send(twilio, **GOOD, StatusCallback=f"{PUBLIC}/status")
    assert response.status_code == 201
    resource = response.json()
    assert re.fullmatch(r"SM[0-9a-f]{32}", resource["sid"])
    assert resource["status"] == "queued" and resource["num_segments"] == "1" and resource["num_media"] == "0"
    assert (resource["to"], resource["from"], resource["body"]) == (USER, NUMBER, "Hello")
    assert resource["uri"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{resource['sid']}.json"
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000", resource["date_created"])
    [message] = twilio.messages_to(USER)
    assert message.sid == resource["sid"] and message.status_callback == f"{PUBLIC}/status"


def test_a_messaging_service_send_is_accepted_as_twilio_answers_it(twilio: TwilioDouble) -> None:
    resource = send(twilio, To=USER, MessagingServiceSid=SERVICE, Body="Hi").json()
    assert (resource["status"], resource["num_segments"], resource["from"]) == ("accepted", "0", None)
    assert twilio.accepted[0].messaging_service_sid == SERVICE


def test_from_and_a_messaging_service_together_are_accepted(twilio: TwilioDouble) -> None:
    resource = send(twilio, **GOOD, MessagingServiceSid=SERVICE).json()
    assert (resource["status"], resource["from"], resource["messaging_service_sid"]) == ("accepted", NUMBER, SERVICE)
    assert send(twilio, **{**GOOD, "From": "+15005550009"}, MessagingServiceSid=SERVICE).json()["code"] == 21606


def test_media_sends_are_accepted_with_an_mm_sid(twilio: TwilioDouble) -> None:
    media = ["https://cdn.example.com/a.png", "http://cdn.example.com/b.jpg"]
    resource = send(twilio, To=USER, From=NUMBER, MediaUrl=media).json()
    assert re.fullmatch(r"MM[0-9a-f]{32}", resource["sid"]) and resource["num_media"] == "2"
    assert twilio.accepted[0].media_urls == tuple(media)


@pytest.mark.parametrize("body", ["a" * 1600, "😀" * 800, "é" * 1600])
def test_bodies_up_to_1600_characters_are_accepted(twilio: TwilioDouble, body: str) -> None:
    assert send(twilio, To=USER, From=NUMBER, Body=body).status_code == 201


# -- refused sends -----------------------------------------------------------------------------------------------
LONG_URL = f"{PUBLIC}/s?" + "x" * 4000
REFUSALS = [
    ({"To": None}, 21604),
    ({"To": "4155550100"}, 21211),
    ({"To": "whatsapp:+14155550100"}, 21211),
    ({"From": None}, 21603),
    ({"From": "+15005550009"}, 21606),
    ({"From": None, "MessagingServiceSid": "MG" + "0" * 32}, 21701),
    ({"To": NUMBER}, 21266),
    ({"Body": None}, 21602),
    ({"Body": "", "From": None, "MessagingServiceSid": SERVICE}, 21619),
    ({"Body": "a" * 1601}, 21617),
    ({"Body": "😀" * 801}, 21617),
    ({"MediaUrl": ["cdn.example.com/a.png"]}, 21620),
    ({"MediaUrl": [f"https://cdn.example.com/{n}.png" for n in range(11)]}, 21623),
    ({"StatusCallback": "/status"}, 21609),
    ({"StatusCallback": "ftp://bot.example.com/status"}, 21609),
    ({"StatusCallback": "https://bad_host.example.com/status"}, 21609),
    ({"StatusCallback": "http://127.0.0.1:8000/status"}, 21609),
    ({"StatusCallback": "http://localhost/status"}, 21609),
    ({"StatusCallback": LONG_URL}, 21609),
]


@pytest.mark.parametrize(("change", "code"), REFUSALS)
def test_each_rule_refuses_a_bad_send(twilio: TwilioDouble, change: dict, code: int) -> None:
    form = {key: value for key, value in {**GOOD, **change}.items() if value is not None}
    response = send(twilio, **form)
    assert response.status_code == 400
    assert response.json() == {
        "code": code,
        "message": response.json()["message"],
        "status": 400,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
    }
    assert twilio.accepted == [] and twilio.refused[-1].code == code


@pytest.mark.parametrize("auth", [None, (ACCOUNT, "wrong"), ("AC" + "0" * 32, TOKEN)])
def test_bad_credentials_are_refused_with_401_20003(twilio: TwilioDouble, auth: tuple[str, str] | None) -> None:
    url = f"{twilio.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    response = requests.post(url, data=GOOD, auth=auth, timeout=10)
    assert (response.status_code, response.json()["code"]) == (401, 20003)
    assert twilio.accepted == []


def test_another_accounts_path_and_unknown_routes_are_404(twilio: TwilioDouble) -> None:
    assert send(twilio, account="AC" + "0" * 32, **GOOD).json()["code"] == 20404
    other = requests.post(f"{twilio.url}/2010-04-01/Accounts/{ACCOUNT}/Calls.json", auth=(ACCOUNT, TOKEN), timeout=5)
    assert (other.status_code, other.json()["code"]) == (404, 20404)
    listing = requests.get(
        f"{twilio.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json", auth=(ACCOUNT, TOKEN), timeout=5
    )
    assert listing.status_code == 405


def test_a_json_body_carries_no_parameters(twilio: TwilioDouble) -> None:
    url = f"{twilio.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    response = requests.post(url, json=GOOD, auth=(ACCOUNT, TOKEN), timeout=10)
    assert response.json()["code"] == 21604 and "form-urlencoded" in twilio.refused[-1].reason


def test_opted_out_numbers_get_21610_until_they_opt_in(twilio: TwilioDouble) -> None:
    twilio.opt_out(USER)
    assert send(twilio, **GOOD).json()["code"] == 21610
    twilio.opt_in(USER)
    assert send(twilio, **GOOD).status_code == 201
    assert len(twilio.accepted) == 1


def test_fail_next_fails_valid_sends_like_an_outage(twilio: TwilioDouble) -> None:
    twilio.fail_next(2)
    assert send(twilio, To="bad").json()["code"] == 21211  # an invalid send is still refused for its own reason
    outages = [send(twilio, **GOOD) for _ in range(2)]
    assert [(r.status_code, r.json()["code"]) for r in outages] == [(503, 20503), (503, 20503)]
    assert twilio.accepted == []
    assert send(twilio, **GOOD).status_code == 201


# -- segments ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("", 0),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("{" * 80, 1),
        ("{" * 81, 2),
        ("a" * 152 + "€" + "a" * 152, 3),
        ("é" * 160, 1),
        ("…" * 70, 1),
        ("…" * 71, 2),
        ("…" * 134, 2),
        ("…" * 135, 3),
        ("😀" * 35, 1),
        ("😀" * 36, 2),
        ("a" * 159 + "’", 3),
    ],
)
def test_segments_follow_gsm7_and_ucs2_rules(body: str, segments: int) -> None:
    assert count_segments(body) == segments


def test_the_resource_reports_the_segment_count(twilio: TwilioDouble) -> None:
    assert send(twilio, To=USER, From=NUMBER, Body="a" * 161).json()["num_segments"] == "2"


# -- status callbacks --------------------------------------------------------------------------------------------
def test_report_status_posts_a_signed_callback_to_the_url_given(twilio: TwilioDouble, app: AppStub) -> None:
    callback = f"{PUBLIC}/twilio/status?tenant=a&attempt=1"
    sid = send(twilio, **GOOD, StatusCallback=callback).json()["sid"]
    response = twilio.report_status(sid, "undelivered", error_code=30003)
    assert response.status_code == 200
    [(url, params, valid)] = app.seen
    assert valid and url == callback
    assert params == {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": "undelivered",
        "SmsStatus": "undelivered",
        "AccountSid": ACCOUNT,
        "From": NUMBER,
        "To": USER,
        "ApiVersion": "2010-04-01",
        "ErrorCode": "30003",
    }


def test_auto_status_posts_each_status_in_order(twilio: TwilioDouble, app: AppStub) -> None:
    twilio.auto_status = ["sent", "delivered"]
    send(twilio, To=USER, MessagingServiceSid=SERVICE, Body="x", StatusCallback=f"{PUBLIC}/status")
    send(twilio, **GOOD)  # no StatusCallback: no callbacks
    twilio.settle()
    assert [(params["MessageStatus"], valid) for _, params, valid in app.seen] == [("sent", True), ("delivered", True)]
    assert app.seen[0][1]["MessagingServiceSid"] == SERVICE


def test_report_status_refuses_what_twilio_would_never_send(twilio: TwilioDouble) -> None:
    sid = send(twilio, **GOOD).json()["sid"]
    with pytest.raises(ValueError):
        twilio.report_status(sid, "delivered")  # no StatusCallback was given
    with pytest.raises(ValueError):
        twilio.report_status(sid, "arrived")


# -- webhooks to the application ---------------------------------------------------------------------------------
def test_inbound_posts_twilios_parameters_signed_over_the_public_url(app: AppStub) -> None:
    hooks = TwilioWebhooks(TOKEN, ACCOUNT, PUBLIC, app.server.url)
    media = [("https://api.twilio.com/2010-04-01/Accounts/x/Media/ME1", "image/jpeg")]
    response = hooks.inbound("/twilio/sms", USER, NUMBER, "hi", media, messaging_service_sid=SERVICE, query="t=1")
    check_twiml_ack(response)
    [(url, params, valid)] = app.seen
    assert valid and url == f"{PUBLIC}/twilio/sms?t=1"
    assert re.fullmatch(r"MM[0-9a-f]{32}", params["MessageSid"]) and params["SmsSid"] == params["SmsMessageSid"]
    assert {k: params[k] for k in ("From", "To", "Body", "NumMedia", "NumSegments", "SmsStatus", "ApiVersion")} == {
        "From": USER,
        "To": NUMBER,
        "Body": "hi",
        "NumMedia": "1",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    assert (params["MediaUrl0"], params["MediaContentType0"], params["MessagingServiceSid"]) == (*media[0], SERVICE)


def test_post_signed_can_forge_a_signature(app: AppStub) -> None:
    hooks = TwilioWebhooks(TOKEN, ACCOUNT, PUBLIC, app.server.url)
    assert hooks.post_signed("/twilio/sms", {"Body": "x"}, signature="forged=").status_code == 403
    assert app.seen[-1][2] is False


def _response(status: int, body: bytes, content_type: str | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, body
    if content_type:
        response.headers["Content-Type"] = content_type
    return response


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (204, b"", None),
        (200, b"", "text/plain"),
        (200, b"<Response/>", "text/xml; charset=utf-8"),
        (200, b'<?xml version="1.0"?><Response><Message>hi</Message></Response>', "application/xml"),
    ],
)
def test_check_twiml_ack_accepts_what_twilio_accepts(status: int, body: bytes, content_type: str | None) -> None:
    check_twiml_ack(_response(status, body, content_type))


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (500, b"", None),
        (302, b"", None),
        (200, b'{"ok": true}', "application/json"),
        (200, b"<Response/>", "text/html"),
        (200, b"<Reply/>", "text/xml"),
        (200, b"<Response>", "text/xml"),
        (200, b"<Response><Say>hi</Say></Response>", "text/xml"),
    ],
)
def test_check_twiml_ack_refuses_what_twilio_refuses(status: int, body: bytes, content_type: str | None) -> None:
    with pytest.raises(AssertionError):
        check_twiml_ack(_response(status, body, content_type))
