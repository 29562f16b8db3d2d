"""``make bench``: our configuration against Rasa's stock one, served the same way.

For each configuration: start the reference service, action server and Rasa
(embedded profile, fresh databases, free ports), then drive scripted
conversations over the REST channel - closed loop at several concurrencies
(saturation) and open loop at several offered rates (latency at a given load)
- while sampling CPU and memory of each process. Writes JSON, a Markdown table
and a PNG plot to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

import requests

from bench import report
from bench.load import LoadResult, closed_loop, open_loop
from bench.processes import UsageSampler
from bench.scenarios import Conversation, ConversationPicker, load_conversations
from bench.stats import summarise
from bot.launcher import (
    ROOT,
    STOCK_TRACKER_STORE,
    Stack,
    StackConfig,
    free_port,
    stop_cleanly_on_sigterm,
    write_embedded_endpoints,
)
from bot.profiles import ProductionSettings, drop_production_state
from bot.tools.nlu_report import TEST_SETS, evaluate

RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Plan:
    concurrencies: List[int]
    rates: List[float]
    closed_duration_s: float
    warmup_s: float
    open_conversations: int
    think_mean_s: float
    # The interleaved comparison: both stacks up at once, loaded in turn, so drift hits both alike.
    ratio_rounds: int = 4
    ratio_duration_s: float = 15
    ratio_concurrency: int = 10


FULL = Plan([1, 10, 50, 200], [10, 25, 50, 100], closed_duration_s=30, warmup_s=5, open_conversations=300,
            think_mean_s=2.0)  # fmt: skip
QUICK = Plan([1, 10], [10], closed_duration_s=5, warmup_s=1, open_conversations=40, think_mean_s=0.5, ratio_rounds=1,
             ratio_duration_s=3)  # fmt: skip


@dataclass(frozen=True)
class Variant:
    """One way of serving a model: what is compared, side by side, in one run."""

    name: str
    model: Path
    serving: str  # "project": our channels and Rasa fixes; "stock": Rasa's own REST channel, as shipped
    profile: str = "embedded"
    rasa_workers: int = 1
    action_workers: int = 1
    label: str = ""


def variants(ours: Path, stock: Path) -> List[Variant]:
    return [
        Variant("stock", stock, "stock", label="rasa init config, Rasa as shipped"),
        Variant("stock-config", stock, "project", label="rasa init config, our serving"),
        Variant("ours", ours, "project", label="our config and serving (make run)"),
        Variant("ours-2-workers", ours, "project", "production", 2, 2,
                label="production profile, 2 Rasa + 2 action workers"),
    ]  # fmt: skip


def start_stack(variant: Variant, workdir: Path) -> Stack:
    actions_port = free_port()
    credentials = workdir / "credentials.yml"
    # Stock serving: Rasa's built-in REST channel only, so none of the project's Rasa fixes load.
    credentials.write_text("rest:\n" if variant.serving == "stock" else (ROOT / "credentials.yml").read_text())
    embedded: Dict[str, Any] = {
        "endpoints": write_embedded_endpoints(workdir / "endpoints.yml", f"http://127.0.0.1:{actions_port}",
                                              workdir / "trackers.db",
                                              STOCK_TRACKER_STORE if variant.serving == "stock" else ""),
        "reference_database": f"sqlite:///{workdir / 'reference.db'}",
        "handoff_database": f"sqlite:///{workdir / 'handoff.db'}",
        "limits_database": f"sqlite:///{workdir / 'limits.db'}",
    }  # fmt: skip
    config = StackConfig(
        model=variant.model, credentials=credentials, rasa_port=free_port(), actions_port=actions_port,
        reference_port=free_port(), desk_port=free_port(), analytics_port=free_port(),
        log_dir=workdir / "log", profile=variant.profile,
        rasa_workers=variant.rasa_workers, action_workers=variant.action_workers,
        database_prefix=f"triage_bench_{uuid.uuid4().hex[:6]}", rasa_patches=variant.serving != "stock",
        env={"CHANNELS_DATABASE_URL": f"sqlite:///{workdir / 'channels.db'}", "DESK_AGENTS": "bench:bench"},
        **(embedded if variant.profile == "embedded" else {}),
    )  # fmt: skip
    return Stack(config).start()


def drop_databases(stack: Stack) -> None:
    if stack.config.profile == "production":
        drop_production_state(ProductionSettings.from_env(stack.environment), stack.config.database_prefix)


def wait_until_idle(stack: Stack, limit_s: float = 90.0) -> None:
    """An overloaded server keeps working on abandoned requests; the next point starts after."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        started = time.monotonic()
        with contextlib.suppress(requests.RequestException):
            requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": "bench-probe", "message": "hi"},
                          headers=stack.rest_headers, timeout=30)  # fmt: skip
        if time.monotonic() - started < 0.5:
            return
        time.sleep(1)


def warm_up(stack: Stack, conversations: List[Conversation], seed: int, run_id: str) -> None:
    """A few conversations first, so the measured ones do not pay for lazy loading."""
    asyncio.run(closed_loop(stack.rasa_url, ConversationPicker(conversations, seed), 2, 3, 0, run_id))
    wait_until_idle(stack)


def measure(stack: Stack, label: str, load: Any) -> Dict[str, Any]:
    pids = {name: service.process.pid for name, service in stack.services.items() if service.process}
    with UsageSampler(pids) as sampler:
        result: LoadResult = asyncio.run(load)
    point: Dict[str, Any] = dict(summarise(result).as_dict())
    point["usage"] = {name: usage.__dict__ for name, usage in sampler.usage.items()}
    print(f"  {label:<28} {point['throughput']:7.1f} msg/s  p50 {point['p50_ms']:7.0f} ms  "
          f"p95 {point['p95_ms']:7.0f} ms  p99 {point['p99_ms']:7.0f} ms  errors {point['errors']}  "
          f"as designed {point['as_designed']:.0%}", flush=True)  # fmt: skip
    for said, reply, count in point["off_script"]:
        print(f"    off script {count}x: {said!r} -> {reply!r}", flush=True)
    wait_until_idle(stack)
    return point


def bench_variant(variant: Variant, plan: Plan, seed: int) -> Dict[str, Any]:
    conversations = load_conversations()
    name = variant.name
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        print(f"\n[{name}] {variant.label}: starting ...", flush=True)
        stack = start_stack(variant, Path(tmp))
        try:
            idle = UsageSampler({"rasa": stack.services["rasa"].process.pid})  # type: ignore[union-attr]
            with idle:
                time.sleep(1)
            warm_up(stack, conversations, seed, f"{name}-warm")
            points = []
            for concurrency in plan.concurrencies:
                picker = ConversationPicker(conversations, seed)
                load = closed_loop(stack.rasa_url, picker, concurrency, plan.closed_duration_s, plan.warmup_s,
                                   f"{name}-c{concurrency}")  # fmt: skip
                points.append(measure(stack, f"closed loop, {concurrency} conversations", load))
            for rate in plan.rates:
                picker = ConversationPicker(conversations, seed)
                load = open_loop(stack.rasa_url, picker, rate, plan.open_conversations, plan.think_mean_s, seed,
                                 f"{name}-o{rate:g}")  # fmt: skip
                points.append(measure(stack, f"open loop, {rate:g} msg/s offered", load))
        finally:
            stack.stop()
            drop_databases(stack)
    saturation = max((p["throughput"] for p in points if p["shape"] == "closed"), default=0.0)
    return {"model": str(variant.model.resolve().relative_to(ROOT)), "label": variant.label,
            "serving": variant.serving, "profile": variant.profile, "rasa_workers": variant.rasa_workers,
            "points": points, "saturation": saturation, "idle_rss_mb": idle.usage["rasa"].rss_mb}  # fmt: skip


def interleaved_ratio(ours: Variant, base: Variant, plan: Plan, seed: int) -> Dict[str, Any]:
    """Throughput of ``ours`` over ``base`` with both stacks running, loaded in turn within each round (and in
    alternating order), so that this machine's drift - tens of percent within minutes - hits both alike.
    The per-variant runs above measure one variant after the other, minutes apart."""
    conversations = load_conversations()
    print(f"\n[interleaved] {ours.name} against {base.name}: {plan.ratio_rounds} rounds of "
          f"{plan.ratio_duration_s:g} s each at {plan.ratio_concurrency} conversations ...", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-ratio-") as tmp:
        stacks: Dict[str, Stack] = {}
        rounds: List[Dict[str, float]] = []
        ratios: List[float] = []
        try:
            for variant in (base, ours):
                workdir = Path(tmp) / variant.name
                workdir.mkdir()
                stacks[variant.name] = start_stack(variant, workdir)
            for name, stack in stacks.items():
                warm_up(stack, conversations, seed, f"{name}-rw")
            for number in range(plan.ratio_rounds):
                order = list(stacks) if number % 2 == 0 else list(reversed(stacks))
                row: Dict[str, float] = {}
                for name in order:
                    picker = ConversationPicker(conversations, seed)
                    load = closed_loop(stacks[name].rasa_url, picker, plan.ratio_concurrency, plan.ratio_duration_s,
                                       2, f"{name}-r{number}")  # fmt: skip
                    row[name] = summarise(asyncio.run(load)).throughput
                    wait_until_idle(stacks[name])
                rounds.append(row)
                ratio = row[ours.name] / row[base.name] if row[base.name] else float("nan")
                if row[base.name]:
                    ratios.append(ratio)
                print(f"  round {number + 1}: {base.name} {row[base.name]:.1f} msg/s, {ours.name} "
                      f"{row[ours.name]:.1f} msg/s: {ratio:.2f}x", flush=True)  # fmt: skip
        finally:
            for stack in stacks.values():
                stack.stop()
                drop_databases(stack)
    return {"pair": f"{ours.name} / {base.name}", "concurrency": plan.ratio_concurrency,
            "duration_s": plan.ratio_duration_s, "rounds": rounds, "ratios": ratios,
            "median": statistics.median(ratios) if ratios else 0.0, "min": min(ratios, default=0.0)}  # fmt: skip


def heldout_f1(model: Path, name: str) -> float:
    summary = evaluate(model, TEST_SETS["heldout"], ROOT / "results" / "bench-nlu" / name)
    return float(summary["intent_macro_f1"])  # type: ignore[arg-type]


def saturation_ratios(configs: Dict[str, Dict[str, Any]]) -> Dict[str, float]:
    """Saturation throughput of each of our variants over the stock ones."""
    ratios = {}
    for ours in ("ours", "ours-2-workers"):
        for base in ("stock", "stock-config"):
            if ours in configs and base in configs and configs[base]["saturation"]:
                ratios[f"{ours} / {base}"] = configs[ours]["saturation"] / configs[base]["saturation"]
    return ratios


def machine() -> str:
    return f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}"


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours", type=Path, default=ROOT / "models" / "triage.tar.gz")
    parser.add_argument("--stock", type=Path, default=ROOT / "models" / "stock.tar.gz")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (not for reporting)")
    parser.add_argument("--skip-nlu", action="store_true", help="do not score the held-out set")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", nargs="*", help="run only these variants (stock, stock-config, ours, ours-2-workers)")
    parser.add_argument("--ratio-only", action="store_true",
                        help="only the interleaved ours / stock comparison (about 5 min): the check for a change "
                             "on the message path")  # fmt: skip
    args = parser.parse_args(argv)
    stop_cleanly_on_sigterm()
    os.environ.setdefault("REST_API_KEY", secrets.token_hex(24))  # the stacks and the load share it
    for model in (args.ours, args.stock):
        if not model.exists():
            print(f"error: no model at {model}; `make bench` trains both", file=sys.stderr)
            return 1
    plan = QUICK if args.quick else FULL
    if args.ratio_only:
        by_name = {v.name: v for v in variants(args.ours, args.stock)}
        ratio = interleaved_ratio(by_name["ours"], by_name["stock"], plan, args.seed)
        print(
            f"\ninterleaved ours / stock: {', '.join(f'{r:.2f}x' for r in ratio['ratios'])} "
            f"(median {ratio['median']:.2f}x, lowest {ratio['min']:.2f}x)"
        )
        return 0
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    run: Dict[str, Any] = {"started": started, "commit": report.commit(), "machine": machine(), "plan": plan.__dict__,
                           "configs": {}}  # fmt: skip
    chosen = [v for v in variants(args.ours, args.stock) if not args.only or v.name in args.only]
    f1_cache: Dict[Path, float] = {}
    for variant in chosen:
        run["configs"][variant.name] = bench_variant(variant, plan, args.seed)
        if not args.skip_nlu:
            if variant.model not in f1_cache:
                print(f"[{variant.name}] scoring the held-out NLU set ...", flush=True)
                f1_cache[variant.model] = heldout_f1(variant.model, variant.model.stem)
            run["configs"][variant.name]["heldout_macro_f1"] = f1_cache[variant.model]
    run["ratios"] = saturation_ratios(run["configs"])
    by_name = {v.name: v for v in chosen}
    if "ours" in by_name and "stock" in by_name:
        run["interleaved"] = interleaved_ratio(by_name["ours"], by_name["stock"], plan, args.seed)
    paths = report.write(run, args.out)
    print("\n" + paths["table"].read_text(encoding="utf-8"))
    print(f"Written: {', '.join(str(p) for p in paths.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
