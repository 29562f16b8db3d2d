"""Start of every action run: the turn's correlation id and idempotency scope.

rasa-sdk serves every action call of one kept-alive connection in the same task, so a context set by one call
would otherwise still be there for the next - another customer's. ``TurnScoped`` starts the context afresh
from the message each run answers, for every action and form validation of the project.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.backends.context import TurnContext, set_turn


def start_turn(tracker: Tracker) -> TurnContext:
    """Identify the customer message being answered; repeated runs for the same
    message share the context (and so the idempotency keys of their writes)."""
    latest = tracker.latest_message or {}
    marker = latest.get("message_id")
    if not marker:
        user_events = [e for e in tracker.events if e.get("event") == "user"]
        marker = str(user_events[-1].get("timestamp")) if user_events else "start"
    return set_turn(tracker.sender_id or "unknown", str(marker))


def events_this_turn(tracker: Tracker) -> List[Dict[str, Any]]:
    """The events since the customer's last message (what the bot and its forms did with it so far)."""
    after: List[Dict[str, Any]] = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        after.append(event)
    return after[::-1]


def _scoped(run: Any) -> Any:
    @functools.wraps(run)
    async def scoped_run(self: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: Dict[str, Any]) -> List[Dict[str, Any]]:  # fmt: skip
        start_turn(tracker)
        return await run(self, dispatcher, tracker, domain)

    scoped_run.turn_scoped = True  # type: ignore[attr-defined]
    return scoped_run


class TurnScoped:
    """Mixin for actions: each ``run`` (a subclass's own, or the library's) starts the turn's context first."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        run = cls.__dict__.get("run")
        if run is not None and not getattr(run, "turn_scoped", False):
            cls.run = _scoped(run)  # type: ignore[attr-defined]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:  # fmt: skip
        start_turn(tracker)
        return await super().run(dispatcher, tracker, domain)  # type: ignore[misc]
