"""Talk to a real action server over its webhook, as Rasa does."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, List

import requests
import yaml

from bot.launcher import ROOT, Service, action_server
from tests.helpers import ACTION_TOKEN

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
DOMAIN_SLOTS = [*DOMAIN["slots"], "requested_slot"]


def start_action_server(port: int, log_dir: Path, env: Dict[str, str]) -> Service:
    # Limits of its own: failed proofs of another test's server must not lock this one's orders.
    own = {"ACTION_SERVER_TOKEN": ACTION_TOKEN, "LIMITS_DATABASE_URL": f"sqlite:///{log_dir / 'limits.db'}"}
    service = action_server("127.0.0.1", port, log_dir, {**own, **env})
    service.start().wait_until_up(time.monotonic() + 60)
    return service


def tracker_payload(
    sender: str, slots: Dict[str, Any], new_slots: Dict[str, Any], text: str, channel: str
) -> Dict[str, Any]:
    now = time.time()
    latest = {"text": text, "intent": {"name": "inform", "confidence": 1.0}, "entities": [],
              "message_id": f"{sender}-{time.monotonic_ns()}"}  # fmt: skip
    events = [{"event": "user", "text": text, "timestamp": now, "parse_data": latest, "input_channel": channel}]
    events += [{"event": "slot", "name": name, "value": value, "timestamp": now} for name, value in new_slots.items()]
    return {
        "sender_id": sender,
        "slots": {**{name: None for name in DOMAIN_SLOTS}, **slots, **new_slots},
        "latest_message": latest,
        "latest_event_time": now,
        "followup_action": None,
        "paused": False,
        "latest_input_channel": channel,
        "active_loop": {},
        "latest_action": {"action_name": "action_listen"},
        "latest_action_name": "action_listen",
        "events": events,
    }


def run_action(
    base_url: str,
    action: str,
    slots: Dict[str, Any],
    sender: str = "tester",
    text: str = "hi",
    channel: str = "rest",
    new_slots: Dict[str, Any] | None = None,
    timeout: float = 30,
) -> Dict[str, Any]:
    """POST one action call; returns the action server's JSON answer.

    ``new_slots`` are set after the customer's message, as slot mappings would
    (they are what a form validation action validates)."""
    payload = {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.2",
        "tracker": tracker_payload(sender, slots, new_slots or {}, text, channel),
        "domain": DOMAIN,
    }
    reply = requests.post(f"{base_url}/webhook", json=payload, timeout=timeout,
                          headers={"Authorization": f"Bearer {ACTION_TOKEN}"})  # fmt: skip
    assert reply.status_code == 200, reply.text
    return reply.json()


def responses(answer: Dict[str, Any]) -> List[str]:
    return [r.get("response") for r in answer.get("responses", [])]


def slot_sets(answer: Dict[str, Any]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in answer.get("events", []) if e.get("event") == "slot"}
