"""Rasa's FallbackClassifier, with a higher bar for the intents whose wrong guess costs most.

Starting a task the customer did not ask for is worse than asking "did you mean…?", and worst for the tasks
that touch money or the account: deleting the account, disputing a charge, a payment problem. Measured on the
real-traffic set (docs/nlu.md), wrong turns into those tasks are mostly made with high confidence, so the
ordinary 0.4 threshold does not stop them. Here an intent listed in ``risky_intents`` is acted on only at
``risky_threshold`` or above; below it the bot asks, exactly as Rasa's fallback asks (``nlu_fallback`` first
in the ranking, with the intent still ranked next for the "did you mean" buttons). Every other intent keeps
Rasa's ``threshold`` and ``ambiguity_threshold``.

Named in config.yml as ``bot.nlu.risk_aware_fallback.RiskAwareFallbackClassifier`` in place of
``FallbackClassifier``, with its settings and the two above.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

RISKY_INTENTS = "risky_intents"
RISKY_THRESHOLD = "risky_threshold"


def asks_first(intent: Dict[str, Any], risky_intents: List[str], risky_threshold: float) -> bool:
    """Whether a prediction of a risky intent is too unsure to act on."""
    confidence = intent.get(PREDICTED_CONFIDENCE_KEY)
    return intent.get(INTENT_NAME_KEY) in risky_intents and isinstance(confidence, float) and (
        confidence < risky_threshold)  # fmt: skip


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RiskAwareFallbackClassifier(FallbackClassifier):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {**FallbackClassifier.get_default_config(), RISKY_INTENTS: [], RISKY_THRESHOLD: 0.7}

    def __init__(self, config: Dict[str, Any]) -> None:
        super().__init__({**self.get_default_config(), **config})
        risky = self.component_config[RISKY_INTENTS]
        if not isinstance(risky, list) or not all(isinstance(name, str) for name in risky):
            raise ValueError(f"{RISKY_INTENTS} must be a list of intent names, not {risky!r}")
        threshold = float(self.component_config[RISKY_THRESHOLD])
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"{RISKY_THRESHOLD} must be between 0 and 1, not {threshold}")

    def _should_fallback(self, message: Message) -> bool:
        if super()._should_fallback(message):
            return True
        return asks_first(message.data.get(INTENT) or {}, self.component_config[RISKY_INTENTS],
                          float(self.component_config[RISKY_THRESHOLD]))  # fmt: skip
