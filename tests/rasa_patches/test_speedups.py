"""``speedups``: Rasa checks custom action responses with the schema compiled once, and reaches Rasa's verdicts.

Every check goes through ``RemoteAction._validate_action_result``, the method Rasa calls; Rasa's own is the
original captured before any patch went in."""

from __future__ import annotations

from typing import Any, List

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.rasa_guard import original

TARGET = "rasa.core.actions.action:RemoteAction._validate_action_result"
GOOD = {"events": [{"event": "slot", "name": "order_number", "value": "10023"}], "responses": [{"text": "hi"}]}
BAD = [
    {"events": "not a list"},
    {"events": [{"event": "slot", "timestamp": "yesterday"}]},
    {"events": [{"no_event_key": 1}]},
]


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_x", None)


def rasas_verdict(action: RemoteAction, response: Any) -> str:
    try:
        original(TARGET)(action, response)
        return "valid"
    except jsonschema.ValidationError as error:
        return error.message


def verdict(action: RemoteAction, response: Any) -> str:
    try:
        action._validate_action_result(response)
        return "valid"
    except jsonschema.ValidationError as error:
        return error.message


def response_corpus() -> list:
    """Responses of every event type Rasa knows, as it serialises them, and broken variants of each."""
    from rasa.shared.core import events as rasa_events

    samples = [
        rasa_events.UserUttered("hi", {"name": "greet", "confidence": 0.9}, [{"entity": "x", "value": "1"}]),
        rasa_events.ActionExecuted("utter_greet", policy="RulePolicy", confidence=1.0),
        rasa_events.SlotSet("order_number", "10023"), rasa_events.SlotSet("tags", ["a", "b"]),
        rasa_events.EntitiesAdded([{"entity": "email", "value": "a@b.c", "start": 0, "end": 5}]),
        rasa_events.BotUttered("hello", {"buttons": []}), rasa_events.ActiveLoop("order_form"),
        rasa_events.ActiveLoop(None), rasa_events.FollowupAction("action_x"), rasa_events.AllSlotsReset(),
        rasa_events.Restarted(), rasa_events.SessionStarted(), rasa_events.ConversationPaused(),
        rasa_events.ConversationResumed(), rasa_events.LoopInterrupted(True), rasa_events.ActionReverted(),
        rasa_events.UserUtteranceReverted(), rasa_events.AgentUttered("hi"), rasa_events.ReminderCancelled("r"),
        rasa_events.ActionExecutionRejected("action_x"),
    ]  # fmt: skip
    good = [event.as_dict() for event in samples]
    broken = [
        {**good[0], "text": 42}, {**good[2], "name": 7}, {k: v for k, v in good[2].items() if k != "value"},
        {**good[1], "timestamp": "now"}, {**good[4], "entities": "none"}, {"event": "no_such_event"},
        {"event": ["slot"]}, {"event": None}, "slot", {**good[0], "metadata": []},
    ]  # fmt: skip
    responses = [{"events": [event], "responses": []} for event in good + broken]
    responses += [{"events": good}, {"responses": [{"text": "a"}]}, {}, {"events": good, "responses": ["text"]},
                  {"events": good, "other": 1}, [], {"events": {"event": "slot"}}]  # fmt: skip
    return responses


def test_every_response_gets_rasas_verdict_and_rasas_error(action):
    corpus = [GOOD, *BAD, *response_corpus()]
    verdicts = [(verdict(action, response), rasas_verdict(action, response)) for response in corpus]
    for (ours, rasas), response in zip(verdicts, corpus, strict=True):
        assert ours == rasas, response
    assert sum(rasas == "valid" for _, rasas in verdicts) >= 20
    assert sum(rasas != "valid" for _, rasas in verdicts) >= 12


def test_the_response_schema_is_built_once_not_for_every_response(action, monkeypatch):
    """Rasa's own builds the schema and re-checks it against the meta-schema on every response: half the Rasa
    process's CPU under load."""
    built: List[int] = []
    spec = RemoteAction.action_response_format_spec

    def counted() -> Any:
        built.append(1)
        return spec()

    action._validate_action_result(GOOD)  # whatever is built once, is built now
    monkeypatch.setattr(RemoteAction, "action_response_format_spec", staticmethod(counted))
    for _ in range(20):
        assert action._validate_action_result(GOOD) is True
        with pytest.raises(jsonschema.ValidationError):
            action._validate_action_result(BAD[0])
    assert built == []


def test_the_per_event_type_shortcut_accepts_only_what_the_full_schema_accepts(action):
    from bot.rasa_patches import speedups

    taken = valid = 0
    for response in response_corpus():
        rasa_valid = rasas_verdict(action, response) == "valid"
        shortcut = speedups.plainly_valid(action, response)
        assert rasa_valid or not shortcut, response
        taken, valid = taken + shortcut, valid + rasa_valid
    assert taken >= valid - 2  # nearly every valid response took the shortcut; the rest the full check
