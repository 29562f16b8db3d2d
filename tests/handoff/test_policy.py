"""The escalation policy: transparent, configured, explainable."""

from handoff.policy import UserTurn, decide, frustration_signals, is_shouting, queue_for, repeats_request
from handoff.settings import settings

CONFIG = settings()


def turn(text: str, intent: str = "order_status") -> UserTurn:
    return UserTurn(text, intent, 0.9)


def test_shouting_needs_enough_letters_mostly_in_capitals():
    assert is_shouting("WHERE IS MY ORDER", CONFIG.frustration)
    assert not is_shouting("OK", CONFIG.frustration)
    assert not is_shouting("Where is my order, UPS says DELIVERED", CONFIG.frustration)


def test_strong_words_and_repeats_are_signals():
    signals = frustration_signals([turn("this is ridiculous"), turn("useless bot")], CONFIG.frustration)
    assert "strong words: ridiculous, useless" in signals
    assert repeats_request([turn("a"), turn("b"), turn("c")], CONFIG.frustration)
    assert not repeats_request([turn("a"), turn("b", "inform"), turn("c")], CONFIG.frustration)


def test_the_reason_picks_the_queue_before_the_task():
    assert queue_for("disputed_charge", "order_status", CONFIG) == "billing"
    assert queue_for("customer_request", "cancel_order", CONFIG) == "orders"
    assert queue_for("customer_request", None, CONFIG) == "general"


def test_priority_rises_for_high_risk_tasks_and_frustration():
    calm = decide("customer_request", "order_status", [turn("where is my order")], CONFIG)
    assert (calm.queue, calm.priority, calm.frustrated) == ("orders", 2, False)
    upset = decide("privacy_request", "delete_account", [turn("DELETE MY ACCOUNT NOW", "delete_account")], CONFIG)
    assert (upset.queue, upset.priority, upset.frustrated) == ("privacy", 5, True)
    assert "shouting" in upset.explain() and "privacy" in upset.explain()
