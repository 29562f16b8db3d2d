"""A custom action that fails leaves the customer an apology and a way to a person, never silence."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import List

import pytest
from aiohttp import web
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_patches import apply_all, failed_actions, pooled_endpoints


@pytest.fixture(scope="module")
def agent(trained_model: Path) -> Agent:
    apply_all()
    return Agent.load(str(trained_model))


def turn_against_broken_action_server(agent: Agent, texts: List[str]) -> tuple:
    """Each text in turn, with an action server that answers every call with a 500."""
    calls: List[str] = []

    async def scenario() -> tuple:
        async def broken(request: web.Request) -> web.Response:
            calls.append((await request.json())["next_action"])
            return web.Response(status=500, text="database unavailable")

        app = web.Application()
        app.router.add_post("/webhook", broken)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        agent.action_endpoint = agent.processor.action_endpoint = EndpointConfig(f"http://{host}:{port}/webhook")  # type: ignore[union-attr]
        agent.tracker_store = agent.processor.tracker_store = InMemoryTrackerStore(agent.domain)  # type: ignore[union-attr]
        replies = []
        try:
            for text in texts:
                output = CollectingOutputChannel()
                await agent.handle_message(UserMessage(text, output, "broken-1"))
                replies.append([m.get("text") for m in output.messages])
            tracker = await agent.tracker_store.retrieve("broken-1")
        finally:
            await pooled_endpoints.close_kept_sessions()
            await runner.cleanup()
        return replies, tracker

    replies, tracker = asyncio.run(scenario())
    return replies, tracker, calls


def apology_text(agent: Agent) -> str:
    return str(agent.domain.responses[failed_actions.APOLOGY][0]["text"])


def test_a_failed_custom_action_is_followed_by_the_apology_and_the_bot_listens(agent):
    replies, tracker, calls = turn_against_broken_action_server(agent, ["I want to talk to a human"])
    assert "action_handoff" in calls
    assert replies[-1][-1] == apology_text(agent)
    names = [e.action_name for e in tracker.events if isinstance(e, ActionExecuted)]
    assert names[-2:] == [failed_actions.APOLOGY, "action_listen"]
    assert [e.text for e in tracker.events if isinstance(e, BotUttered)][-1] == apology_text(agent)


def test_a_form_whose_validation_call_fails_apologises_once_and_keeps_listening(agent):
    replies, tracker, calls = turn_against_broken_action_server(agent, ["where is my order 10023?", "hello"])
    assert "validate_order_lookup_form" in calls
    assert replies[0].count(apology_text(agent)) == 1
    assert all(reply for reply in replies)  # every message got an answer
    assert tracker.latest_action_name == "action_listen"


def test_the_apology_is_a_designer_owned_response_that_offers_a_person(agent):
    response = agent.domain.responses[failed_actions.APOLOGY][0]
    assert any(button["payload"] == "/request_human" for button in response["buttons"])
