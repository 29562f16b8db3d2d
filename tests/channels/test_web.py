"""Web chat: a python-socketio client like the widget, and the /chat page in Chromium."""

from __future__ import annotations

import queue
import time
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
    assert "4111" not in str(events)


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


def test_an_agents_reply_reaches_a_web_chat_customer_live(stack):
    from tests.conftest import DESK_AGENT, DESK_PASSWORD
    from tests.handoff.test_takeover import Desk

    session_id = f"web-{uuid.uuid4().hex[:10]}"
    replies: queue.Queue[dict] = queue.Queue()
    client = socketio.Client()
    client.on("bot_uttered", replies.put)
    client.connect(stack.rasa_url, socketio_path="/socket.io", transports=["polling"])
    try:
        client.emit("session_request", {"session_id": session_id})
        time.sleep(0.5)
        client.emit("user_uttered", {"message": "I want to talk to a human", "session_id": session_id})
        replies.get(timeout=20)  # told they are in the queue
        desk = Desk(stack.desk_url, DESK_AGENT, DESK_PASSWORD)
        ticket = desk.ticket_for(session_id)
        assert ticket["channel"] == "socketio"
        desk.post(ticket["id"], "claim")
        desk.post(ticket["id"], "reply", text="Hello from Sam on the desk")
        assert replies.get(timeout=20)["text"] == "Hello from Sam on the desk"
    finally:
        client.disconnect()
    unauthorised = requests.post(f"{stack.rasa_url}/webhooks/socketio/push",
                                 json={"session_id": session_id, "text": "spoof"}, timeout=10)  # fmt: skip
    assert unauthorised.status_code == 401
