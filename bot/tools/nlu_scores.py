"""Pure scoring of NLU predictions (used by the quality tests and reports)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Set, Tuple

import yaml

_ANNOTATION = re.compile(r"\[([^\]]+)\]\((\w+)\)")
Span = Tuple[int, int, str]


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: Tuple[Span, ...]


def parse_annotated(line: str) -> Tuple[str, Tuple[Span, ...]]:
    """``"order [48213](order_number)"`` -> plain text and (start, end, label) spans."""
    text, spans, cursor = "", [], 0
    for match in _ANNOTATION.finditer(line):
        text += line[cursor : match.start()]
        start = len(text)
        text += match.group(1)
        spans.append((start, len(text), match.group(2)))
        cursor = match.end()
    return text + line[cursor:], tuple(spans)


def load_examples(paths: Iterable[Path]) -> List[Example]:
    examples = []
    for path in paths:
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    text, spans = parse_annotated(line[2:])
                    examples.append(Example(text, block["intent"], spans))
    return examples


def same_message_key(text: str) -> str:
    """Two messages are the same message when they differ only in case, spaces and punctuation."""
    return " ".join(re.sub(r"[.,!?;:'\"]+", " ", text.casefold()).split())


def split_by_training(texts: Sequence[str], training: Iterable[str]) -> Tuple[List[int], List[int]]:
    """Indexes of ``texts`` that are also a training example (the same message), and of the rest.

    A test set written without seeing the training data still shares its shortest messages with it ("hola",
    "thanks!"); scores on the rest show how well the model reads what it was never shown.
    """
    known = {same_message_key(text) for text in training}
    in_training = [same_message_key(text) in known for text in texts]
    return ([i for i, hit in enumerate(in_training) if hit],
            [i for i, hit in enumerate(in_training) if not hit])  # fmt: skip


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over the labels that occur in ``gold``."""
    scores = []
    for label in sorted(set(gold)):
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label and g != label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def entity_f1(gold: Sequence[Set[Span]], predicted: Sequence[Set[Span]]) -> Dict[str, float]:
    """Exact-span F1 per entity label and overall (key ``"all"``)."""
    labels = {s[2] for spans in list(gold) + list(predicted) for s in spans}
    result = {}
    for label in sorted(labels) + ["all"]:

        def keep(spans: Set[Span], label: str = label) -> Set[Span]:
            return {s for s in spans if label == "all" or s[2] == label}

        tp = sum(len(keep(g) & keep(p)) for g, p in zip(gold, predicted, strict=True))
        fp = sum(len(keep(p) - keep(g)) for g, p in zip(gold, predicted, strict=True))
        fn = sum(len(keep(g) - keep(p)) for g, p in zip(gold, predicted, strict=True))
        result[label] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return result
