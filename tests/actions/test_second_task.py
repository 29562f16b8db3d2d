"""What is still to offer after the first of two tasks, decided from the conversation's events alone, and the
first step each task starts with when a "yes" takes up the offer."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import yaml

from actions.second_task import OFFERED_TASK_SLOT, pending_second_task
from actions.settings import settings

ROOT = Path(__file__).resolve().parents[2]


def user(intent: str, second: str | None = None) -> Dict[str, Any]:
    parse: Dict[str, Any] = {"intent": {"name": intent, "confidence": 0.9}}
    if second:
        parse["second_task"] = {"name": second, "confidence": 0.8}
    return {"event": "user", "parse_data": parse}


def offered(intent: str | None) -> Dict[str, Any]:
    return {"event": "slot", "name": OFFERED_TASK_SLOT, "value": intent}


def test_a_named_second_task_is_pending_until_offered_once():
    events: List[Dict[str, Any]] = [user("order_status", "invoice_request"), user("inform")]
    assert pending_second_task(events) == "invoice_request"
    assert pending_second_task([*events, offered("invoice_request")]) is None
    assert pending_second_task([*events, offered("invoice_request"), offered(None), user("affirm")]) is None


def test_asking_for_it_meanwhile_or_stopping_withdraws_it():
    assert pending_second_task([user("order_status", "invoice_request"), user("invoice_request")]) is None
    assert pending_second_task([user("order_status", "invoice_request"), user("stop")]) is None


def test_a_new_session_forgets_it_and_the_newest_two_task_message_wins():
    assert pending_second_task([user("order_status", "invoice_request"), {"event": "session_started"}]) is None
    newest = [user("order_status", "invoice_request"), user("cancel_order", "billing_dispute")]
    assert pending_second_task(newest) == "billing_dispute"


def test_without_a_second_task_nothing_is_pending():
    assert pending_second_task([user("order_status"), user("inform"), offered(None)]) is None


def rule_first_steps() -> Dict[str, str]:
    """intent -> the action a rule runs first when the customer's message is that intent, outside any form."""
    steps: Dict[str, str] = {}
    for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules") or []:
            body = rule.get("steps") or []
            if rule.get("condition") or len(body) < 2 or "intent" not in body[0]:
                continue
            actions = [s["action"] for s in body[1:] if "action" in s and s["action"] != "action_deactivate_loop"]
            if actions:
                steps.setdefault(body[0]["intent"], actions[0])
    return steps


def test_every_task_has_the_first_step_its_own_rule_starts_with():
    from_rules = rule_first_steps()
    tasks = set(settings().intent_labels)
    assert tasks == set(settings().first_steps)
    assert {task: from_rules.get(task) for task in tasks} == {task: settings().first_steps[task] for task in tasks}
