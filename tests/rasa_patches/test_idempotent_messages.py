"""``idempotent_messages``: a message a channel marked with the client's ``message_id`` is processed once by
Rasa's ``MessageProcessor.handle_message``, however often it is resent; Rasa's own runs every resend as a new
turn (the customer's "where is my order" answered twice, a refund form started twice)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import List

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.events import ActionExecuted, UserUttered

from bot.rasa_patches.idempotent_messages import already_received, client_message_id


@pytest.fixture(scope="module")
def agent(trained_model: Path) -> Agent:
    loaded = Agent.load(str(trained_model))
    loaded.tracker_store = loaded.processor.tracker_store = InMemoryTrackerStore(loaded.domain)  # type: ignore[union-attr]
    return loaded


def send(agent: Agent, sender: str, text: str, message_id: str, marked: bool) -> List[str]:
    async def turn() -> List[str]:
        if marked:
            client_message_id.set(message_id)  # as a channel does, in the task that hands the message over
        output = CollectingOutputChannel()
        await agent.handle_message(UserMessage(text, output, sender, message_id=message_id))
        return [str(message.get("text")) for message in output.messages]

    return asyncio.run(turn())


def user_messages(agent: Agent, sender: str) -> List[str]:
    tracker = asyncio.run(agent.tracker_store.retrieve(sender))
    return [event.message_id for event in tracker.events if isinstance(event, UserUttered)]


def test_a_message_is_recognised_by_its_client_id_only():
    events = [UserUttered("hi", message_id="m-1"), ActionExecuted("action_listen")]
    assert already_received(events, "m-1")
    assert not already_received(events, "m-2")


def test_a_resent_message_runs_one_turn_and_a_new_one_runs_as_usual(agent):
    first = send(agent, "resend-1", "hello", "m-1", marked=True)
    assert first  # the bot answered
    assert send(agent, "resend-1", "hello", "m-1", marked=True) == []  # the resend: nothing run, nothing said
    assert user_messages(agent, "resend-1") == ["m-1"]
    send(agent, "resend-1", "thanks", "m-2", marked=True)
    assert user_messages(agent, "resend-1") == ["m-1", "m-2"]


def test_only_ids_a_channel_marked_as_the_clients_are_checked(agent):
    """Rasa's own generated ids are never compared: a message without the mark is processed as Rasa would."""
    send(agent, "unmarked-1", "hello", "generated-1", marked=False)
    send(agent, "unmarked-1", "hello", "generated-1", marked=False)
    assert user_messages(agent, "unmarked-1") == ["generated-1", "generated-1"]
