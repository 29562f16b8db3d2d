"""The desk as an attacker meets it: guessed passwords, another site's requests, a stolen-then-signed-out
session, agents acting on each other's conversations, and input meant to break it."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid

import requests

from bot.launcher import ROOT
from tests.conftest import DESK_AGENT, DESK_PASSWORD
from tests.helpers import Desk


def login(stack, agent: str, password: str, **headers: str) -> requests.Response:
    return requests.post(f"{stack.desk_url}/desk/api/login", json={"agent": agent, "password": password},
                         headers=headers, timeout=10)  # fmt: skip


def test_guessing_a_password_locks_the_name_out_even_for_the_right_one(stack):
    name = f"ghost-{uuid.uuid4().hex[:6]}"
    answers = [login(stack, name, f"guess-{n}").status_code for n in range(7)]
    assert answers[:5] == [401] * 5 and answers[5:] == [429, 429]
    locked = login(stack, name, "anything")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0


def test_another_sites_request_is_refused_even_with_the_cookie(stack):
    desk = Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)
    evil = {"Origin": "http://evil.example"}
    assert desk.session.post(f"{stack.desk_url}/desk/api/tickets/1/claim", headers=evil, timeout=10).status_code == 403
    cross = {"Sec-Fetch-Site": "cross-site"}
    assert desk.session.post(f"{stack.desk_url}/desk/api/tickets/1/claim", headers=cross, timeout=10).status_code == 403
    assert login(stack, DESK_AGENT, DESK_PASSWORD, **evil).status_code == 403  # no login CSRF either
    # The cookie alone, without the page's CSRF token, changes nothing.
    bare = requests.Session()
    bare.cookies.update(desk.session.cookies)
    assert bare.post(f"{stack.desk_url}/desk/api/tickets/1/claim", timeout=10).status_code == 403
    assert bare.get(f"{stack.desk_url}/desk/api/tickets", timeout=10).status_code == 200  # reading is fine


def test_an_integration_with_the_bearer_token_needs_no_csrf_token(stack):
    token = login(stack, DESK_AGENT, DESK_PASSWORD).json()["token"]
    reply = requests.post(f"{stack.desk_url}/desk/api/tickets/2147483647/claim",
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)  # fmt: skip
    assert reply.status_code == 404  # past the checks: there is no such ticket


def test_signing_out_ends_the_session_for_good(stack):
    desk = Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)
    stolen = desk.session.cookies.get("desk_session")
    assert desk.session.post(f"{stack.desk_url}/desk/api/logout", timeout=10).status_code == 200
    replay = requests.get(f"{stack.desk_url}/desk/api/tickets", cookies={"desk_session": stolen}, timeout=10)
    assert replay.status_code == 401


def test_the_cookie_and_the_page_are_locked_down(stack):
    reply = login(stack, DESK_AGENT, DESK_PASSWORD)
    cookie = reply.headers["Set-Cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
    assert "secure" not in cookie  # plain HTTP on loopback; behind HTTPS it is Secure (DESK_BEHIND_HTTPS)
    page = requests.get(f"{stack.desk_url}/desk", timeout=10)
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy.split(
        "script-src")[1].split(";")[0]  # fmt: skip
    assert page.headers["X-Frame-Options"] == "DENY" and "<script>" not in page.text
    assert requests.get(f"{stack.desk_url}/desk/desk.js", timeout=10).status_code == 200


def test_an_agent_cannot_close_anothers_conversation_but_a_supervisor_can_take_it_over(stack, chat, conversation_id):
    chat("I want to talk to a human")
    sam = Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)
    kim = Desk(stack.desk_url, "kim", "other-pass")
    lee = Desk(stack.desk_url, "lee", "lee-pass")
    ticket = sam.ticket_for(conversation_id)
    assert sam.post(ticket["id"], "claim").status_code == 200
    assert kim.post(ticket["id"], "resolve").status_code == 409
    assert kim.post(ticket["id"], "reply", text="hi").status_code == 409
    assert kim.post(ticket["id"], "takeover").status_code == 403
    assert lee.post(ticket["id"], "takeover").json()["assigned_to"] == "lee"
    assert sam.post(ticket["id"], "reply", text="still me?").status_code == 409
    assert lee.post(ticket["id"], "resolve").json()["status"] == "resolved"


def test_input_meant_to_break_the_desk_gets_a_clear_error(stack):
    desk = Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)
    base = f"{stack.desk_url}/desk/api"
    for ticket_id in (2**63, 2**64 + 1, 0):
        assert desk.session.get(f"{base}/tickets/{ticket_id}", timeout=10).status_code == 404
        assert desk.session.post(f"{base}/tickets/{ticket_id}/claim", timeout=10).status_code == 404
    for body in (b"[]", b'"agent"', b"null", b"{", b'{"agent": 1, "password": 2}', b"[" * 3000):
        reply = requests.post(f"{base}/login", data=body, headers={"Content-Type": "application/json"}, timeout=10)
        assert reply.status_code == 400, body[:20]
    lone = b'{"agent": "sam", "password": "\\ud800"}'
    assert requests.post(f"{base}/login", data=lone, timeout=10).status_code == 401
    for token in ("é" * 30, "YWJj\u00e9", "x" * 5000):
        reply = requests.get(f"{base}/tickets", headers={"Authorization": f"Bearer {token}".encode()}, timeout=10)
        assert reply.status_code == 401
    lone_text = desk.session.post(f"{base}/tickets/1/reply", data=b'{"text": "\\udc00"}', timeout=10)
    assert lone_text.status_code == 400
    assert desk.session.post(f"{base}/tickets/1/explode", timeout=10).status_code == 404


def test_the_desk_says_so_when_its_port_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "handoff.desk", "--port", str(port)], cwd=ROOT, timeout=60,
                                capture_output=True, text=True,
                                env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "RASA_AUTH_TOKEN": "t",
                                     "DESK_AGENTS": "a:b"})  # fmt: skip
    assert result.returncode == 1 and "cannot listen" in result.stderr
