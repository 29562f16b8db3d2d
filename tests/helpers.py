"""Assertion helpers shared by the end-to-end tests."""

from __future__ import annotations

import time
from typing import Dict, List

import requests

from bot.launcher import Stack

API_TOKEN = "test-token"
ACTION_TOKEN = "action-server-test-token"  # ACTION_SERVER_TOKEN of every action server the tests start
REFERENCE_TOKEN = "reference-test-token"
REST_KEY = "rest-api-test-key"  # REST_API_KEY of the stacks the tests start
REST_HEADERS = {"Authorization": f"Bearer {REST_KEY}"}  # REFERENCE_API_TOKEN of the reference services the tests start


def texts(messages: List[Dict]) -> str:
    """All bot text of a turn as one string, for readable assertions."""
    return "\n".join(m.get("text") or "" for m in messages)


def button_payloads(messages: List[Dict]) -> List[str]:
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


def tracker(stack: Stack, conversation_id: str) -> Dict:
    reply = requests.get(
        f"{stack.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": API_TOKEN},
        timeout=10,
    )
    reply.raise_for_status()
    return reply.json()


def handed_over(text: str) -> bool:
    """The bot told the customer a person will take over (queue position, or when the team is back)."""
    return "in the queue" in text or "offline right now" in text


class Desk:
    def __init__(self, url: str, agent: str, password: str) -> None:
        self.url = url
        self.session = requests.Session()
        reply = self.session.post(f"{url}/desk/api/login", json={"agent": agent, "password": password}, timeout=10)
        reply.raise_for_status()
        # Signed in by cookie, like the page: every change carries the session's CSRF token.
        self.session.headers["X-CSRF-Token"] = reply.json()["csrf"]

    def tickets(self) -> List[Dict]:
        return self.session.get(f"{self.url}/desk/api/tickets", timeout=10).json()["tickets"]

    def ticket_for(self, conversation_id: str, timeout: float = 10) -> Dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ticket in self.tickets():
                if ticket["conversation_id"] == conversation_id:
                    return ticket
            time.sleep(0.05)
        raise AssertionError(f"no ticket for {conversation_id}")

    def view(self, ticket_id: int) -> Dict:
        return self.session.get(f"{self.url}/desk/api/tickets/{ticket_id}", timeout=10).json()

    def post(self, ticket_id: int, action: str, **body) -> requests.Response:
        return self.session.post(f"{self.url}/desk/api/tickets/{ticket_id}/{action}", json=body, timeout=20)
