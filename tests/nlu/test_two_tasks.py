"""Two tasks in one message: where a message is cut into requests, and the pure decision on what is done first
and what is offered (bot/nlu/two_tasks.py)."""

from __future__ import annotations

import pytest

from bot.nlu.two_tasks import Guess, Part, Plan, plan, split_requests

TASKS = ["order_status", "cancel_order", "invoice_request", "billing_dispute", "request_human"]


def test_strong_connectors_cut_and_weak_ones_are_marked():
    assert split_requests("where is my order? also i need an invoice") == [
        Part("where is my order"), Part("i need an invoice")]  # fmt: skip
    assert split_requests("order status + invoice pls") == [Part("order status"), Part("invoice pls")]
    assert split_requests("1. where is my order 2. how much is express") == [
        Part("where is my order"), Part("how much is express")]  # fmt: skip
    assert split_requests("cancel order and delete my account") == [
        Part("cancel order"), Part("delete my account", after_weak=True)]  # fmt: skip


def test_sentences_alone_are_not_cut_so_a_story_before_the_ask_stays_whole():
    text = "I ordered shoes last week. They are too small. Can I return them?"
    assert split_requests(text) == [Part(text)]


def g(name: str, confidence: float = 0.9) -> Guess:
    return Guess(name, confidence)


def test_the_task_named_first_goes_first_and_the_other_is_offered():
    whole = g("cancel_order")
    assert plan(whole, [(g("order_status"), False), (g("cancel_order"), False)], TASKS, 0.6) == Plan(
        first=g("order_status"), second=g("cancel_order"))  # fmt: skip
    assert plan(g("order_status"), [(g("order_status"), False), (g("invoice_request"), False)], TASKS, 0.6) == Plan(
        second=g("invoice_request"))  # fmt: skip


def test_after_a_weak_connector_the_whole_message_keeps_its_task():
    # "I cancelled my order and was still charged": the cancellation is the story, the charge the request.
    parts = [(g("cancel_order"), False), (g("billing_dispute"), True)]
    assert plan(g("billing_dispute"), parts, TASKS, 0.6) == Plan()


@pytest.mark.parametrize(
    "whole, parts",
    [
        (g("greet"), [(g("order_status"), False), (g("invoice_request"), False)]),  # not a task: left alone
        (g("order_status"), [(g("order_status"), False), (g("invoice_request", 0.5), False)]),  # unsure part
        (g("order_status"), [(g("order_status"), False), (g("thank_you"), False)]),  # small talk is no task
        (g("order_status"), [(g("order_status"), False), (g("order_status"), False)]),  # the same task twice
    ],
)
def test_nothing_changes_without_two_confident_different_tasks(whole, parts):
    assert plan(whole, parts, TASKS, 0.6) == Plan()


def test_a_task_no_part_names_alone_stays_and_the_first_parts_task_is_offered():
    assert plan(g("billing_dispute"), [(g("order_status"), False), (g("complaint"), False)], TASKS, 0.6) == Plan(
        second=g("order_status"))  # fmt: skip


def test_the_component_trains_stores_loads_and_marks_the_message(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.two_tasks import TwoTaskDetector

    examples = {
        "order_status": ["where is my order", "track my parcel", "has my order shipped", "when does it arrive"],
        "cancel_order": ["cancel my order", "i want to cancel it", "stop my order", "cancel the purchase"],
        "greet": ["hi", "hello there", "good morning", "hey"],
    }
    data = TrainingData([Message(data={"text": t, "intent": i}) for i, texts in examples.items() for t in texts])
    storage, resource = LocalModelStorage(tmp_path), Resource("two_tasks")
    config = {"tasks": ["order_status", "cancel_order"], "threshold": 0.4}
    TwoTaskDetector.create(config, storage, resource, None).train(data)  # type: ignore[arg-type]
    loaded = TwoTaskDetector.load(config, storage, resource, None)  # type: ignore[arg-type]

    message = Message(data={"text": "where is my order? also cancel my order",
                            "intent": {"name": "cancel_order", "confidence": 0.7},
                            "intent_ranking": [{"name": "cancel_order", "confidence": 0.7},
                                               {"name": "order_status", "confidence": 0.2},
                                               {"name": "greet", "confidence": 0.1}]})  # fmt: skip
    loaded.process([message])
    assert message.get("intent")["name"] == "order_status"
    assert [r["name"] for r in message.get("intent_ranking")] == ["order_status", "greet"]
    assert message.get("second_task")["name"] == "cancel_order"
    assert "second_task" in message.as_dict(only_output_properties=True)  # reaches the parse Rasa stores


def test_the_clause_scorer_agrees_with_scikit_learn(tmp_path):
    from pathlib import Path

    import numpy as np
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from scipy.sparse import hstack

    from bot.nlu.two_tasks import ClauseScorer, TwoTaskDetector, _normalised
    from bot.tools.nlu_scores import load_examples

    training = load_examples(sorted(Path("data/nlu").glob("*.yml")))[::4]
    data = TrainingData([Message(data={"text": e.text, "intent": e.intent}) for e in training])
    detector = TwoTaskDetector({"tasks": ["order_status"]}, LocalModelStorage(tmp_path), Resource("two_tasks"))
    detector.train(data)
    texts = [e.text for e in load_examples(sorted(Path("tests/nlu/heldout").glob("*.yml")))][:80]
    texts += ["", "zzzz qqqq", "WHERE IS MY ORDER 48213 ??"]
    scorer = ClauseScorer(detector._vectorizers, detector._model)
    ours = np.vstack([scorer.probabilities(_normalised(text)) for text in texts])
    # scikit-learn's own path: each TfidfVectorizer's rows side by side, then predict_proba.
    normalised = [_normalised(text) for text in texts]
    rows = hstack([vectorizer.transform(normalised) for vectorizer in detector._vectorizers], format="csr")
    expected = detector._model.predict_proba(rows)
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-12)


def test_a_misconfigured_component_is_refused(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from bot.nlu.two_tasks import TwoTaskDetector

    with pytest.raises(ValueError, match="tasks"):
        TwoTaskDetector({"tasks": "order_status"}, LocalModelStorage(tmp_path), Resource("x"))
    with pytest.raises(ValueError, match="threshold"):
        TwoTaskDetector({"tasks": ["order_status"], "threshold": 0}, LocalModelStorage(tmp_path), Resource("x"))
