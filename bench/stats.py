"""Pure summaries of a load run: throughput, latency percentiles, errors."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

from bench.load import LoadResult, Sample


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: every figure is a latency that happened)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    shape: str
    level: float
    messages: int
    conversations: int
    throughput: float  # answered messages per second over the window
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    as_designed: float  # share of answered turns that went as scripted
    # The commonest answered turns that went off script: (what was said, what the bot replied, how often).
    off_script: Tuple[Tuple[str, str, int], ...] = ()

    def as_dict(self) -> Dict[str, float | int | str | List[List[str | int]]]:
        fields: Dict[str, float | int | str | List[List[str | int]]] = dict(self.__dict__)
        fields["off_script"] = [list(entry) for entry in self.off_script]
        return fields


def summarise(result: LoadResult) -> Summary:
    answered = [s for s in result.samples if s.ok]
    timed = [s for s in (result.latency_samples or result.samples) if s.ok]
    latencies = [s.latency * 1000 for s in timed]
    return Summary(
        shape=result.shape,
        level=result.level,
        messages=len(result.latency_samples or result.samples),
        conversations=result.conversations,
        throughput=len(answered) / result.window_s if result.window_s else 0.0,
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies) if latencies else math.nan,
        errors=sum(not s.ok for s in (result.latency_samples or result.samples)),
        as_designed=sum(s.as_designed for s in timed) / len(timed) if timed else 0.0,
        off_script=off_script(timed),
    )


def off_script(answered: Sequence[Sample], shown: int = 3) -> Tuple[Tuple[str, str, int], ...]:
    """What the bot said instead, for the commonest off-script turns: an apology, a fallback, another task."""
    counts = Counter((s.text, s.reply) for s in answered if not s.as_designed)
    return tuple((said, reply, count) for (said, reply), count in counts.most_common(shown))
