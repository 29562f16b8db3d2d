"""Fixes for measured hot spots in Rasa 3.6's serving path.

Each fix keeps Rasa's behaviour and only removes repeated work; ``make bench``
measures the effect and docs/performance.md records it.

* Custom action responses: Rasa checks every response from the action server
  with ``jsonschema.validate``, which first re-validates the (constant) response
  schema against the JSON-Schema meta-schema. In our profile that re-check was
  about half of the Rasa process's CPU under load. Here the schema is checked
  once and its validator reused; responses are validated exactly as before and
  fail with the same error.
* Each event in a response is checked against all 23 event schemas of a
  ``oneOf`` (one per event type), and jsonschema builds an error object for
  each of the 22 that do not apply: 5 % of the Rasa process's CPU after the fix
  above. Every alternative pins ``event`` to a different constant, so an event
  whose ``event`` names one of them is valid exactly when it passes the common
  part and that one alternative. Responses are checked that way first; only one
  that fails (or has an event of no known type) goes through the full schema,
  which gives Rasa's verdict and Rasa's error.
"""

from __future__ import annotations

from typing import Any, Dict

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from bot.rasa_guard import RASA_3_6, Patch

_RESPONSE_VALIDATOR: Any = None


def _response_validator(action: RemoteAction) -> Any:
    global _RESPONSE_VALIDATOR
    if _RESPONSE_VALIDATOR is None:
        schema = action.action_response_format_spec()
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)
        _RESPONSE_VALIDATOR = validator_class(schema)
    return _RESPONSE_VALIDATOR


class EventValidators:
    """One validator per event type: the event schema's common part plus that type's ``oneOf`` alternative."""

    def __init__(self, event_schema: Dict[str, Any]) -> None:
        common = {key: value for key, value in event_schema.items() if key != "oneOf"}
        self.by_type: Dict[str, Any] = {}
        for alternative in event_schema.get("oneOf", []):
            name = alternative.get("properties", {}).get("event", {}).get("const")
            if not isinstance(name, str) or name in self.by_type:
                self.by_type = {}  # not the shape this shortcut relies on: every response takes the full check
                return
            schema = {**common, "allOf": [alternative]}
            self.by_type[name] = validator_for(schema)(schema)

    def valid(self, event: Any) -> bool:
        name = event.get("event") if isinstance(event, dict) else None
        validator = self.by_type.get(name) if isinstance(name, str) else None
        return validator is not None and validator.is_valid(event)


_EVENT_VALIDATORS: EventValidators | None = None


def plainly_valid(action: RemoteAction, result: Any) -> bool:
    """True only for a response the full schema accepts; False means "ask the full schema"."""
    global _EVENT_VALIDATORS
    if _EVENT_VALIDATORS is None:
        events_schema = action.action_response_format_spec()["properties"]["events"]
        _EVENT_VALIDATORS = EventValidators(events_schema.get("items", {}))
    if not isinstance(result, dict) or set(result) - {"events", "responses"}:
        return False
    events, responses = result.get("events", []), result.get("responses", [])
    return (isinstance(events, list) and isinstance(responses, list)
            and all(isinstance(response, dict) for response in responses)
            and all(_EVENT_VALIDATORS.valid(event) for event in events))  # fmt: skip


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the schema compiled once."""
    if plainly_valid(self, result):
        return True
    error = best_match(_response_validator(self).iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def apply() -> None:
    """Idempotent: patching twice changes nothing."""
    RemoteAction._validate_action_result = validate_action_result


PATCH = Patch(
    name="speedups",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.actions.action:RemoteAction._validate_action_result": "f8cdb4be68123961",
    },
    apply=apply,
)
