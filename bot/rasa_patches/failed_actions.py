"""A custom action that fails gets the customer an apology and a way to a person, never silence.

When a call to the action server fails - unreachable, a 5xx, a timeout, a
malformed response - Rasa 3.6 logs the error, drops the action's events and
carries on: usually straight to ``action_listen``, so the customer gets an
empty reply. The REST channel then answers every resend of that message with
the same empty reply (the turn is stored; ``idempotent_messages``), so in our
soak run 65 customers resent for 90 s and gave up, all of them after
PostgreSQL came back from a 5 s stop while the action server was still
catching up.

Here, when a custom action (or a form's validation call) fails, Rasa's own
handling runs unchanged, then the bot says ``utter_action_failed`` - a
response in domain.yml, so designers own the words - and listens. The turn is
stored with the apology, so a resend is answered with it too.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any, List

from rasa.core.actions.action import ActionExecutionRejection, ActionListen, RemoteAction, action_for_name_or_text
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import Event

from bot.rasa_guard import RASA_3_6, Patch

logger = logging.getLogger(__name__)

APOLOGY = "utter_action_failed"

# Set, in the task running a turn, when a call to the action server raised.
_failed_action: contextvars.ContextVar[str | None] = contextvars.ContextVar("failed_action", default=None)

_rasa_remote_run = RemoteAction.run
_rasa_run_action = MessageProcessor._run_action


async def remote_run_noting_failure(self: RemoteAction, *args: Any, **kwargs: Any) -> List[Event]:
    try:
        return await _rasa_remote_run(self, *args, **kwargs)
    except ActionExecutionRejection:  # a form rejecting input: part of the dialogue, not a failure
        raise
    except Exception:
        _failed_action.set(self.name())
        raise


async def run_action_or_apologise(self: MessageProcessor, action: Any, tracker: Any, output_channel: Any, nlg: Any,
                                  prediction: PolicyPrediction) -> bool:  # fmt: skip
    _failed_action.set(None)
    should_predict_another = await _rasa_run_action(self, action, tracker, output_channel, nlg, prediction)
    failed = _failed_action.get()
    if failed is None:
        return should_predict_another
    logger.warning("action %s failed in the conversation of %s; the customer is told so and offered a person",
                   failed, tracker.sender_id)  # fmt: skip
    if APOLOGY in self.domain.responses:
        apology = action_for_name_or_text(APOLOGY, self.domain, self.action_endpoint)
        await _rasa_run_action(self, apology, tracker, output_channel, nlg,
                               PolicyPrediction.for_action_name(self.domain, APOLOGY, "failed_actions"))  # fmt: skip
    else:
        logger.error("domain.yml has no %s response: the customer got no explanation", APOLOGY)
    listen = ActionListen()
    listening = PolicyPrediction.for_action_name(self.domain, listen.name(), "failed_actions")
    return await _rasa_run_action(self, listen, tracker, output_channel, nlg, listening)


def apply() -> None:
    RemoteAction.run = remote_run_noting_failure
    MessageProcessor._run_action = run_action_or_apologise


PATCH = Patch(
    name="failed_actions",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.actions.action:RemoteAction.run": "ccabf6f1160d527a",
        "rasa.core.processor:MessageProcessor._run_action": "6d383d0179ef1187",
    },
    apply=apply,
)
