"""The serving patches keep Rasa's behaviour: same verdicts, same errors."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, UserUttered

from bot import rasa_speedups
from bot.idempotent_messages import already_received

GOOD = {"events": [{"event": "slot", "name": "order_number", "value": "10023"}], "responses": [{"text": "hi"}]}
BAD = [{"events": "not a list"}, {"events": [{"event": "slot", "timestamp": "yesterday"}]}, {"events": [{"no_event_key": 1}]}]


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_x", None)


def test_valid_action_responses_pass_as_before(action):
    assert rasa_speedups.validate_action_result(action, GOOD) is True
    jsonschema.validate(GOOD, action.action_response_format_spec())


@pytest.mark.parametrize("response", BAD)
def test_invalid_action_responses_fail_with_rasa_s_error(action, response):
    with pytest.raises(jsonschema.ValidationError) as rasa_error:
        jsonschema.validate(response, action.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response") as ours:
        rasa_speedups.validate_action_result(action, response)
    assert ours.value.message.startswith(rasa_error.value.message)


def test_a_message_is_recognised_by_its_client_id_only():
    events = [UserUttered("hi", message_id="m-1"), ActionExecuted("action_listen")]
    assert already_received(events, "m-1")
    assert not already_received(events, "m-2")
