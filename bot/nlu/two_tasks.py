"""Two tasks in one message: the first one named is done, the second is offered afterwards.

Customers often ask for two things at once ("where is my order? also I want to cancel the other one", "order
status + invoice pls", "1. change the address 2. I was billed twice"). A classifier reading the whole message
gives one intent, often the one named last or the one with the louder words. This component splits the message
where the customer starts a second request (an explicit connector: "also", "btw", "+", "plus", "and then",
"2.", " and " before another request ...), reads each part with a small clause model trained on the same data,
and, when two parts are confidently two different tasks:

- the message's intent is the task named **first** (the customer's order), if the whole-message guess was one
  of the two;
- the other one is added to the parse as ``second_task`` ({"name", "confidence"}), which the action server
  offers once the first task is over (``actions/second_task.py``).

Messages without a connector - almost all of them - pay one regular-expression search. The decision is pure
(``plan``) and tested on its own; the clause model is TF-IDF over word and character n-grams with logistic
regression, like the main classifier, on the unchanged training examples.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer

from bot.nlu.normalize import fold_unicode, remove_control_characters
from bot.nlu.tfidf_intent_classifier import l2_normalised, load_trusted, softmax_of

logger = logging.getLogger(__name__)

SECOND_TASK = "second_task"
# Beyond the types skops trusts by default (scikit-learn's vectorizers and models), only these.
_TRUSTED_TYPES = ["scipy.sparse._csr.csr_matrix"]

# Where a second request starts. A strong connector says so outright ("also", "btw", "+", "plus", "and then",
# "2."); a weak one (" and ", " & ") also joins the story around one request ("I cancelled it and got an
# e-mail"), so a part after a weak one may be offered but never takes the first place (``plan``).
_STRONG = (
    r"(?:[,.;:!?]+\s*|\s+)(?:and\s+|&\s+)?"
    r"(?:also|btw|by\s+the\s+way|oh\s+and|plus|as\s+well|another\s+thing(?:\s+is)?|and\s+then|then|"
    r"secondly|second(?:ly)?\s+thing|after\s+that|additionally|on\s+top\s+of\s+that|separately)\b[,:]?\s*"
    r"|\s+\+\s+|(?:^|\s)(?:2|ii)[.)]\s+"
)
_WEAK = r"\s+(?:&|and|n)\s+"
_CONNECTOR = re.compile(rf"(?i)({_STRONG})|{_WEAK}")
_LIST_START = re.compile(r"(?i)(?:^|\s)(?:1|i)[.)]\s+")
_WORD = re.compile(r"\w+")
MIN_TAIL_WORDS = 2


@dataclass(frozen=True)
class Guess:
    name: str
    confidence: float


@dataclass(frozen=True)
class Plan:
    """What the component does to a message: ``first`` replaces the intent (None: unchanged), ``second`` is
    offered later (None: nothing to offer)."""

    first: Guess | None = None
    second: Guess | None = None


@dataclass(frozen=True)
class Part:
    text: str
    after_weak: bool = False  # the part follows a weak connector (" and "), not a strong one or the start


def split_requests(text: str) -> List[Part]:
    """The message cut where a new request may start; parts without a word are dropped."""
    text = _LIST_START.sub(" ", remove_control_characters(text), count=1)
    parts: List[Part] = []
    start, weak = 0, False
    for match in _CONNECTOR.finditer(text):
        parts.append(Part(text[start : match.start()].strip(), weak))
        start, weak = match.end(), match.group(1) is None
    parts.append(Part(text[start:].strip(), weak))
    return [part for part in parts if _WORD.search(part.text)]


def plan(whole: Guess, parts: Sequence[Tuple[Guess, bool]], tasks: Sequence[str], threshold: float) -> Plan:
    """Pure decision. ``whole`` is the classifier's guess for the message; ``parts`` the clause model's guess
    for each part in the customer's order, with whether the part follows a weak connector. Acts only when the
    whole message was read as a task and the parts name two different tasks confidently:

    - the whole message's task named first: it stays, the next one is offered;
    - named after another one: the first takes its place and it is offered, unless it follows a weak
      connector: then the other task was likely part of the story ("I cancelled it and was still charged"),
      and nothing changes;
    - not named by any part alone: it stays, the first part's task is offered.

    Small talk and unsupported messages are left as they are."""
    if whole.name not in tasks:
        return Plan()
    named: List[Tuple[Guess, bool]] = []
    for guess, after_weak in parts:
        if guess.name in tasks and guess.confidence >= threshold and all(g.name != guess.name for g, _ in named):
            named.append((guess, after_weak))
    names = [g.name for g, _ in named]
    if whole.name not in names:
        return Plan(second=named[0][0]) if named else Plan()
    at = names.index(whole.name)
    if at == 0:
        return Plan(second=named[1][0]) if len(named) > 1 else Plan()
    if named[at][1]:
        return Plan()
    return Plan(first=named[0][0], second=named[at][0])


def _normalised(text: str) -> str:
    return fold_unicode(remove_control_characters(text))


class ClauseScorer:
    """The clause model as plain arrays, for one text at a time.

    Each vectorizer gives sublinear tf times idf, L2-normalised on its own (what ``TfidfVectorizer`` does).
    The blocks sit side by side, then go through the softmax of the logistic regression. Through
    scikit-learn, each call rebuilt the idf and checked its input: 8 ms per message on 40,000 features,
    a quarter of the parse. tests/nlu/test_two_tasks.py checks it agrees with ``predict_proba``.
    """

    def __init__(self, vectorizers: Tuple[Any, Any], model: Any) -> None:
        self._vectorizers = vectorizers
        self._idfs = [np.asarray(v.idf_, dtype=np.float64) for v in vectorizers]
        self._offsets = np.cumsum([0] + [len(idf) for idf in self._idfs])[:-1]
        self._coef_t = np.ascontiguousarray(model.coef_.T, dtype=np.float64)
        self._intercept = np.asarray(model.intercept_, dtype=np.float64)

    def probabilities(self, text: str) -> np.ndarray:
        indices, weights = [], []
        for vectorizer, idf, offset in zip(self._vectorizers, self._idfs, self._offsets, strict=True):
            row = CountVectorizer.transform(vectorizer, [text])  # the counts, before TfidfVectorizer weighs them
            row.sum_duplicates()
            indices.append(row.indices.astype(np.int64) + offset)
            weights.append(l2_normalised((np.log(row.data.astype(np.float64)) + 1.0) * idf[row.indices]))
        return softmax_of(self._coef_t, self._intercept, np.concatenate(indices), np.concatenate(weights))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TwoTaskDetector(GraphComponent):
    """Placed after the intent classifier and before the fallback classifier in config.yml."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "tasks": [],  # the intents that start a task; only these are split off and offered
            "threshold": 0.6,  # a part counts as a request for a task at this clause-model confidence
            "C": 30.0,
            "random_state": 42,
        }

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 vectorizers: Tuple[Any, Any] | None = None, model: Any = None) -> None:  # fmt: skip
        self._config = {**self.get_default_config(), **config}
        tasks = self._config["tasks"]
        if not isinstance(tasks, list) or not tasks or not all(isinstance(t, str) for t in tasks):
            raise ValueError(f"tasks must be a non-empty list of intent names, not {tasks!r}")
        threshold = float(self._config["threshold"])
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be above 0 and at most 1, not {threshold}")
        self._storage, self._resource = model_storage, resource
        self._vectorizers, self._model = vectorizers, model
        self._scorer: ClauseScorer | None = None

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TwoTaskDetector:  # fmt: skip
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        texts = [_normalised(e.get(TEXT)) for e in examples]
        self._vectorizers = (
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
        )
        features = hstack([v.fit_transform(texts) for v in self._vectorizers], format="csr")
        # newton-cg: the optimum lbfgs reaches, in about half the time (as in tfidf_intent_classifier.py).
        self._model = LogisticRegression(C=self._config["C"], max_iter=3000, class_weight="balanced",
                                         solver="newton-cg", random_state=self._config["random_state"])  # fmt: skip
        self._model.fit(features, [e.get(INTENT) for e in examples])
        self._scorer = None
        self.persist()
        return self._resource

    def guesses(self, texts: Sequence[str]) -> List[Guess]:
        """The clause model's best intent for each text."""
        assert self._model is not None and self._vectorizers is not None
        if self._scorer is None:
            self._scorer = ClauseScorer(self._vectorizers, self._model)
        probabilities = [self._scorer.probabilities(_normalised(text)) for text in texts]
        best = [int(np.argmax(row)) for row in probabilities]
        return [Guess(str(self._model.classes_[i]), float(row[i])) for i, row in zip(best, probabilities, strict=True)]

    def plan_for(self, message: Message) -> Plan:
        intent = message.get(INTENT) or {}
        text = message.get(TEXT) or ""
        if self._model is None or intent.get(INTENT_NAME_KEY) not in self._config["tasks"]:
            return Plan()
        parts = split_requests(text)
        parts = [p for i, p in enumerate(parts) if i == 0 or len(_WORD.findall(p.text)) >= MIN_TAIL_WORDS]
        if len(parts) < 2:
            return Plan()
        whole = Guess(intent[INTENT_NAME_KEY], float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0))
        guesses = zip(self.guesses([p.text for p in parts]), [p.after_weak for p in parts], strict=True)
        return plan(whole, list(guesses), self._config["tasks"], float(self._config["threshold"]))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            decided = self.plan_for(message)
            if decided.first is not None:
                first = {INTENT_NAME_KEY: decided.first.name, PREDICTED_CONFIDENCE_KEY: decided.first.confidence}
                moved = {decided.first.name, decided.second.name if decided.second else None}
                others = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) not in moved]
                message.set(INTENT, first, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [first, *others], add_to_output=True)
            if decided.second is not None:
                second = {INTENT_NAME_KEY: decided.second.name, PREDICTED_CONFIDENCE_KEY: decided.second.confidence}
                message.set(SECOND_TASK, second, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def persist(self) -> None:
        import skops.io as sio

        with self._storage.write_to(self._resource) as directory:
            sio.dump({"vectorizers": list(self._vectorizers or ()), "model": self._model},
                     directory / "two_tasks.skops")  # fmt: skip

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> TwoTaskDetector:  # fmt: skip
        try:
            stored = load_trusted(model_storage, resource, "two_tasks.skops", _TRUSTED_TYPES)
        except ValueError:
            logger.warning("No trained %s in this model; two tasks in one message will not be told apart.",
                           cls.__name__)  # fmt: skip
            return cls.create(config, model_storage, resource, execution_context)
        return cls(config, model_storage, resource, tuple(stored["vectorizers"]), stored["model"])
