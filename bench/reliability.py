"""``make soak``: many conversations on the production profile while real
faults hit it, then an audit of every stored conversation.

Runs 200 customers for 5 minutes against several Rasa workers (PostgreSQL
trackers, Redis locks, RabbitMQ events). On a schedule it kills a Rasa worker,
restarts Redis and RabbitMQ and stops PostgreSQL for a few seconds. Customers
resend unanswered messages with the same message_id. Afterwards every tracker
is checked against what its customer sent, the broker's event stream is
counted against the trackers, and the figures go to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import time
import uuid
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any, Dict, List, Tuple

from sqlalchemy import create_engine, text

from bench.audit import audit_conversation, totals
from bench.faults import FaultRecord, fault_actions
from bench.report import commit
from bench.resilient import Outcome, customers
from bench.scenarios import ConversationPicker, load_conversations
from bench.stats import percentile
from bot.launcher import ROOT, Stack, StackConfig, free_port, stop_cleanly_on_sigterm
from bot.profiles import ProductionSettings, ServiceMissing, drop_production_state, postgres_url, require_services

RESULTS = ROOT / "bench" / "results"
SCHEDULE: List[Tuple[float, str]] = [
    (60, "kill_rasa_worker"),
    (120, "restart_redis"),
    (180, "restart_rabbitmq"),
    (240, "pause_postgres"),
]


async def inject(schedule: List[Tuple[float, str]], actions: Dict[str, Any], t0: float,
                 records: List[FaultRecord]) -> None:  # fmt: skip
    for at_s, name in schedule:
        await asyncio.sleep(max(0.0, at_s - (time.monotonic() - t0)))
        started = time.monotonic() - t0
        print(f"  t={started:5.0f}s  fault: {name} ...", flush=True)
        detail = await asyncio.to_thread(actions[name])
        restored = time.monotonic() - t0
        print(f"  t={restored:5.0f}s  {detail}", flush=True)
        records.append(FaultRecord(name, started, restored, detail))


async def progress(outcome: Outcome, t0: float, duration_s: float) -> None:
    while time.monotonic() - t0 < duration_s:
        await asyncio.sleep(15)
        acked = sum(m.acknowledged for sent in outcome.sent.values() for m in sent)
        print(f"  t={time.monotonic() - t0:5.0f}s  {acked} messages answered, {len(outcome.failures)} failed "
              f"attempts so far", flush=True)  # fmt: skip


async def drive(stack: Stack, concurrency: int, duration_s: float, think_s: float, schedule: List[Tuple[float, str]],
                run_id: str) -> Tuple[Outcome, List[FaultRecord], float]:  # fmt: skip
    outcome = Outcome()
    records: List[FaultRecord] = []
    rasa_pid = stack.services["rasa"].process.pid  # type: ignore[union-attr]
    picker = ConversationPicker(load_conversations(), seed=11)
    t0 = time.monotonic()
    await asyncio.gather(
        customers(stack.rasa_url, picker, concurrency, duration_s, think_s, run_id, outcome),
        inject(schedule, fault_actions(rasa_pid), t0, records),
        progress(outcome, t0, duration_s),
    )
    return outcome, records, time.monotonic() - t0


def stored_events(settings: ProductionSettings, database: str, run_id: str) -> Dict[str, List[Dict[str, Any]]]:
    engine = create_engine(postgres_url(settings, database))
    events: Dict[str, List[Dict[str, Any]]] = {}
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT sender_id, data FROM events WHERE sender_id LIKE :p ORDER BY id"),
                                  {"p": f"{run_id}-%"})  # fmt: skip
        for sender, data in rows:
            events.setdefault(sender, []).append(json.loads(data))
    engine.dispose()
    return events


EventKey = Tuple[str, str, float]
# For the report: a few whole conversations where broker and tracker disagree.
BrokerLog = Dict[str, List[Dict[str, Any]]]


def event_key(sender: str, event: Dict[str, Any]) -> EventKey:
    return sender, str(event.get("event")), float(event.get("timestamp") or 0)


def brief(event: Dict[str, Any]) -> Dict[str, Any]:
    keep = ("event", "timestamp", "text", "message_id", "name")
    return {k: event.get(k) for k in keep if event.get(k) is not None}


async def broker_events(settings: ProductionSettings, queue_name: str, run_id: str, log: BrokerLog,
                        settle_s: float = 30.0) -> Counter:  # fmt: skip
    """Drain the event queue: which events RabbitMQ carried for this run. The stream is asynchronous (events
    refused during a fault are re-sent later), so draining ends only when nothing has arrived for ``settle_s``."""
    import aio_pika

    host, port = settings.rabbitmq
    url = f"amqp://{settings.rabbitmq_user}:{settings.rabbitmq_password}@{host}:{port}/"
    counts: Counter = Counter()
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        quiet_since = time.monotonic()
        while True:
            message = await queue.get(timeout=5, fail=False)
            if message is None:
                if time.monotonic() - quiet_since >= settle_s:
                    break
                await asyncio.sleep(1)
                continue
            quiet_since = time.monotonic()
            await message.ack()
            event = json.loads(message.body)
            sender = event.get("sender_id", "")
            if sender.startswith(f"{run_id}-"):
                counts[event_key(sender, event)] += 1
                log.setdefault(sender, []).append(brief(event))
    return counts


def failure_windows(outcome: Outcome, records: List[FaultRecord], horizon_s: float = 60.0) -> List[Dict[str, Any]]:
    """Per fault: failed attempts between it and the next fault, and when the last one was."""
    windows = []
    for index, record in enumerate(records):
        end = records[index + 1].started_s if index + 1 < len(records) else record.started_s + horizon_s
        failed = [(t, e) for t, e in outcome.failures if record.started_s <= t < end]
        windows.append({
            "fault": record.name, "detail": record.detail, "at_s": round(record.started_s, 1),
            "service_back_after_s": round(record.restored_s - record.started_s, 1),
            "failed_attempts": len(failed), "errors": dict(Counter(e for _, e in failed)),
            "last_failure_after_fault_s": round(max(t for t, _ in failed) - record.started_s, 1) if failed else 0.0,
        })  # fmt: skip
    return windows


def given_up(outcome: Outcome, events: Dict[str, List[Dict[str, Any]]], limit: int = 10) -> List[Dict[str, Any]]:
    """The messages customers gave up on: what they got on each attempt and what the tracker holds for them,
    so a give-up can be explained without the logs."""
    cases = []
    for sender, sent in sorted(outcome.sent.items()):
        for message in sent:
            if message.acknowledged or not message.attempts:
                continue
            stored = events.get(sender, [])
            at = next((i for i, e in enumerate(stored) if e.get("message_id") == message.message_id), None)
            cases.append({"sender": sender, "text": message.text, "attempts": message.attempts,
                          "errors": dict(Counter(message.errors)),
                          "stored_turn": [] if at is None else [brief(e) for e in stored[at:at + 12]]})  # fmt: skip
    return cases[:limit]


def report(run: Dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "reliability.json").write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")
    audit = run["audit"]
    lines = [
        f"# Reliability run {run['started']}", "",
        f"{run['concurrency']} concurrent customers for {run['duration_s']:.0f} s on the production profile "
        f"({run['rasa_workers']} Rasa workers, {run['action_workers']} action workers); commit {run['commit']}.", "",
        f"- conversations: {audit['conversations']}; messages sent: {run['messages']}; answered: {run['answered']}; "
        f"given up after retries: {run['gave_up']}",
        f"- answered-message latency: p50 {run['latency_ms']['p50']:.0f} ms, p95 {run['latency_ms']['p95']:.0f} ms, "
        f"p99 {run['latency_ms']['p99']:.0f} ms, max {run['latency_ms']['max']:.0f} ms",
        f"- failed attempts (all retried): {run['failed_attempts']}",
        f"- audit of every tracker: lost {audit['lost']}, duplicated {audit['duplicated']}, reordered "
        f"{audit['reordered']}, unfinished turns {audit['unfinished_turns']}; processed although the customer saw "
        f"an error (then answered on retry): {audit['unacknowledged_stored']}",
        f"- event broker: {run['broker']['events_on_queue']} events on RabbitMQ for {run['broker']['events_stored']} "
        f"stored: {run['broker']['missing']} stored events never reached the broker, "
        f"{run['broker']['not_in_a_tracker']} broker events are in no tracker, {run['broker']['delivered_twice']} "
        f"were delivered twice (re-sent after a publish whose confirmation was lost: at-least-once)", "",
        "| fault | at s | service back after s | failed attempts | last failure after fault s | errors |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    for window in run["faults"]:
        cells = ("fault", "at_s", "service_back_after_s", "failed_attempts", "last_failure_after_fault_s", "errors")
        lines.append("| " + " | ".join(str(window[cell]) for cell in cells) + " |")
    if run["given_up_messages"]:
        lines += ["", "Messages given up on (first ten; the stored turn is in reliability.json):", ""]
        lines += [f"- {case['sender']}: {case['text']!r}, {case['attempts']} attempts, {case['errors']}"
                  for case in run["given_up_messages"]]  # fmt: skip
    path = directory / "reliability.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds")
    parser.add_argument("--think", type=float, default=4.0, help="mean think time between messages, seconds")
    parser.add_argument("--rasa-workers", type=int, default=2)
    parser.add_argument("--action-workers", type=int, default=2)
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--faults", nargs="*", choices=[name for _, name in SCHEDULE],
                        help="inject only these faults (at their usual times)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    stop_cleanly_on_sigterm()
    os.environ.setdefault("REST_API_KEY", secrets.token_hex(24))  # the stack and the customers share it
    settings = ProductionSettings()
    try:
        require_services(settings)
    except ServiceMissing as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    run_id = f"soak{uuid.uuid4().hex[:6]}"
    prefix = f"triage_{run_id}"
    chosen = [(t, name) for t, name in SCHEDULE if args.faults is None or name in args.faults]
    schedule = [] if args.no_faults else [(t * args.duration / 300.0, name) for t, name in chosen]
    log_dir = ROOT / "var" / "soak" / run_id
    config = StackConfig(
        rasa_port=free_port(), actions_port=free_port(), reference_port=free_port(), desk_port=free_port(),
        analytics_port=free_port(),
        log_dir=log_dir, profile="production", database_prefix=prefix, rasa_workers=args.rasa_workers,
        action_workers=args.action_workers, env={"DESK_AGENTS": "soak:soak"},
    )  # fmt: skip
    print(f"Starting the production profile ({args.rasa_workers} Rasa workers), databases {prefix}_* ...", flush=True)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with Stack(config) as stack:
        print(f"{args.concurrency} customers for {args.duration:.0f} s; faults: "
              f"{', '.join(f'{n} at {t:.0f}s' for t, n in schedule) or 'none'}", flush=True)  # fmt: skip
        outcome, records, elapsed = asyncio.run(
            drive(stack, args.concurrency, args.duration, args.think, schedule, run_id)
        )
        print("Load done; auditing every conversation ...", flush=True)
        events = stored_events(settings, f"{prefix}_trackers", run_id)
        broker_log: BrokerLog = {}
        broker = asyncio.run(broker_events(settings, f"{prefix}_events", run_id, broker_log))
    audits = [audit_conversation(sender, sent, events.get(sender, [])) for sender, sent in outcome.sent.items()]
    audit = totals(audits)
    stored = Counter(event_key(sender, e) for sender, evs in events.items() for e in evs)
    latencies = [x * 1000 for x in outcome.latencies]
    run = {
        "started": started, "commit": commit(), "concurrency": args.concurrency, "duration_s": elapsed,
        "rasa_workers": args.rasa_workers, "action_workers": args.action_workers,
        "messages": sum(len(s) for s in outcome.sent.values()),
        "answered": sum(m.acknowledged for s in outcome.sent.values() for m in s),
        "gave_up": outcome.gave_up, "failed_attempts": len(outcome.failures),
        "latency_ms": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                       "p99": percentile(latencies, 0.99), "max": max(latencies, default=0.0)},
        "audit": asdict(audit) | {"clean": audit.clean},
        "broker": {"events_on_queue": sum(broker.values()), "events_stored": sum(stored.values()),
                   "missing": sum((stored - broker).values()),
                   "not_in_a_tracker": sum(n for k, n in broker.items() if k not in stored),
                   "delivered_twice": sum(n - 1 for k, n in broker.items() if k in stored and n > 1),
                   "disagreeing": {sender: {"tracker": [brief(e) for e in events.get(sender, [])],
                                            "broker": broker_log.get(sender, [])}
                                   for sender in sorted({k[0] for k in (stored - broker) + (broker - stored)})[:3]}},
        "faults": failure_windows(outcome, records),
        "given_up_messages": given_up(outcome, events),
        "log_dir": str(log_dir),
    }  # fmt: skip
    path = report(run, args.out)
    print("\n" + path.read_text(encoding="utf-8"))
    drop_production_state(settings, prefix)
    return 0 if audit.clean and not outcome.gave_up else 1


if __name__ == "__main__":
    sys.exit(main())
