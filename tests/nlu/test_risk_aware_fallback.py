"""The fallback asks before acting on an unsure guess of a risky task, and is Rasa's fallback otherwise."""

from __future__ import annotations

from typing import List, Tuple

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.risk_aware_fallback import RiskAwareFallbackClassifier

CONFIG = {"threshold": 0.4, "ambiguity_threshold": 0.1, "risky_intents": ["delete_account"], "risky_threshold": 0.7}


def classified(ranking: List[Tuple[str, float]]) -> Message:
    intents = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return Message(data={"text": "x", "intent": intents[0], "intent_ranking": list(intents)})


def acted_on(ranking: List[Tuple[str, float]]) -> Tuple[str, List[str]]:
    message = RiskAwareFallbackClassifier(CONFIG).process([classified(ranking)])[0]
    return message.data["intent"]["name"], [i["name"] for i in message.data["intent_ranking"]]


def test_an_unsure_risky_guess_is_asked_about_with_the_guess_still_offered():
    assert acted_on([("delete_account", 0.65), ("complaint", 0.2)]) == (
        "nlu_fallback", ["nlu_fallback", "delete_account", "complaint"])  # fmt: skip


def test_a_sure_risky_guess_and_any_other_intent_at_rasas_threshold_are_acted_on():
    assert acted_on([("delete_account", 0.75), ("complaint", 0.1)])[0] == "delete_account"
    assert acted_on([("order_status", 0.45), ("complaint", 0.2)])[0] == "order_status"


def test_rasas_own_rules_still_apply():
    assert acted_on([("order_status", 0.35), ("complaint", 0.3)])[0] == "nlu_fallback"  # below the threshold
    assert acted_on([("order_status", 0.5), ("complaint", 0.45)])[0] == "nlu_fallback"  # too close to call


def test_a_misconfigured_list_or_threshold_is_refused():
    with pytest.raises(ValueError, match="risky_intents"):
        RiskAwareFallbackClassifier({**CONFIG, "risky_intents": "delete_account"})
    with pytest.raises(ValueError, match="risky_threshold"):
        RiskAwareFallbackClassifier({**CONFIG, "risky_threshold": 7})
