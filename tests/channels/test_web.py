"""Web chat: a python-socketio client like the widget, and the /chat page in Chromium."""

from __future__ import annotations

import time
import uuid

import requests

from tests.customers import WebChatCustomer
from tests.helpers import tracker


def test_a_socketio_conversation_keeps_its_session_and_custom_data(stack):
    customer = WebChatCustomer(stack.rasa_url)
    try:
        customer.client.emit("user_uttered", {"message": "hello", "session_id": customer.session_token,
                                              "customData": {"language": "en", "page": "/account"}})  # fmt: skip
        customer.wait_for("support assistant")
        seen = len(customer.seen())
        customer.say("my card 4111 1111 1111 1111")
        customer.wait_for("removed what looked like a card number", after=seen)
    finally:
        customer.close()
    again = WebChatCustomer(stack.rasa_url, customer.session_token)  # a reload keeps the conversation
    again.close()
    assert again.conversation_id == customer.conversation_id
    events = tracker(stack, customer.conversation_id)["events"]
    first = next(e for e in events if e["event"] == "user")
    assert first["input_channel"] == "socketio"
    assert {k: first["metadata"][k] for k in ("language", "page")} == {"language": "en", "page": "/account"}
    # (not just "4111": a timestamp may hold those digits)
    assert "4111 1111 1111 1111" not in str(events) and "4111111111111111" not in str(events)


def test_a_browser_cannot_pick_another_customers_session(stack):
    """Naming a victim's session id (or a forged token for it) gets a fresh session, never theirs: the stranger
    neither sees the victim's answers nor writes into their conversation."""
    victim = WebChatCustomer(stack.rasa_url)
    try:
        victim.say("where is my order 10023")
        victim.wait_for("order")
        for claimed in (victim.conversation_id, victim.conversation_id + ".0123456789abcdef0123456789abcdef",
                        victim.session_token + "x"):  # fmt: skip
            stranger = WebChatCustomer(stack.rasa_url, claimed)
            try:
                assert stranger.conversation_id != victim.conversation_id
                # Writing into the victim's conversation with its token, from a socket given another session:
                stranger.client.emit("user_uttered", {"message": "cancel it", "session_id": victim.session_token})
                seen = len(victim.seen())

                time.sleep(1.5)
                assert victim.seen()[seen:] == [] and stranger.seen() == []
            finally:
                stranger.close()
    finally:
        victim.close()
    said = [e.get("text") for e in tracker(stack, victim.conversation_id)["events"] if e["event"] == "user"]
    assert "cancel it" not in said


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
