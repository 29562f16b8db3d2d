"""Whether the classifier's confidence means what it says, overall and per intent: pure scoring.

- **expected calibration error (ECE)**: predictions binned by confidence into ten equal-width bins; the
  mean gap between a bin's average confidence and its accuracy, weighted by the bin's share of predictions
  (the usual definition, Guo et al. 2017). 0 is perfectly calibrated.
- **reliability**: accuracy in a few confidence bands, the table a designer reads next to the thresholds.
- **precision at the threshold per intent**: of the predictions of an intent at or above the fallback
  threshold, the share that were right. The threshold "means the same across intents" when these are close.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

BANDS: Tuple[Tuple[float, float], ...] = ((0.0, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 0.95), (0.95, 1.0))


@dataclass(frozen=True)
class Prediction:
    gold: str
    predicted: str
    confidence: float

    @property
    def right(self) -> bool:
        return self.gold == self.predicted


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    count: int
    accuracy: float


def _in(confidence: float, low: float, high: float) -> bool:
    return low <= confidence < high or (high >= 1.0 and confidence == high)


def expected_calibration_error(predictions: Sequence[Prediction], bins: int = 10) -> float:
    if not predictions:
        return 0.0
    total = 0.0
    for i in range(bins):
        low, high = i / bins, (i + 1) / bins
        members = [p for p in predictions if _in(p.confidence, low, high)]
        if members:
            confidence = sum(p.confidence for p in members) / len(members)
            accuracy = sum(p.right for p in members) / len(members)
            total += len(members) / len(predictions) * abs(confidence - accuracy)
    return total


def reliability(predictions: Sequence[Prediction], bands: Sequence[Tuple[float, float]] = BANDS) -> List[Band]:
    table = []
    for low, high in bands:
        members = [p for p in predictions if _in(p.confidence, low, high)]
        accuracy = sum(p.right for p in members) / len(members) if members else 0.0
        table.append(Band(low, high, len(members), accuracy))
    return table


def precision_at_threshold(predictions: Sequence[Prediction], threshold: float) -> Dict[str, Tuple[float, int]]:
    """Predicted intent -> (precision, count) over predictions at or above ``threshold``, worst first."""
    by_intent: Dict[str, List[bool]] = {}
    for p in predictions:
        if p.confidence >= threshold:
            by_intent.setdefault(p.predicted, []).append(p.right)
    scored = {name: (sum(hits) / len(hits), len(hits)) for name, hits in by_intent.items()}
    return dict(sorted(scored.items(), key=lambda item: (item[1][0], item[0])))


def report_lines(name: str, predictions: Sequence[Prediction], threshold: float) -> List[str]:
    bands = ", ".join(f"[{b.low:.2f}-{b.high:.2f}) {b.accuracy:.2f} of {b.count}" for b in reliability(predictions))
    per_intent = precision_at_threshold(predictions, threshold)
    worst = ", ".join(f"{k} {v[0]:.2f} ({v[1]})" for k, v in list(per_intent.items())[:6])
    return [
        f"{name} calibration: ECE {expected_calibration_error(predictions):.3f}; accuracy by confidence: {bands}",
        f"  precision at >= {threshold} by predicted intent, lowest: {worst}",
    ]
