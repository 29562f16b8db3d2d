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


REPORTS_SCREENSHOT, REVIEW_SCREENSHOT = Path("results/reports.png"), Path("results/review.png")


def sign_in(page, stack, agent: str, password: str) -> None:
    page.goto(f"{stack.desk_url}/desk")
    page.fill("#agent", agent)
    page.fill("#password", password)
    page.click("#sign-in")


def test_a_supervisor_opens_the_reports_and_the_charts_show_the_apis_figures(stack, chat, browser):
    chat("where is my order")
    chat("I want to talk to a person")
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    sign_in(page, stack, "lee", "lee-pass")
    page.wait_for_selector("text=Signed in as lee (supervisor)")
    page.click("nav >> text=Reports")
    page.wait_for_url("**/desk/reports**")
    page.wait_for_selector("#report:not([hidden])")
    figures = page.evaluate("() => api(`/desk/api/reports?${filterQuery(FILTERS)}`)")
    # What the charts draw is the API's figures: conversations per day add up to the total, hand-offs by reason
    # to the escalations.
    per_day = page.evaluate("() => Chart.getChart('chart-days').data.datasets[0].data.reduce((a, b) => a + b, 0)")
    reasons = page.evaluate("() => Chart.getChart('chart-reasons').data.datasets[0].data.reduce((a, b) => a + b, 0)")
    assert per_day == figures["conversations"]["total"] > 0
    assert reasons == figures["escalation"]["count"] > 0
    tile = page.locator(".tile", has_text="Containment").inner_text()
    assert f"{figures['containment']['count']} of {figures['containment']['denominator']}" in tile
    # A filter is applied and kept in the address; the CSV link carries it.
    page.select_option("#f-channel", "rest")
    page.click("#apply")
    page.wait_for_url("**channel=rest**")
    assert "channel=rest" in page.get_attribute("#csv", "href")
    REPORTS_SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(REPORTS_SCREENSHOT), full_page=True)
    page.close()


def test_a_designer_lands_on_the_review_labels_a_message_and_cannot_see_tickets(stack, chat, conversation_id,
                                                                               browser):  # fmt: skip
    word = f"zq{conversation_id[-8:]}"
    chat(f"<b>blorptang</b> vexillum {word} quonk")  # markup a customer typed is shown as text, never run
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    sign_in(page, stack, "dee", "dee-pass")
    page.wait_for_url("**/desk/review**")
    assert page.locator("nav a").all_inner_texts() == ["Review"]
    page.wait_for_selector("#filters:not([hidden])")
    page.fill("#f-contains", word)
    row = page.locator(".message", has_text=word).first
    deadline = time.monotonic() + 30
    while not row.is_visible() and time.monotonic() < deadline:  # the analytics feed stores it within a second
        page.click("#apply")
        page.wait_for_timeout(500)
    page.wait_for_load_state("networkidle")  # no list still on its way to be drawn over what is done next
    row.locator(".open-conversation").click()
    page.wait_for_selector(f"#conversation .line.customer >> text={word}")
    row.locator(".label-intent").select_option("order_status")
    row.locator("button.label").click()
    page.wait_for_selector("text=labelled order_status")
    assert row.locator(".text").inner_text() == f"<b>blorptang</b> vexillum {word} quonk"
    assert not page.locator(".message b").count()
    REVIEW_SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(REVIEW_SCREENSHOT), full_page=True)
    tickets = page.evaluate("() => fetch('/desk/api/tickets').then(r => r.status)")
    assert tickets == 403
    page.close()
