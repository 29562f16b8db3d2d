"""Write a benchmark run as JSON, a Markdown table and a PNG plot."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt  # noqa: E402


def commit() -> str:
    """The checked-out commit, recorded with every result."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def _fmt(value: Any, digits: int = 0) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def markdown_table(run: Dict[str, Any]) -> str:
    configs: List[str] = list(run["configs"])
    lines = [f"# Benchmark {run['started']}", "", f"Machine: {run['machine']}; commit {run['commit']}.", ""]
    lines += ["| config | shape | level | msgs | msg/s | p50 ms | p95 ms | p99 ms | errors | as designed "
              "| rasa CPU % | rasa RSS MB | actions CPU % | actions RSS MB |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for name in configs:
        for point in run["configs"][name]["points"]:
            usage = point["usage"]
            lines.append(
                f"| {name} | {point['shape']} | {_fmt(point['level'])} | {point['messages']} "
                f"| {_fmt(point['throughput'], 1)} | {_fmt(point['p50_ms'])} | {_fmt(point['p95_ms'])} "
                f"| {_fmt(point['p99_ms'])} | {point['errors']} | {point['as_designed']:.0%} "
                f"| {_fmt(usage['rasa']['cpu_percent'])} | {_fmt(usage['rasa']['rss_mb'])} "
                f"| {_fmt(usage['actions']['cpu_percent'])} | {_fmt(usage['actions']['rss_mb'])} |"
            )
    lines += ["", "| config | what | saturation msg/s | held-out intent macro-F1 | idle Rasa RSS MB |",
              "|---|---|---|---|---|"]  # fmt: skip
    for name in configs:
        facts = run["configs"][name]
        lines.append(f"| {name} | {facts.get('label', '')} | {_fmt(facts['saturation'], 1)} "
                     f"| {_fmt(facts.get('heldout_macro_f1'), 3)} | {_fmt(facts['idle_rss_mb'])} |")  # fmt: skip
    off_script = [(name, point) for name in configs for point in run["configs"][name]["points"]
                  if point.get("off_script")]  # fmt: skip
    if off_script:
        lines += ["", "Off-script replies (the commonest per point):", ""]
        for name, point in off_script:
            for said, reply, count in point["off_script"]:
                lines.append(f"- {name}, {point['shape']} {_fmt(point['level'])}: {count}x {said!r} -> {reply!r}")
    if "ratios" in run:
        lines += ["", "Saturation ratios: " + ", ".join(f"{k} {v:.1f}x" for k, v in run["ratios"].items())]
    if run.get("interleaved"):
        paired = run["interleaved"]
        lines += ["", f"Interleaved ({paired['pair']}, both stacks up, loaded in turn at {paired['concurrency']} "
                      f"conversations for {paired['duration_s']:g} s each): per round "
                      + ", ".join(f"{r:.2f}x" for r in paired["ratios"])
                      + f"; median {paired['median']:.2f}x, lowest {paired['min']:.2f}x"]  # fmt: skip
    return "\n".join(lines) + "\n"


def plot(run: Dict[str, Any], destination: Path) -> None:
    figure, (closed, opened) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, facts in run["configs"].items():
        closed_points = [p for p in facts["points"] if p["shape"] == "closed"]
        open_points = [p for p in facts["points"] if p["shape"] == "open"]
        (line,) = closed.plot([p["level"] for p in closed_points], [p["throughput"] for p in closed_points],
                              marker="o", label=name)  # fmt: skip
        colour = line.get_color()  # one colour per variant in both panels
        opened.plot([p["level"] for p in open_points], [p["p95_ms"] for p in open_points], marker="o",
                    color=colour, label=f"{name} p95")  # fmt: skip
        opened.plot([p["level"] for p in open_points], [p["p50_ms"] for p in open_points], marker=".",
                    color=colour, linestyle="--", label=f"{name} p50")  # fmt: skip
    closed.set(xscale="log", xlabel="concurrent conversations (closed loop)", ylabel="answered messages / s",
               title="Saturation throughput")  # fmt: skip
    opened.set(yscale="log", xlabel="offered messages / s (open loop, Poisson)", ylabel="latency ms",
               title="Latency at a given load")  # fmt: skip
    opened.axhline(150, color="grey", linewidth=0.8, linestyle=":")
    for axes in (closed, opened):
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
    figure.suptitle(f"REST channel, scripted conversations - {run['machine']}")
    figure.tight_layout()
    figure.savefig(destination, dpi=110)
    plt.close(figure)


def write(run: Dict[str, Any], directory: Path) -> Dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "latest.json", "table": directory / "latest.md", "plot": directory / "latest.png"}
    paths["json"].write_text(json.dumps(run, indent=2, default=str) + "\n", encoding="utf-8")
    paths["table"].write_text(markdown_table(run), encoding="utf-8")
    plot(run, paths["plot"])
    return paths
