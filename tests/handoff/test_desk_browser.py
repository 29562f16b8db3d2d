"""A person's view of the desk: headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import DESK_AGENT, DESK_PASSWORD
from tests.handoff.test_takeover import customer_inbox, escalate

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = Path("results/desk.png")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make install` installs Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )  # fmt: skip
        yield launched
        launched.close()


def test_an_agent_signs_in_claims_a_ticket_and_replies(stack, chat, conversation_id, browser):
    escalate(chat)
    page = browser.new_page(viewport={"width": 1400, "height": 800})
    page.goto(f"{stack.desk_url}/desk")
    page.fill("#agent", DESK_AGENT)
    page.fill("#password", DESK_PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector(f"text=Signed in as {DESK_AGENT}")
    ticket = page.locator(".ticket", has_text="order status for order 10042").last
    ticket.wait_for()
    ticket.click()
    page.wait_for_selector("text=Why")
    page.click("#claim")
    page.wait_for_selector("#composer:not([hidden])")
    since = time.time()
    page.fill("#reply-text", "Hello from the desk, I'm looking at your parcel now.")
    page.click("#send-reply")
    page.wait_for_selector("text=Hello from the desk")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    inbox = customer_inbox(stack, conversation_id, since)
    assert [m["text"] for m in inbox] == ["Hello from the desk, I'm looking at your parcel now."]
    page.close()


def test_the_desk_page_shows_nothing_before_sign_in(stack, browser):
    page = browser.new_page()
    page.goto(f"{stack.desk_url}/desk")
    page.wait_for_selector("#login:not([hidden])")
    assert page.locator("#desk").is_hidden()
    page.close()
