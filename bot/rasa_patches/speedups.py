"""Fixes for measured hot spots in Rasa 3.6's serving path.

Each fix keeps Rasa's behaviour and only removes repeated work; ``make bench``
measures the effect and docs/performance.md records it.

* Custom action responses: Rasa checks every response from the action server
  with ``jsonschema.validate``, which first re-validates the (constant) response
  schema against the JSON-Schema meta-schema. In our profile that re-check was
  about half of the Rasa process's CPU under load. Here the schema is checked
  once and its validator reused; responses are validated exactly as before and
  fail with the same error.
"""

from __future__ import annotations

from typing import Any, Dict

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_RESPONSE_VALIDATOR: Any = None


def _response_validator(action: RemoteAction) -> Any:
    global _RESPONSE_VALIDATOR
    if _RESPONSE_VALIDATOR is None:
        schema = action.action_response_format_spec()
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)
        _RESPONSE_VALIDATOR = validator_class(schema)
    return _RESPONSE_VALIDATOR


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the schema compiled once."""
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
