"""The one question asked when an agent hands the conversation back."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms.base import SlotUpdates, TriageFormValidation

_WORDS = {"terrible": 1, "awful": 1, "bad": 2, "poor": 2, "ok": 3, "okay": 3, "fine": 3, "good": 4,
          "great": 5, "excellent": 5, "perfect": 5, "brilliant": 5}  # fmt: skip


def parse_rating(text: str) -> int | None:
    """1-5 from "4", "4/5", "5 stars" or a word like "great"."""
    number = re.search(r"(?<!\d)([1-5])(?!\d)", text)
    if number:
        return int(number.group(1))
    for word in re.findall(r"[a-z]+", text.casefold()):
        if word in _WORDS:
            return _WORDS[word]
    return None


class ValidateSatisfactionForm(TriageFormValidation):
    def name(self) -> str:
        return "validate_satisfaction_form"

    def validate_satisfaction(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> SlotUpdates:
        rating = parse_rating(str(value or ""))
        if rating is None:
            return self.reject("satisfaction", dispatcher, tracker, "utter_invalid_satisfaction")
        return self.accept("satisfaction", str(rating), tracker)
