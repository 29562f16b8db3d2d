from actions.fallback import Clarification, consecutive_misses, plan_clarification
from actions.settings import DialogueSettings

SETTINGS = DialogueSettings(
    misses_before_offering_human=2,
    suggestion_min_confidence=0.1,
    max_suggestions=2,
    intent_labels={"order_status": "Track an order", "refund_status": "Check a refund", "cancel_order": "Cancel"},
)


def test_close_intents_are_offered_as_choices():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "order_status", "confidence": 0.35},
        {"name": "refund_status", "confidence": 0.3},
        {"name": "cancel_order", "confidence": 0.2},
    ]
    plan = plan_clarification(ranking, misses=1, config=SETTINGS)
    assert plan == Clarification("ask_which", (("order_status", "Track an order"), ("refund_status", "Check a refund")))


def test_nothing_plausible_asks_to_rephrase():
    ranking = [{"name": "greet", "confidence": 0.3}, {"name": "order_status", "confidence": 0.05}]
    assert plan_clarification(ranking, misses=1, config=SETTINGS).kind == "rephrase"


def test_a_second_miss_in_a_row_offers_a_person():
    ranking = [{"name": "order_status", "confidence": 0.35}]
    assert plan_clarification(ranking, misses=2, config=SETTINGS).kind == "offer_human"


def test_misses_are_counted_from_the_latest_turn_backwards():
    assert consecutive_misses(["greet", "nlu_fallback", "nlu_fallback"]) == 2
    assert consecutive_misses(["nlu_fallback", "order_status", "nlu_fallback"]) == 1
    assert consecutive_misses(["order_status"]) == 0
