"""Scripted customers for the analytics end-to-end tests: each plays its lines on a real channel and declares
the outcome it was written to have, so a test can work out what the report must say without asking the
analytics code. What the report should count follows docs/analytics.md, computed here from the declarations.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.customers import Customer, wait_until
from tests.helpers import handed_over


def phone(country: str) -> str:
    """A number nobody else in the test session writes from (a phone's id is its conversation id)."""
    digits = f"{uuid.uuid4().int % 10_000_000:07d}"
    return {"us": f"+1555{digits}", "uk": f"+44770{digits}", "de": f"+49151{digits}"}[country]


def rest_ids() -> Dict[str, str]:
    """The shapes a site's backend may use as the REST conversation id (at most 128 characters)."""
    tag = uuid.uuid4().hex[:8]
    return {
        "email": f"maria.keller+{tag}@example.com",
        "spaces": f"Maria Keller {tag} at home",
        "non_ascii": f"Zoë Çelik 東京 {tag} ✓",
        "128_chars": (f"long-{tag}-" + "x" * 128)[:128],
    }


@dataclass(frozen=True)
class Outcome:
    """What a scripted conversation was written to end as (docs/analytics.md, Definitions)."""

    first_task: str
    answered: bool = False  # a task completed or an answer given
    handoff: str | None = None  # the hand-off reason
    form_visits: int = 0  # forms the conversation entered
    abandoned_at: Tuple[str, str] | None = None  # (form, question) left open when the customer went quiet
    not_understood: int = 0  # customer messages the bot did not understand
    identity: str = ""  # who the customer is; the same word on two conversations is the same customer


@dataclass
class Scripted:
    """One customer on one channel, saying their lines in order and waiting for each answer."""

    customer: Customer
    outcome: Outcome
    said: int = 0
    answers: List[str] = field(default_factory=list)

    @property
    def conversation_id(self) -> str:
        return self.customer.conversation_id

    @property
    def channel(self) -> str:
        return self.customer.channel

    def line(self, words: str, answer_contains: str) -> str:
        """Say ``words``; returns the first text of the answer containing ``answer_contains``."""
        before = len(self.customer.seen()) if self.said else 0  # a REST customer can fetch only once it spoke
        self.customer.say(words)
        self.said += 1
        answer = self.customer.wait_for(answer_contains, after=before)
        self.answers.append(answer)
        return answer

    def ask_for_a_person(self, words: str) -> str:
        """Say ``words`` and wait until the customer is told a person will take over; returns that text."""
        before = len(self.customer.seen()) if self.said else 0
        self.customer.say(words)
        self.said += 1
        told: List[str] = []

        def handed() -> bool:
            told[:] = [t for t in self.customer.seen()[before:] if handed_over(t)]
            return bool(told)

        wait_until(handed, what=f"the hand-off on {self.channel}")
        self.answers.append(told[0])
        return told[0]


def wait_until_stored(tracker: Engine, scripts: Sequence[Scripted], timeout: float = 20.0) -> None:
    """Until the tracker store holds every scripted turn to its end: the channels deliver the bot's words while
    Rasa is still working on the turn, and the tracker is saved after."""

    def settled(script: Scripted) -> bool:
        with tracker.connect() as db:
            rows = db.execute(
                text("SELECT type_name, action_name FROM events WHERE sender_id = :sender ORDER BY id"),
                {"sender": script.conversation_id},
            ).all()
        said = sum(1 for kind, _ in rows if kind == "user")
        last = rows[-1] if rows else (None, None)
        return said == script.said and (last[0] == "pause" or last[1] == "action_listen")

    wait_until(lambda: all(settled(s) for s in scripts), timeout, "every scripted turn in the tracker store")


@dataclass(frozen=True)
class Expected:
    """The report's figures for a set of scripted conversations, from their declared outcomes alone. Every
    conversation is over and judged (the report is read more than 24 h after the last of them)."""

    total: int
    by_channel: Dict[str, int]
    by_first_task: Dict[str, int]
    contained: int
    escalated_by_reason: Dict[str, int]
    resolved: int
    came_back: int
    entered_a_form: int
    abandoned: int
    abandoned_at: Dict[Tuple[str, str], int]
    messages: int
    not_understood: int


def expected(scripts: Sequence[Scripted]) -> Expected:
    """``scripts`` in the order they were played: a customer's later conversation undoes an earlier one."""
    outcomes = [s.outcome for s in scripts]

    def came_back(index: int) -> bool:
        mine = outcomes[index].identity
        return any(later.identity == mine for later in outcomes[index + 1 :])

    resolved = [
        o.answered and o.handoff is None and not came_back(i) for i, o in enumerate(outcomes)
    ]  # fmt: skip
    abandoned = [o for o in outcomes if o.abandoned_at and o.handoff is None]
    return Expected(
        total=len(scripts),
        by_channel=dict(Counter(s.channel for s in scripts)),
        by_first_task=dict(Counter(o.first_task for o in outcomes)),
        contained=sum(o.handoff is None for o in outcomes),
        escalated_by_reason=dict(Counter(o.handoff for o in outcomes if o.handoff)),
        resolved=sum(resolved),
        came_back=sum(came_back(i) for i in range(len(outcomes))),
        entered_a_form=sum(o.form_visits > 0 for o in outcomes),
        abandoned=len(abandoned),
        abandoned_at=dict(Counter(o.abandoned_at for o in abandoned if o.abandoned_at)),
        messages=sum(s.said for s in scripts),
        not_understood=sum(o.not_understood for o in outcomes),
    )


def counts(groups: Sequence[Dict[str, object]]) -> Dict[str, int]:
    """A report's ``[{"key", "count", ...}]`` groups as {key: count}, without the empty ones."""
    return {str(g["key"]): int(g["count"]) for g in groups if g["count"]}  # type: ignore[call-overload]


def window_start() -> float:
    """Just before the first scripted message: the report's period begins here."""
    return time.time() - 1.0
