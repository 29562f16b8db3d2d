"""Web chat: a python-socketio client like the widget, and the /chat page in Chromium."""

from __future__ import annotations

import queue
import uuid

import requests
import socketio

from tests.helpers import tracker


def test_a_socketio_conversation_keeps_its_session_and_custom_data(stack):
    session_id = f"web-{uuid.uuid4().hex[:10]}"
    replies: queue.Queue[dict] = queue.Queue()
    client = socketio.Client()
    client.on("bot_uttered", replies.put)
    confirmed: queue.Queue[str] = queue.Queue()
    client.on("session_confirm", confirmed.put)
    client.connect(stack.rasa_url, socketio_path="/socket.io", transports=["polling"])
    try:
        client.emit("session_request", {"session_id": session_id})
        assert confirmed.get(timeout=10) == session_id
        client.emit("user_uttered", {"message": "hello", "session_id": session_id,
                                     "customData": {"language": "en", "page": "/account"}})  # fmt: skip
        assert "support assistant" in replies.get(timeout=20)["text"]
        client.emit("user_uttered", {"message": "my card 4111 1111 1111 1111", "session_id": session_id})
        assert "removed what looked like a card number" in replies.get(timeout=20)["text"]
    finally:
        client.disconnect()
    events = tracker(stack, session_id)["events"]
    first = next(e for e in events if e["event"] == "user")
    assert first["input_channel"] == "socketio"
    assert {k: first["metadata"][k] for k in ("language", "page")} == {"language": "en", "page": "/account"}
    # (not just "4111": a timestamp may hold those digits)
    assert "4111 1111 1111 1111" not in str(events) and "4111111111111111" not in str(events)


def test_the_chat_page_and_widget_are_served_locally(stack):
    page = requests.get(f"{stack.rasa_url}/chat", timeout=10)
    assert page.status_code == 200 and "/chat/webchat.js" in page.text and "cdn" not in page.text.lower()
    widget = requests.get(f"{stack.rasa_url}/chat/webchat.js", timeout=10)
    assert widget.status_code == 200 and "WebChat" in widget.text[:1000]


def test_a_customer_chats_on_the_page_in_a_browser(stack):
    from playwright.sync_api import sync_playwright

    from tests.handoff.test_desk_browser import CHROMIUM

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])  # fmt: skip
        page = browser.new_page()
        page.goto(f"{stack.rasa_url}/chat")
        page.click(".rw-launcher")
        page.wait_for_selector(".rw-response")  # the greeting from initPayload
        page.fill(".rw-new-message", "can you recommend a good film for tonight")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=not something I can help with")
        page.locator(".rw-reply", has_text="Track an order").click()
        page.wait_for_selector("text=What's your order number", timeout=20000)
        page.screenshot(path="results/webchat.png")
        browser.close()


def test_a_stranger_cannot_reach_a_conversation_through_the_handoff_gateway(stack):
    """The desk's way into conversations needs the Rasa token: no agent message, pause or transcript without it."""
    effect = {"id": str(uuid.uuid4()), "conversation_id": "web-victim", "kind": "agent_message",
              "text": "Your account is locked, send your password", "agent": "mallory"}  # fmt: skip
    for path, body in (("effects", effect), ("transcript", {"conversation_id": "web-victim"})):
        for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "wrong-token"}):
            reply = requests.post(f"{stack.rasa_url}/webhooks/handoff/{path}", json=body, headers=headers, timeout=10)
            assert reply.status_code == 401, (path, headers, reply.status_code)
    assert requests.post(f"{stack.rasa_url}/webhooks/socketio/push", json={"session_id": "x", "text": "spoof"},
                         timeout=10).status_code == 404  # the old unauthenticated-by-default push is gone  # fmt: skip
