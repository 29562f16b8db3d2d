"""Assertion helpers shared by the end-to-end tests."""

from __future__ import annotations

from typing import Dict, List

import requests

from bot.launcher import Stack

API_TOKEN = "test-token"


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
