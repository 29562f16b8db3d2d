"""The report's charts as PNG files (``make report``), drawn with matplotlib (installed with Rasa), off-screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Mapping, Sequence, Tuple

import matplotlib

matplotlib.use("Agg")  # no display on a server
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the back end)

BAR = "#3b6ea5"


def _bars(path: Path, title: str, labels: Sequence[str], values: Sequence[float], ylabel: str) -> None:
    figure, axes = plt.subplots(figsize=(8, 3.6), dpi=100)
    axes.bar(range(len(values)), values, color=BAR)
    axes.set_xticks(range(len(labels)))
    axes.set_xticklabels(labels, rotation=30 if len(labels) > 6 else 0, ha="right" if len(labels) > 6 else "center",
                         fontsize=8)  # fmt: skip
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    if not values:
        axes.text(0.5, 0.5, "none in this period", ha="center", va="center", transform=axes.transAxes)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def draw(report: Mapping[str, Any], folder: Path) -> List[str]:
    """Writes the charts into ``folder``; returns their names (file stems), in the order the Markdown shows them."""
    folder.mkdir(parents=True, exist_ok=True)
    charts: List[Tuple[str, str, Sequence[str], Sequence[float], str]] = []
    days = report["conversations"]["by_day"]
    charts.append(("conversations_by_day", "Conversations by day", [d["key"][5:] for d in days],
                   [d["count"] for d in days], "conversations"))  # fmt: skip
    reasons = report["escalation"]["by_reason"]
    charts.append(("escalations_by_reason", "Hand-offs by reason", [r["key"] for r in reasons],
                   [r["count"] for r in reasons], "hand-offs"))  # fmt: skip
    channels = report["fallback"]["by_channel"]
    charts.append(("fallback_by_channel", "Messages not understood, by channel", [c["key"] for c in channels],
                   [100 * (c["rate"] or 0) for c in channels], "% of customer messages"))  # fmt: skip
    ratings = report["agents"]["satisfaction"]["distribution"]
    charts.append(("satisfaction", "Satisfaction ratings", list(ratings), list(ratings.values()), "ratings"))
    for funnel in report["abandonment"]["funnels"]:
        steps = funnel["steps"]
        charts.append((f"funnel_{funnel['form']}", f"{funnel['form']}: visits reaching each question",
                       [s["question"] for s in steps], [s["reached"] for s in steps], "visits"))  # fmt: skip
    for name, title, labels, values, ylabel in charts:
        _bars(folder / f"{name}.png", title, labels, values, ylabel)
    return [c[0] for c in charts]
