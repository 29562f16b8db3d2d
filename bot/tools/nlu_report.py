"""``make test-nlu``: score the trained model on the held-out, adversarial and real-traffic sets.

Runs Rasa's own evaluation (``rasa test nlu``) on each set, so designers get
the usual reports and confusion-matrix images under ``results/nlu/<set>/``,
then prints one summary table: intent accuracy and macro-F1, entity F1 per
entity, and whether the quality bars are met. The real-traffic set
(``tests/nlu/realistic``) is also scored as the bot acts on it
(``bot/tools/traffic_scores.py``): unsupported requests declined, small talk,
how often it asks "did you mean", and every wrong turn into a risky task,
written to ``results/nlu/realistic/traffic.json``. Every set's calibration is printed too
(``bot/tools/calibration.py``): ECE, accuracy by confidence band, precision at the fallback threshold per
intent.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

from bot.tools.calibration import Prediction
from bot.tools.calibration import report_lines as calibration_lines
from bot.tools.traffic_scores import FALLBACK, Judged, TrafficScores, report_lines, score

TEST_SETS = {
    "heldout": Path("tests/nlu/heldout"),
    "adversarial": Path("tests/nlu/adversarial"),
    "realistic": Path("tests/nlu/realistic"),
}
ENTITY_REPORT = "PatternEntityExtractor_report.json"
INTENT_BAR, ENTITY_BAR = 0.95, 0.95


def summarise(result_dir: Path) -> Dict[str, object]:
    intents = json.loads((result_dir / "intent_report.json").read_text())
    summary: Dict[str, object] = {
        "accuracy": intents["accuracy"],
        "intent_macro_f1": intents["macro avg"]["f1-score"],
        "entities": {},
    }
    entity_file = result_dir / ENTITY_REPORT
    if entity_file.exists():
        report = json.loads(entity_file.read_text())
        summary["entities"] = {
            name: scores["f1-score"]
            for name, scores in report.items()
            if isinstance(scores, dict) and name not in {"micro avg", "macro avg", "weighted avg"}
        }
        summary["entity_micro_f1"] = report.get("micro avg", {}).get("f1-score")
    return summary


def evaluate(model: Path, data: Path, out: Path) -> Dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    print(f"Evaluating {data} ...", flush=True)
    command = [
        sys.executable,
        "-m",
        "rasa",
        "test",
        "nlu",
        "--model",
        str(model),
        "--nlu",
        str(data),
        "--out",
        str(out),
    ]
    completed = subprocess.run(command, capture_output=True, text=True)
    (out / "rasa-test.log").write_text(completed.stdout + completed.stderr)
    if completed.returncode != 0:
        raise SystemExit(f"error: rasa test nlu failed for {data}; see {out / 'rasa-test.log'}")
    return summarise(out)


def judge(model: Path, data: Path) -> List[Judged]:
    """Every message of ``data`` as the trained model reads it (in process, as the Rasa server does)."""
    import asyncio
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    from bot.tools.nlu_scores import load_examples

    configure_structlog(logging.WARNING)  # not a debug line per parsed message
    agent = Agent.load(str(model))
    examples = load_examples(sorted(data.glob("*.yml")))

    async def parse_all() -> List[Dict]:
        return [await agent.parse_message(example.text) for example in examples]

    judged = []
    for example, parsed in zip(examples, asyncio.run(parse_all()), strict=True):
        ranking = [r for r in parsed["intent_ranking"] if r["name"] != FALLBACK]
        top = ranking[0] if ranking else {"name": FALLBACK, "confidence": 0.0}
        judged.append(Judged(example.text, example.intent, top["name"], parsed["intent"]["name"],
                             float(top["confidence"])))  # fmt: skip
    return judged


def fallback_threshold(config: Path) -> float:
    """The fallback classifier's threshold in config.yml, where per-intent precision is read."""
    import yaml

    pipeline = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("pipeline") or []
    for component in pipeline:
        if str(component.get("name", "")).endswith("FallbackClassifier"):
            return float(component.get("threshold", 0.3))  # Rasa's default
    return 0.0


def format_table(results: Dict[str, Dict[str, object]]) -> List[str]:
    lines = [f"{'set':<12} {'accuracy':>9} {'intent F1':>10} {'entity F1':>10}"]
    for name, summary in results.items():
        entity = summary.get("entity_micro_f1")
        lines.append(
            f"{name:<12} {summary['accuracy']:>9.3f} {summary['intent_macro_f1']:>10.3f} "
            f"{(f'{entity:.3f}' if isinstance(entity, float) else '-'):>10}"
        )
    for name, summary in results.items():
        per_entity: Dict[str, float] = summary.get("entities") or {}  # type: ignore[assignment]
        if per_entity:
            details = ", ".join(f"{k} {v:.2f}" for k, v in sorted(per_entity.items()))
            lines.append(f"  {name} entities: {details}")
    return lines


def unseen_lines(judged: Dict[str, List[Judged]], training_data: Path) -> List[str]:
    """Each set's scores again without the messages that are also training examples (docs/nlu.md)."""
    from bot.tools.nlu_scores import load_examples, split_by_training

    training = [example.text for example in load_examples(sorted(training_data.rglob("*.yml")))]
    lines = []
    for name, messages in judged.items():
        seen, unseen = split_by_training([j.text for j in messages], training)
        rest = score([messages[i] for i in unseen])
        line = (f"{name} without the {len(seen)} of {len(messages)} messages also in training: "
                f"intent macro-F1 {rest.intent_macro_f1:.3f}")  # fmt: skip
        if name == "realistic":
            line = "\n".join(report_lines(line, rest))
        lines.append(line)
    return lines


def write_traffic(scores: TrafficScores, path: Path) -> None:
    from dataclasses import asdict

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(scores), indent=2, ensure_ascii=False), encoding="utf-8")


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/triage.tar.gz"))
    parser.add_argument("--out", type=Path, default=Path("results/nlu"))
    args = parser.parse_args(argv)
    results = {name: evaluate(args.model, path, args.out / name) for name, path in TEST_SETS.items()}
    print("\n".join(format_table(results)))
    judged = {name: judge(args.model, path) for name, path in TEST_SETS.items()}
    traffic = score(judged["realistic"])
    write_traffic(traffic, args.out / "realistic" / "traffic.json")
    print("\n".join(report_lines("realistic, as the bot acts", traffic)))
    print("\n".join(unseen_lines(judged, Path("data"))))
    threshold = fallback_threshold(Path("config.yml"))
    for name, messages in judged.items():
        predictions = [Prediction(j.gold, j.top, j.confidence) for j in messages]
        print("\n".join(calibration_lines(name, predictions, threshold)))
    held = results["heldout"]
    ok = held["intent_macro_f1"] >= INTENT_BAR and (held.get("entity_micro_f1") or 0) >= ENTITY_BAR  # type: ignore[operator]
    print(
        f"\nQuality bars (held-out): intent macro-F1 >= {INTENT_BAR}, entity F1 >= {ENTITY_BAR}: "
        f"{'met' if ok else 'NOT met'}. Reports and confusion matrices: {args.out}/<set>/"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
