"""The hand-off's way into a conversation, inside the Rasa server (``/webhooks/handoff/...``).

The desk never talks to a customer's provider itself: it applies a ticket's side effects here, and here they
go through the conversation's own channel, as the bot's words do. Conversation ids travel in the JSON body,
never in a URL path, so ``+15552014477``, e-mail addresses, spaces and non-ASCII ids arrive as they are.

- ``POST /webhooks/handoff/transcript`` ``{"conversation_id"}``: every event of the conversation (all
  sessions), its latest channel and what that channel can show.
- ``POST /webhooks/handoff/effects`` ``{"id", "conversation_id", "kind", "channel", "text", "agent"}``:
  ``pause`` (the bot goes silent), ``agent_message`` (written to the tracker, then sent on the customer's
  channel: queued for SMS/RCS, pushed to the web-chat socket, polled by REST clients) and ``handback`` (the bot
  resumes and takes the hand-back intent, so its welcome-back and satisfaction question go out on that channel).

Each effect is applied at most once however often it is sent (its id is on the events it wrote and keys what
it queued), so the desk can retry until it hears "applied". Every call needs ``Authorization: Bearer
<RASA_AUTH_TOKEN>``.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Sequence, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, ConversationResumed, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.capabilities import describe
from bot.channels.delivery import KeyScope, delivery_keys
from bot.channels.inbound import is_storable
from bot.rasa_patches.idempotent_messages import client_message_id
from privacy.credentials import bearer, same_secret

logger = logging.getLogger(__name__)

HANDBACK_INTENT = "EXTERNAL_handback"
KINDS = ("pause", "agent_message", "handback")
MAX_ID_CHARS = 255
MAX_TEXT_CHARS = 10_000


class BadEffect(ValueError):
    """The request is not an effect this gateway applies; the text says why."""


@dataclass(frozen=True)
class Effect:
    id: str
    conversation_id: str
    kind: str
    channel: str | None = None  # the ticket's channel: used when the conversation has none on record
    text: str | None = None
    agent: str | None = None


def _string(body: Dict[str, Any], key: str, required: bool, limit: int) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > limit or not is_storable(value):
        raise BadEffect(f"'{key}' must be a string of 1 to {limit} characters (valid Unicode)")
    return value


def parse_body(body: bytes) -> Dict[str, Any]:
    try:
        data = json.loads((body or b"").decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadEffect("body must be UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise BadEffect("body must be a JSON object")
    return data


def parse_effect(body: bytes) -> Effect:
    data = parse_body(body)
    kind = data.get("kind")
    if kind not in KINDS:
        raise BadEffect(f"'kind' must be one of {', '.join(KINDS)}")
    message = kind == "agent_message"
    return Effect(
        id=_string(data, "id", True, MAX_ID_CHARS) or "",
        conversation_id=_string(data, "conversation_id", True, MAX_ID_CHARS) or "",
        kind=kind,
        channel=_string(data, "channel", False, 32),
        text=_string(data, "text", message, MAX_TEXT_CHARS),
        agent=_string(data, "agent", message, 100),
    )


def output_for(channels: Sequence[InputChannel], name: str | None) -> OutputChannel:
    """The channel's own way to reach a customer later (Rasa's ``get_output_channel``); REST and anything
    without one collect, and the customer fetches it from the tracker."""
    for channel in channels:
        if channel.name() == name:
            output = channel.get_output_channel()
            if output is not None:
                return output
    return CollectingOutputChannel()


class HandoffGateway(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "handoff"

    @classmethod
    def from_credentials(cls, credentials: Dict[Text, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        gateway = Blueprint("handoff_gateway", __name__)

        def refused(request: Request) -> HTTPResponse | None:
            token = os.environ.get("RASA_AUTH_TOKEN", "")
            if not token:
                return response.json({"error": "not_configured", "detail": "RASA_AUTH_TOKEN is not set"}, status=503)
            if not same_secret(bearer(request.headers.get("authorization")), token):
                return response.json({"error": "unauthorized"}, status=401)
            return None

        @gateway.route("/transcript", methods=["POST"])
        async def transcript(request: Request) -> HTTPResponse:
            if (denied := refused(request)) is not None:
                return denied
            try:
                conversation_id = _string(parse_body(request.body), "conversation_id", True, MAX_ID_CHARS) or ""
            except BadEffect as bad:
                return response.json({"error": "bad_request", "detail": str(bad)}, status=400)
            tracker = await request.app.ctx.agent.tracker_store.retrieve_full_tracker(conversation_id)
            events = [] if tracker is None else [event.as_dict() for event in tracker.events]
            channel = tracker.get_latest_input_channel() if tracker is not None else None
            return response.json(
                {
                    "conversation_id": conversation_id,
                    "channel": channel,
                    "capabilities": describe(channel),
                    "events": events,
                }
            )

        @gateway.route("/effects", methods=["POST"])
        async def effects(request: Request) -> HTTPResponse:
            if (denied := refused(request)) is not None:
                return denied
            try:
                effect = parse_effect(request.body)
            except BadEffect as bad:
                return response.json({"error": "bad_request", "detail": str(bad)}, status=400)
            channels: List[InputChannel] = getattr(request.app.ctx, "input_channels", None) or []
            applied = await apply_effect(request.app.ctx.agent, channels, effect)
            return response.json({"id": effect.id, "applied": applied})

        return gateway


def routed_channel(ticket_channel: str | None, latest: str | None) -> str | None:
    """Where the customer is reached: the ticket's channel, or, for a phone, whichever of SMS and RCS they last
    wrote on. A message that arrived on another channel under the same id (a REST post naming a customer's
    phone number) does not move their conversation there."""
    phone = ("sms", "rcs")
    if ticket_channel in phone and latest in phone:
        return latest
    return ticket_channel or latest


def _wrote(events: Sequence[Any], effect_id: str) -> bool:
    """Whether an earlier delivery of this effect already wrote to the conversation."""
    for event in events:
        if isinstance(event, BotUttered) and (event.metadata or {}).get("delivery_id") == effect_id:
            return True
        if isinstance(event, UserUttered) and event.message_id == effect_id:
            return True
    return False


async def apply_effect(agent: Any, channels: Sequence[InputChannel], effect: Effect) -> bool:
    """Apply ``effect``; False when it had been applied before (nothing new happens)."""
    cid = effect.conversation_id
    delivery_keys.set(KeyScope(f"effect:{effect.id}"))
    async with agent.lock_store.lock(cid):
        tracker = await agent.processor.get_tracker(cid)
        channel = routed_channel(effect.channel, tracker.get_latest_input_channel())
        already = _wrote(tracker.events, effect.id)
        if effect.kind == "pause":
            if tracker.is_paused():
                return False
            tracker.update(ConversationPaused())
            await agent.tracker_store.save(tracker)
            return True
        if effect.kind == "agent_message":
            said = BotUttered(effect.text, metadata={"agent": effect.agent, "delivery_id": effect.id})
            if not already:
                tracker.update(said)
                await agent.tracker_store.save(tracker)
        elif not already and tracker.is_paused():
            # The bot paused right after handing over, without listening: resume it and record the listen, so
            # the hand-back is a fresh turn the rules recognise.
            tracker.update(ConversationResumed())
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
            await agent.tracker_store.save(tracker)
    output = output_for(channels, channel)
    if effect.kind == "agent_message":
        # Always sent: the outbound queue keys it by the effect, so a repeat queues nothing new.
        await output.send_response(cid, said.message())
        return not already
    if already:
        return False
    client_message_id.set(effect.id)  # taken once, even if two deliveries race (idempotent_messages)
    await agent.handle_message(
        UserMessage(
            f"/{HANDBACK_INTENT}",
            output,
            cid,
            input_channel=channel,
            metadata={"handoff": "handback"},
            message_id=effect.id,
        )
    )
    return True
