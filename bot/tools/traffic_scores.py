"""How the bot fares on messages worded as real customers word them (tests/nlu/realistic): pure scoring.

Each message has the intent a person reading it would give it (``gold``), the classifier's top intent with the
fallback undone (``top``: what it thought most likely) and what the bot acts on (``acted``: ``nlu_fallback``
when the fallback classifier asked "did you mean…" instead). Definitions, used in docs/nlu.md:

- **intent macro-F1**: over every labelled intent of the set, on ``top`` (as for the other held-out sets).
- **unsupported handled**: of the messages labelled ``out_of_scope`` (requests the bot does not support), the
  share the bot declines, asks about or hands to a person: ``acted`` is ``out_of_scope``, ``nlu_fallback``
  or ``request_human``. Anything else started a task or answered as small talk.
- **per-intent F1** on ``acted`` for the small-talk intents (greetings, thanks, goodbyes, "are you a bot").
- **wrong turns into a risky task**: messages the bot acted on as a risky task (deleting the account,
  disputing a charge, a payment problem) that are not that task. Worse than a "did you mean", so counted on
  their own, with the messages.
- **asked**: the share of messages answered with "did you mean…" (``acted`` is ``nlu_fallback``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

from bot.tools.nlu_scores import macro_f1

UNSUPPORTED = "out_of_scope"
HANDLED_UNSUPPORTED = frozenset({"out_of_scope", "nlu_fallback", "request_human"})
SMALL_TALK = ("greet", "thank_you", "goodbye", "bot_challenge")
RISKY_TASKS = frozenset({"delete_account", "billing_dispute", "payment_issue"})
FALLBACK = "nlu_fallback"


@dataclass(frozen=True)
class Judged:
    text: str
    gold: str
    top: str  # the classifier's most likely intent, fallback undone
    acted: str  # what the bot acts on: nlu_fallback when it asks instead
    confidence: float = 1.0  # the classifier's confidence in ``top``


@dataclass(frozen=True)
class TrafficScores:
    messages: int
    intent_macro_f1: float
    unsupported: int
    unsupported_handled: float
    small_talk_f1: Dict[str, float]
    asked: float
    risky_wrong_turns: Tuple[Judged, ...]
    unsupported_taken_into_a_task: Tuple[Judged, ...]


def f1_of(label: str, gold: Sequence[str], predicted: Sequence[str]) -> float:
    pairs = list(zip(gold, predicted, strict=True))
    tp = sum(g == p == label for g, p in pairs)
    fp = sum(p == label != g for g, p in pairs)
    fn = sum(g == label != p for g, p in pairs)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def score(judged: Sequence[Judged]) -> TrafficScores:
    gold = [j.gold for j in judged]
    unsupported = [j for j in judged if j.gold == UNSUPPORTED]
    handled = [j for j in unsupported if j.acted in HANDLED_UNSUPPORTED]
    return TrafficScores(
        messages=len(judged),
        intent_macro_f1=macro_f1(gold, [j.top for j in judged]),
        unsupported=len(unsupported),
        unsupported_handled=len(handled) / len(unsupported) if unsupported else 1.0,
        small_talk_f1={label: f1_of(label, gold, [j.acted for j in judged]) for label in SMALL_TALK},
        asked=sum(j.acted == FALLBACK for j in judged) / len(judged) if judged else 0.0,
        risky_wrong_turns=tuple(j for j in judged if j.acted in RISKY_TASKS and j.acted != j.gold),
        unsupported_taken_into_a_task=tuple(j for j in unsupported if j.acted not in HANDLED_UNSUPPORTED),
    )


def report_lines(name: str, scores: TrafficScores) -> List[str]:
    talk = ", ".join(f"{label} {value:.2f}" for label, value in scores.small_talk_f1.items())
    lines = [
        f"{name}: {scores.messages} messages; intent macro-F1 {scores.intent_macro_f1:.3f}; unsupported handled "
        f"{scores.unsupported_handled:.3f} of {scores.unsupported}; asked {scores.asked:.1%}; small talk F1: {talk}; "
        f"wrong turns into a risky task: {len(scores.risky_wrong_turns)}",
    ]
    lines += [f"  risky: {j.acted} <- {j.gold}: {j.text}" for j in scores.risky_wrong_turns]
    return lines
