"""mailcatcher's web page and JSON API, over HTTP against the running server."""

from __future__ import annotations

import re
import smtplib
import time

import pytest
import requests

from tests.mailcatcher.conftest import TOKEN, stored
from tests.mailcatcher.mail import BOT, CUSTOMER, GOOD_HEADERS, raw

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
SCRIPT = "<script>alert(1)</script>"


def send(server, message: bytes = None, to: str = CUSTOMER) -> None:
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as smtp:
        smtp.sendmail(BOT, [to], message or raw())


def test_health_needs_no_token(mailcatcher):
    reply = requests.get(f"{mailcatcher.http_url}/health", timeout=10)
    assert (reply.status_code, reply.json()) == (200, {"status": "ok"})


@pytest.mark.parametrize("path", ["/", "/api/messages", "/api/messages/1", "/api/messages/1/raw", "/messages/1"])
@pytest.mark.parametrize(
    "credential",
    [
        {},
        {"headers": {"Authorization": "Bearer wrong-token"}},
        {"headers": {"Authorization": TOKEN}},  # not a Bearer credential
        {"params": {"token": "wrong-token"}},
        {"cookies": {"mailcatcher_token": "forged"}},
    ],
    ids=["none", "wrong-bearer", "not-bearer", "wrong-query", "forged-cookie"],
)
def test_every_route_needs_the_token(mailcatcher, path, credential):
    send(mailcatcher)
    reply = requests.get(f"{mailcatcher.http_url}{path}", timeout=10, **credential)
    assert reply.status_code == 401
    assert reply.json()["error"] == "unauthorized"
    assert "set-cookie" not in reply.headers


def test_clearing_needs_the_token(mailcatcher):
    send(mailcatcher)
    assert requests.delete(f"{mailcatcher.http_url}/api/messages", timeout=10).status_code == 401
    assert len(stored(mailcatcher)) == 1


def test_the_token_in_the_address_sets_a_strict_http_only_cookie_for_the_links(mailcatcher):
    send(mailcatcher)
    browser = requests.Session()
    page = browser.get(f"{mailcatcher.http_url}/", params={"token": TOKEN}, timeout=10)
    assert page.status_code == 200
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"mailcatcher_token={TOKEN};") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    link = re.search(r'href="(/messages/\d+)"', page.text).group(1)
    assert browser.get(f"{mailcatcher.http_url}{link}", timeout=10).status_code == 200


def test_every_response_carries_the_security_headers(mailcatcher):
    for reply in (
        requests.get(f"{mailcatcher.http_url}/", headers=mailcatcher.auth_headers, timeout=10),
        requests.get(f"{mailcatcher.http_url}/", timeout=10),
        requests.get(f"{mailcatcher.http_url}/api/messages/424242", headers=mailcatcher.auth_headers, timeout=10),
    ):
        assert reply.headers["Content-Security-Policy"] == CSP
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "no-referrer"


def test_the_pages_escape_what_a_message_says(mailcatcher):
    headers = GOOD_HEADERS.replace("Subject: Your order 10023", f"Subject: {SCRIPT}").replace(
        "text/plain; charset=us-ascii", "text/html; charset=us-ascii"
    )
    send(mailcatcher, raw(headers, body=f'<p onclick="x()">Hi</p>{SCRIPT}\r\n'))
    index = requests.get(f"{mailcatcher.http_url}/", headers=mailcatcher.auth_headers, timeout=10)
    assert SCRIPT not in index.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in index.text
    message_id = stored(mailcatcher)[0]["id"]
    page = requests.get(f"{mailcatcher.http_url}/messages/{message_id}", headers=mailcatcher.auth_headers, timeout=10)
    assert page.status_code == 200
    assert "<script" not in page.text and 'onclick="' not in page.text
    # The HTML body is only ever inside a sandboxed iframe's srcdoc (escaped) and a <pre> (escaped).
    assert re.search(r'<iframe sandbox="" srcdoc="&lt;p onclick=&quot;x\(\)&quot;&gt;Hi&lt;/p&gt;&lt;script', page.text)


def test_the_api_lists_messages_newest_first_without_the_raw_bytes(mailcatcher):
    send(mailcatcher, raw(GOOD_HEADERS.replace("order 10023", "first")))
    send(mailcatcher, raw(GOOD_HEADERS.replace("order 10023", "second")))
    messages = stored(mailcatcher)
    assert [m["subject"] for m in messages] == ["Your second", "Your first"]
    assert set(messages[0]) == {
        "id", "received_at", "mail_from", "rcpt_to", "message_id", "in_reply_to", "references", "from", "to",
        "subject", "date", "text", "html", "attachments", "headers", "problems", "raw_url",
    }  # fmt: skip


def test_the_api_filters_by_recipient_and_time(mailcatcher):
    send(mailcatcher, to="early@example.org")
    time.sleep(0.05)
    since = time.time()
    send(mailcatcher, to="Late@Example.org")
    assert [m["rcpt_to"] for m in stored(mailcatcher, to="late@example.org")] == [["Late@Example.org"]]
    assert [m["rcpt_to"] for m in stored(mailcatcher, since=since)] == [["Late@Example.org"]]
    # To: in the header counts as much as the envelope.
    assert len(stored(mailcatcher, to=CUSTOMER)) == 2
    assert stored(mailcatcher, to="nobody@example.org") == []


def test_one_message_and_its_raw_bytes(mailcatcher):
    message = raw()
    send(mailcatcher, message)
    listed = stored(mailcatcher)[0]
    one = requests.get(f"{mailcatcher.http_url}/api/messages/{listed['id']}", headers=mailcatcher.auth_headers,
                       timeout=10)  # fmt: skip
    assert one.json() == listed
    raw_reply = requests.get(f"{mailcatcher.http_url}{listed['raw_url']}", headers=mailcatcher.auth_headers, timeout=10)
    assert raw_reply.headers["content-type"] == "message/rfc822"
    assert raw_reply.content == message


@pytest.mark.parametrize("path", ["/api/messages/424242", "/api/messages/424242/raw", "/messages/424242",
                                  "/api/messages/99999999999999999999999", "/api/messages/abc"])  # fmt: skip
def test_an_unknown_message_is_404(mailcatcher, path):
    reply = requests.get(f"{mailcatcher.http_url}{path}", headers=mailcatcher.auth_headers, timeout=10)
    assert reply.status_code == 404
    assert reply.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("query", [{"since": "abc"}, {"since": "nan"}, {"since": "inf"}, {"limit": "0"},
                                   {"limit": "x"}, {"to": "x" * 400}])  # fmt: skip
def test_bad_query_parameters_are_400(mailcatcher, query):
    reply = requests.get(f"{mailcatcher.http_url}/api/messages", params=query, headers=mailcatcher.auth_headers,
                         timeout=10)  # fmt: skip
    assert reply.status_code == 400 and reply.json()["error"] == "bad_request"


def test_delete_clears_every_message(mailcatcher):
    send(mailcatcher)
    send(mailcatcher)
    reply = requests.delete(f"{mailcatcher.http_url}/api/messages", headers=mailcatcher.auth_headers, timeout=10)
    assert reply.json() == {"deleted": 2}
    assert stored(mailcatcher) == []
