"""Quality bars on data training never saw (tests/nlu/): the trained model, in process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Dict, List

import pytest

from bot.tools.nlu_scores import entity_f1, load_examples, macro_f1, parse_annotated

HELDOUT = sorted(Path("tests/nlu/heldout").glob("*.yml"))
ADVERSARIAL = sorted(Path("tests/nlu/adversarial").glob("*.yml"))
TASK_INTENTS = {
    "order_status",
    "cancel_order",
    "change_address",
    "delivery_options",
    "refund_request",
    "refund_status",
    "invoice_request",
    "billing_dispute",
    "payment_issue",
    "account_access",
    "delete_account",
    "complaint",
    "technical_issue",
    "request_human",
}


@pytest.fixture(scope="module")
def parse(trained_model):
    from rasa.core.agent import Agent

    agent = Agent.load(str(trained_model))

    def run(texts: List[str]) -> List[Dict]:
        async def all_of_them():
            return [await agent.parse_message(t) for t in texts]

        return asyncio.run(all_of_them())

    return run


def top_intent(parsed: Dict, undo_fallback: bool) -> str:
    ranking = [r for r in parsed["intent_ranking"] if not (undo_fallback and r["name"] == "nlu_fallback")]
    return ranking[0]["name"]


def test_parse_annotations_round_trip():
    assert parse_annotated("order [48213](order_number) pls") == ("order 48213 pls", ((6, 11, "order_number"),))


def test_heldout_intent_macro_f1_and_entity_f1_meet_the_bar(parse):
    examples = load_examples(HELDOUT)
    parsed = parse([e.text for e in examples])
    intent_score = macro_f1([e.intent for e in examples], [top_intent(p, True) for p in parsed])
    entity_scores = entity_f1(
        [set(e.entities) for e in examples],
        [{(x["start"], x["end"], x["entity"]) for x in p["entities"]} for p in parsed],
    )
    print(f"held-out intent macro-F1 {intent_score:.3f}; entity F1 {entity_scores}")
    assert intent_score >= 0.95
    assert entity_scores["all"] >= 0.95


def test_out_of_scope_rarely_lands_in_a_task(parse):
    """Out-of-scope messages must end in out_of_scope or the fallback, not a task."""
    examples = [e for e in load_examples(HELDOUT + ADVERSARIAL) if e.intent == "out_of_scope"]
    predicted = [top_intent(p, False) for p in parse([e.text for e in examples])]
    leaked = [e.text for e, p in zip(examples, predicted, strict=True) if p in TASK_INTENTS]
    print(f"out_of_scope leaking into a task: {len(leaked)}/{len(examples)}: {leaked}")
    assert len(leaked) / len(examples) <= 0.05


def test_adversarial_set_intent_macro_f1(parse):
    examples = load_examples(ADVERSARIAL)
    parsed = parse([e.text for e in examples])
    score = macro_f1([e.intent for e in examples], [top_intent(p, True) for p in parsed])
    print(f"adversarial intent macro-F1 {score:.3f}")
    assert score >= 0.90


REALISTIC = Path("tests/nlu/realistic")


def test_real_traffic_wording_is_understood_and_unsupported_requests_are_not_taken_into_a_task(trained_model):
    """Issue 16's targets (docs/nlu.md): macro-F1 0.93, small talk 0.95 each, unsupported declined or handed over."""
    from bot.tools.nlu_report import judge
    from bot.tools.traffic_scores import report_lines, score

    scores = score(judge(trained_model, REALISTIC))
    print("\n".join(report_lines("realistic", scores)))
    assert scores.messages > 1500 and scores.unsupported >= 300
    assert scores.intent_macro_f1 >= 0.93
    assert scores.unsupported_handled >= 0.90  # the target is 0.85; reached 0.95
    assert len(scores.risky_wrong_turns) <= 6
    assert min(scores.small_talk_f1.values()) >= 0.95


def test_confidence_means_what_it_says_on_every_set(trained_model):
    """The fallback threshold is only meaningful if confidence tracks accuracy (docs/nlu.md, calibration)."""
    from bot.tools.calibration import Prediction, expected_calibration_error, reliability
    from bot.tools.nlu_report import TEST_SETS, judge

    for name, path in TEST_SETS.items():
        predictions = [Prediction(j.gold, j.top, j.confidence) for j in judge(trained_model, path)]
        assert expected_calibration_error(predictions) <= 0.10, name
        top_band = reliability(predictions)[-1]
        assert top_band.accuracy >= 0.95, name  # what the bot is sure of, it gets right
