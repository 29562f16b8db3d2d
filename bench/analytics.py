"""``make bench-analytics``: the analytics store at the product's scale, with figures.

    python -m bench.analytics [--quick] [--db postgresql://postgres@127.0.0.1:5432/test] [--reload] [--report-only]

1. Generates 100,000 conversations of the bot's events (bench/analytics_traffic.py, seeded) and loads them through
   ``AnalyticsStore.ingest`` in the feed's batches (events/s), with the hand-off tickets they opened. The loaded
   database is kept in build/bench/, keyed on the plan and the code that shapes it, for the next run.
2. Times ``compute()`` for the whole 30 days and for one channel (goal: under 2 s), checks its counts against what
   the generator meant, and profiles it when it misses the goal.
3. Runs ``python -m analytics.consumer`` on its own exchange, queue and fresh database, publishes at a steady
   200 msg/s and then as fast as it can, and reads lag and publish-to-stored latency from its /health counters.

Figures go to results/bench/analytics.json and, summarised, to stdout. ``--report-only`` stops after 2 and writes
results/bench/analytics-report.json instead, so the full run's figures stay.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import bisect
import cProfile
import hashlib
import json
import os
import platform
import pstats
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Tuple

import aio_pika
import yaml
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from analytics.facts import read_facts
from analytics.feed import BATCH
from analytics.fold import stream_event
from analytics.metrics import build_report
from analytics.report import collector_paused, compute, parse_filter
from analytics.settings import settings
from analytics.store import AnalyticsStore
from analytics.tables import Base as AnalyticsBase
from analytics.tables import ConversationRow
from bench.analytics_traffic import Traffic, TrafficPlan
from bench.processes import UsageSampler
from bench.report import commit
from bench.stats import percentile
from bot.launcher import ROOT, free_port
from handoff.settings import settings as handoff_settings
from handoff.store import TicketStore
from handoff.tables import MessageRow, TicketEventRow, TicketRow
from storage.sql import SQLITE_FILE_PREFIX, sql_engine

RESULTS = ROOT / "results" / "bench" / "analytics.json"
REPORT_RESULTS = ROOT / "results" / "bench" / "analytics-report.json"  # --report-only
WORK = ROOT / "build" / "bench"
REPORT_GOAL_S = 2.0
LIVE_RATE = 200.0  # msg/s the consumer must keep up with
KEEP_UP_P95_S = 2.0  # ... meaning: 95 % of messages stored within this, and no backlog left when the rate holds
AMQP = "amqp://guest:guest@127.0.0.1:5672/"
HISTORY = "bench_analytics"  # the loaded database's PostgreSQL schema
# What the loaded database depends on: a change to any of these loads it again.
SHAPING = ("bench/analytics_traffic.py", "analytics/fold.py", "analytics/store.py", "analytics/tables.py",
           "handoff/tables.py", "analytics/config.yml", "handoff/config.yml")  # fmt: skip


@dataclass(frozen=True)
class Run:
    plan: TrafficPlan
    db: str | None  # PostgreSQL URL, or None for SQLite files under ``work``
    work: Path
    reload: bool
    report_runs: int
    live_seconds: float
    burst: int  # messages published as fast as possible after the steady phase
    live_on_history: bool  # the consumer also on a copy of the loaded database, not only on an empty one
    results: Path
    report_only: bool = False  # time the report, not the consumer


# -- databases ------------------------------------------------------------------------------------------------
def database(run: Run, name: str) -> str:
    """A database of the benchmark's own: a SQLite file, or a PostgreSQL schema (``search_path``) of that name."""
    if run.db is None:
        return f"sqlite:///{run.work / f'{name}.db'}"
    joiner = "&" if "?" in run.db else "?"
    return f"{run.db}{joiner}options=-csearch_path%3D{name}"


def reset(run: Run, name: str) -> None:
    """Empty the benchmark's database ``name``; nothing else in the server is touched."""
    if run.db is None:
        for suffix in ("", "-wal", "-shm"):
            (run.work / f"{name}.db{suffix}").unlink(missing_ok=True)
        return
    engine = sql_engine(run.db)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()


def drop(run: Run, name: str) -> None:
    if run.db is None:
        return
    engine = sql_engine(run.db)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    engine.dispose()


def cache_key(plan: TrafficPlan) -> str:
    """The plan and what the code that shapes the database means (its syntax tree, its YAML): reformatting or a
    comment keeps the cache, a change of behaviour does not."""
    digest = hashlib.sha256(repr(plan).encode())
    for path in SHAPING:
        source = (ROOT / path).read_text(encoding="utf-8")
        meaning = ast.dump(ast.parse(source)) if path.endswith(".py") else json.dumps(yaml.safe_load(source))
        digest.update(meaning.encode())
    return digest.hexdigest()[:12]


# -- 1. load ---------------------------------------------------------------------------------------------------
def load(run: Run, url: str) -> Dict[str, Any]:
    """Generate the plan's traffic and ingest it in the feed's batches; then its tickets, as the desk left them."""
    store = AnalyticsStore(url, settings())
    traffic = Traffic(run.plan, handoff_settings())
    batch: List[Any] = []
    marks = [(0, 0.0)]  # (events stored so far, ingest seconds so far) after each batch
    generated = kept = stored = 0
    ingest_s, started = 0.0, time.perf_counter()
    for sender, body in traffic:
        generated += 1
        event = stream_event(sender, body)
        if event is not None:
            batch.append(event)
        if len(batch) == BATCH:
            ingest_s, stored = _ingest(store, batch, ingest_s, stored, marks)
            kept += len(batch)
            batch = []
            if len(marks) % 100 == 1:
                print(f"  {stored:>9,} events stored, {stored / ingest_s:,.0f} events/s", flush=True)
    if batch:
        kept += len(batch)
        ingest_s, stored = _ingest(store, batch, ingest_s, stored, marks)
    total_s = time.perf_counter() - started
    tickets_s = insert_tickets(url, traffic)
    tenth = max(1, (len(marks) - 1) // 10)
    return {
        "conversations": run.plan.conversations,
        "rasa_events": generated,
        "events_kept": kept,  # action_listen and action_session_start are not kept (analytics/fold.py)
        "events_stored": stored,
        "events_in_store": store.event_count(),
        "tickets": len(traffic.tickets),
        "batch": BATCH,
        "ingest_s": round(ingest_s, 1),
        "generate_s": round(total_s - ingest_s, 1),
        "tickets_s": round(tickets_s, 1),
        "events_per_s": round(stored / ingest_s) if ingest_s else None,
        "first_tenth_events_per_s": _rate(marks[: tenth + 1]),
        "last_tenth_events_per_s": _rate(marks[-tenth - 1 :]),
        "expected": traffic.expected.as_json(),
    }


def _ingest(store: AnalyticsStore, batch: List[Any], spent: float, stored: int, marks: List[Tuple[int, float]]
            ) -> Tuple[float, int]:  # fmt: skip
    began = time.perf_counter()
    stored += store.ingest(batch)
    spent += time.perf_counter() - began
    marks.append((stored, spent))
    return spent, stored


def _rate(marks: List[Tuple[int, float]]) -> float | None:
    if len(marks) < 2 or marks[-1][1] == marks[0][1]:
        return None
    return round((marks[-1][0] - marks[0][0]) / (marks[-1][1] - marks[0][1]))


def insert_tickets(url: str, traffic: Traffic) -> float:
    """The tickets' rows, lifecycle events and agents' replies, written directly (handoff/tables.py)."""
    began = time.perf_counter()
    engine = TicketStore(url).engine  # creates the hand-off tables
    tickets, events, replies = [], [], []
    for t in traffic.tickets:
        open_ = t.status in ("pending", "assigned")
        last = max([t.created_at, t.claimed_at or 0, t.closed_at or 0, *(at for at, _ in t.replies)])
        tickets.append({
            "id": t.id, "conversation_id": t.sender_id, "channel": t.channel, "status": t.status,
            "open_marker": 1 if open_ else None, "queue": t.queue, "priority": t.priority, "reason": t.reason,
            "summary": f"{t.reason.replace('_', ' ')} ({t.queue})", "payload": json.dumps({"reason": t.reason}),
            "assigned_to": t.agent if t.claimed_at else None, "satisfaction": t.satisfaction,
            "created_at": t.created_at, "updated_at": last,
        })  # fmt: skip
        events.append({"ticket_id": t.id, "kind": "created", "agent": None, "at": t.created_at})
        if t.claimed_at is not None:
            events.append({"ticket_id": t.id, "kind": "assigned", "agent": t.agent, "at": t.claimed_at})
        if t.closed_at is not None:
            events.append({"ticket_id": t.id, "kind": t.status, "agent": t.agent, "at": t.closed_at})
        replies += [{"ticket_id": t.id, "kind": "reply", "author": agent, "text": "(reply)", "created_at": at}
                    for at, agent in t.replies]  # fmt: skip
    with engine.begin() as connection:
        for table, rows in ((TicketRow, tickets), (TicketEventRow, events), (MessageRow, replies)):
            for start in range(0, len(rows), 5000):
                connection.execute(insert(table), rows[start : start + 5000])
    return time.perf_counter() - began


def loaded(run: Run) -> Tuple[str, Dict[str, Any]]:
    """The plan's database, loaded now or by an earlier run with the same key (``--reload`` loads it again)."""
    key = cache_key(run.plan)
    kind = "sqlite" if run.db is None else "postgresql"
    name = f"bench_analytics_{key}" if run.db is None else HISTORY
    url, marker = database(run, name), run.work / f"bench_analytics_{key}_{kind}.json"
    if not run.reload and marker.exists():
        stats = json.loads(marker.read_text())
        try:
            with sql_engine(url).connect() as connection:
                count = connection.scalar(select(func.count()).select_from(ConversationRow))
        except SQLAlchemyError:  # the marker outlived its database
            count = None
        if count == stats["expected"]["conversations"]:
            print(f"Loaded database reused ({marker.name}; --reload loads it again)")
            return url, {**stats, "reused": True}
    run.work.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    reset(run, name)
    print(f"Generating and loading {run.plan.conversations:,} conversations into {kind} ...", flush=True)
    stats = {"key": key, **load(run, url)}
    marker.write_text(json.dumps(stats, indent=1))
    return url, {**stats, "reused": False}


# -- 2. the report ---------------------------------------------------------------------------------------------
def time_report(run: Run, url: str, expected: Dict[str, Any]) -> Dict[str, Any]:
    config, handoff = settings(), handoff_settings()
    engine = sql_engine(url)
    plan = run.plan
    first = plan.last_day - timedelta(days=plan.days - 1)
    timings: Dict[str, Any] = {}
    reports = {}
    for label, channel in (("whole_period", None), ("channel_sms", "sms")):
        where = parse_filter({"from": first.isoformat(), "to": plan.last_day.isoformat(), "channel": channel},
                             config, plan.last_day)  # fmt: skip
        runs = []
        for _ in range(run.report_runs):
            began = time.perf_counter()
            reports[label] = compute(engine, where, config, handoff, plan.now())
            runs.append(time.perf_counter() - began)
        with collector_paused():  # as compute() reads and computes
            read_began = time.perf_counter()
            facts = read_facts(engine, where, max(config.repeat_seconds, config.durable_seconds))
            read_s = time.perf_counter() - read_began
            build_began = time.perf_counter()
            build_report(facts, where, config, handoff.queues, plan.now())
            build_s = time.perf_counter() - build_began
        timings[label] = {
            "runs_s": [round(r, 3) for r in runs], "median_s": round(statistics.median(runs), 3),
            "p95_s": round(percentile(runs, 0.95), 3), "max_s": round(max(runs), 3),
            "meets_goal": statistics.median(runs) < REPORT_GOAL_S,
            "read_facts_s": round(read_s, 3), "build_report_s": round(build_s, 3),
            "conversations": reports[label]["conversations"]["total"],
        }  # fmt: skip
        if statistics.median(runs) >= REPORT_GOAL_S:
            timings[label]["profile"] = profile(engine, where, plan.now(), run.work / f"report_{label}.prof")
    timings["checks"] = checks(reports["whole_period"], reports["channel_sms"], expected)
    timings["senders_split_across_customers"] = split_senders(engine)
    return timings


def split_senders(engine: Any) -> int:
    """Channel addresses whose conversations the store gave different customer keys (one verified, one not):
    repeat contact cannot see those customers come back."""
    keys = func.count(func.distinct(ConversationRow.customer_key))
    split = select(ConversationRow.sender_id).group_by(ConversationRow.sender_id).having(keys > 1).subquery()
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(split)) or 0)


def profile(engine: Any, where: Any, now: float, path: Path) -> List[Dict[str, Any]]:
    """One report under cProfile: the functions the time goes to (cumulative), the statistics file beside."""
    profiler = cProfile.Profile()
    profiler.runcall(compute, engine, where, settings(), handoff_settings(), now)
    profiler.dump_stats(path)
    stats = pstats.Stats(profiler)
    rows = []
    for (file, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{Path(file).name}:{line}({name})", "calls": calls, "own_s": round(own, 3),
                     "cumulative_s": round(cumulative, 3)})  # fmt: skip
    return sorted(rows, key=lambda r: -r["own_s"])[:15]


def checks(whole: Dict[str, Any], sms: Dict[str, Any], expected: Dict[str, Any]) -> Dict[str, Any]:
    """The report's counts beside what the generator meant; ``ok`` where they agree."""
    by_reason = {g["key"]: g["denominator"] for g in whole["escalation"]["by_reason"]}
    by_channel = {g["key"]: g["denominator"] for g in whole["conversations"]["by_channel"]}
    pairs = {
        "conversations": (whole["conversations"]["total"], expected["conversations"]),
        "handed_off": (whole["escalation"]["count"], sum(expected["reasons"].values())),
        "handed_off_by_reason": (by_reason, expected["reasons"]),
        "by_channel": (by_channel, expected["channels"]),
        "customer_messages": (whole["fallback"]["denominator"], expected["customer_messages"]),
        "fallback_messages": (whole["fallback"]["count"], expected["fallbacks"]),
        "abandoned": (whole["abandonment"]["count"], expected["abandoned"]),
        "repeat_contact_24h": (whole["repeat_contact"]["day"]["count"], expected["returns"]),
        "tickets": (whole["agents"]["tickets"], expected["tickets_in_period"]),
        "sms_conversations": (sms["conversations"]["total"], expected["channels"].get("sms", 0)),
    }
    return {name: {"report": got, "generated": meant, "ok": got == meant} for name, (got, meant) in pairs.items()}


# -- 3. the consumer -------------------------------------------------------------------------------------------
class HealthSamples:
    """The consumer's /health counters polled in a thread: (monotonic time, received, stored)."""

    def __init__(self, port: int, interval_s: float = 0.05) -> None:
        self.url, self.interval_s = f"http://127.0.0.1:{port}/health", interval_s
        self.samples: List[Tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def read(self) -> Dict[str, Any]:
        with urllib.request.urlopen(self.url, timeout=2) as answer:
            return json.loads(answer.read())

    def _poll(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                health = self.read()
            except OSError:
                continue
            self.samples.append((time.monotonic(), int(health["received"]), int(health["stored"])))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def received(self) -> int:
        return self.samples[-1][1] if self.samples else 0


def live_messages(run: Run, count: int) -> Tuple[List[bytes], int]:
    """``count`` bodies as Rasa's broker publishes them (the event with its sender_id), from a plan of their own;
    and how many distinct events analytics keeps among them."""
    plan = TrafficPlan(conversations=max(1000, count // 8), seed=run.plan.seed + 1, sender_tag="live")
    bodies, kept = [], set()
    for sender, body in Traffic(plan, handoff_settings()):
        bodies.append(json.dumps({**body, "sender_id": sender}).encode())
        event = stream_event(sender, body)
        if event is not None:
            kept.add(event.event_id)
        if len(bodies) == count:
            break
    return bodies, len(kept)


def start_consumer(run: Run, url: str, exchange: str, queue: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HANDOFF_DATABASE_URL": url, "RABBITMQ_EXCHANGE": exchange,
           "RABBITMQ_ANALYTICS_QUEUE": queue, "ANALYTICS_PORT": str(port)}  # fmt: skip
    with open(run.work / "analytics-consumer.log", "wb") as log:
        return subprocess.Popen([sys.executable, "-m", "analytics.consumer"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def wait_for(condition: Any, limit_s: float) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return False


async def publish(exchange_name: str, queue_name: str, bodies: List[bytes], steady: int, samples: HealthSamples,
                  pid: int) -> Dict[str, Any]:  # fmt: skip
    """The first ``steady`` bodies at LIVE_RATE, then (once those are stored) the rest as fast as possible."""
    sent_at = [0.0] * len(bodies)
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.FANOUT, durable=True)
        queue = await channel.declare_queue(queue_name, durable=True)  # before the consumer: nothing is dropped
        await queue.bind(exchange, "")

        def one(i: int) -> asyncio.Future:
            """Hand message i to the broker; its confirmation is awaited later, as Rasa's broker does not wait."""
            sent_at[i] = time.monotonic()
            message = aio_pika.Message(bodies[i], delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            return asyncio.ensure_future(exchange.publish(message, ""))

        if not await wait_for(lambda: samples.samples, 30):
            raise RuntimeError(f"the consumer did not answer /health; see {WORK / 'analytics-consumer.log'}")
        with UsageSampler({"consumer": pid}) as steady_usage:
            t0, confirmations = time.monotonic(), []
            for i in range(steady):
                await asyncio.sleep(max(0.0, t0 + i / LIVE_RATE - time.monotonic()))
                confirmations.append(one(i))
            steady_end = time.monotonic()
            await asyncio.gather(*confirmations)
            drained = await wait_for(lambda: samples.received() >= steady, 120)
        drain_s = time.monotonic() - steady_end
        with UsageSampler({"consumer": pid}) as burst_usage:
            burst_start = time.monotonic()
            for start in range(steady, len(bodies), 1000):
                await asyncio.gather(*(one(i) for i in range(start, min(start + 1000, len(bodies)))))
            burst_published = time.monotonic()
            await wait_for(lambda: samples.received() >= len(bodies), 300)
    return {"sent_at": sent_at, "t0": t0, "steady_end": steady_end, "drained": drained, "drain_s": drain_s,
            "burst_start": burst_start, "burst_published": burst_published,
            "usage": {"steady": steady_usage.usage["consumer"].__dict__,
                      "burst": burst_usage.usage["consumer"].__dict__}}  # fmt: skip


async def remove(exchange_name: str, queue_name: str) -> None:
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue_name)
        await channel.exchange_delete(exchange_name)


def copy_history(run: Run, history: str, url: str, name: str) -> None:
    """The loaded 30 days into the live database, so the consumer writes where a month of events already is."""
    if run.db is None:
        source = sqlite3.connect(history.removeprefix(SQLITE_FILE_PREFIX))
        with sqlite3.connect(url.removeprefix(SQLITE_FILE_PREFIX)) as target:
            source.backup(target)
        source.close()
        return
    live = sql_engine(url)
    AnalyticsBase.metadata.create_all(live)
    live.dispose()
    engine = sql_engine(run.db)
    with engine.begin() as connection:
        for table in AnalyticsBase.metadata.sorted_tables:
            copied = f'"{name}".{table.name}'
            connection.execute(text(f'INSERT INTO {copied} SELECT * FROM "{HISTORY}".{table.name}'))
            if "id" in table.c and table.c.id.primary_key:  # the copied ids: the sequence carries on after them
                connection.execute(text(f"SELECT setval(s, (SELECT COALESCE(MAX(id), 0) + 1 FROM {copied}), false) "
                                        f"FROM pg_get_serial_sequence('{copied}', 'id') AS s WHERE s IS NOT NULL"))
            connection.execute(text(f"ANALYZE {copied}"))
    engine.dispose()


def measure_consumer(run: Run, history: str | None = None) -> Dict[str, Any]:
    """The consumer on a fresh database, or (``history``) on a copy of the loaded one."""
    steady = int(LIVE_RATE * run.live_seconds)
    bodies, distinct = live_messages(run, steady + run.burst)
    suffix = uuid.uuid4().hex[:8]
    exchange, queue, port = f"bench_analytics_{suffix}_exchange", f"bench_analytics_{suffix}", free_port()
    name = "bench_analytics_live"
    reset(run, name)
    url = database(run, name)
    if history:
        copy_history(run, history, url, name)
    before = AnalyticsStore(url, settings()).event_count()  # its tables exist before the consumer reads them
    process = start_consumer(run, url, exchange, queue, port)
    samples = HealthSamples(port)
    samples.start()
    try:
        timing = asyncio.run(publish(exchange, queue, bodies, steady, samples, process.pid))
        time.sleep(1.0)  # anything stored twice would show up now
        final = samples.read()
    finally:
        samples.stop()
        stop(process)
        asyncio.run(remove(exchange, queue))
    in_store = AnalyticsStore(url, settings()).event_count() - before
    drop(run, name)
    figures = consumer_figures(timing, samples.samples, steady, len(bodies))
    return {
        "events_already_stored": before, "published": len(bodies), "distinct_events": distinct,
        "received": final["received"], "stored": final["stored"], "in_store": in_store,
        "rejected": final["rejected"], "batches": final["batches"],
        "exactly_once": final["stored"] == distinct == in_store and final["received"] == len(bodies),
        **figures, "usage": timing["usage"],
    }  # fmt: skip


def consumer_figures(timing: Dict[str, Any], samples: List[Tuple[float, int, int]], steady: int, total: int
                     ) -> Dict[str, Any]:  # fmt: skip
    """Lag and latency from the counters: messages are stored in the order published (one queue, batches in
    order), so message i is stored by the first sample whose ``received`` passed i. Resolution: the poll interval."""
    times, received = [s[0] for s in samples], [s[1] for s in samples]
    sent = timing["sent_at"]

    def stored_at(i: int) -> float | None:
        k = bisect.bisect_left(received, i + 1)
        return times[k] if k < len(times) else None

    latencies = [done - sent[i] for i in range(steady) if (done := stored_at(i)) is not None]
    published = sorted(sent)
    timeline: List[Dict[str, float]] = []
    lags: List[int] = []
    t0, steady_end = timing["t0"], timing["steady_end"]
    for t, got, _ in samples:
        if t < t0:
            continue
        lag = bisect.bisect_right(published, t) - got
        if t <= steady_end:
            lags.append(lag)
        if not timeline or t - t0 >= timeline[-1]["t_s"] + 1.0:
            timeline.append({"t_s": round(t - t0, 1), "published": got + lag, "stored": got, "lag": lag})
    began = next(((t, got) for t, got, _ in samples if t >= timing["burst_start"] and got > steady), None)
    finished = next(((t, got) for t, got, _ in samples if got >= total), None)
    sustained = None
    if began and finished and finished[0] > began[0]:
        sustained = (finished[1] - began[1]) / (finished[0] - began[0])
    steady_s = steady_end - t0
    p95 = percentile(latencies, 0.95)
    return {
        "steady": {
            "rate_msg_s": LIVE_RATE, "seconds": round(steady_s, 1), "messages": steady,
            "achieved_publish_msg_s": round(steady / steady_s, 1) if steady_s else None,
            "latency_s": {"p50": round(percentile(latencies, 0.5), 3), "p95": round(p95, 3),
                          "max": round(max(latencies), 3) if latencies else None},
            "lag_msgs": {"mean": round(statistics.fmean(lags), 1) if lags else None, "max": max(lags, default=None),
                         "at_end": lags[-1] if lags else None},
            "drained_after_s": round(timing["drain_s"], 2), "drained": timing["drained"],
        },
        "burst": {
            "messages": total - steady,
            "publish_msg_s": round((total - steady) / (timing["burst_published"] - timing["burst_start"]), 1),
            "consumer_msg_s": round(sustained, 1) if sustained else None,
        },
        "max_sustained_msg_s": round(sustained, 1) if sustained else None,
        "keeps_up": bool(timing["drained"] and p95 <= KEEP_UP_P95_S and (sustained or 0) >= LIVE_RATE),
        "timeline": timeline,
    }  # fmt: skip


# -- the run ---------------------------------------------------------------------------------------------------
def summary(result: Dict[str, Any]) -> str:
    load, report, live = result["load"], result["report"], result["consumer"]
    lines = [f"Analytics benchmark, {result['database']}, {result['machine']}, commit {result['commit']}",
             f"Load: {load['conversations']:,} conversations, {load['rasa_events']:,} Rasa events "
             f"({load['events_kept']:,} kept), {load['tickets']:,} tickets"]  # fmt: skip
    if load["reused"]:
        lines.append(f"  (reused from an earlier run: ingest was {load['events_per_s']:,} events/s)")
    else:
        lines.append(f"  ingest {load['ingest_s']:.0f} s = {load['events_per_s']:,} events/s (first tenth "
                     f"{load['first_tenth_events_per_s']:,}/s, last tenth {load['last_tenth_events_per_s']:,}/s); "
                     f"generating {load['generate_s']:.0f} s; tickets {load['tickets_s']:.1f} s")  # fmt: skip
    for label in ("whole_period", "channel_sms"):
        r = report[label]
        verdict = "meets" if r["meets_goal"] else "MISSES"
        lines.append(f"Report {label} ({r['conversations']:,} conversations): median {r['median_s']:.2f} s, p95 "
                     f"{r['p95_s']:.2f} s, max {r['max_s']:.2f} s over {len(r['runs_s'])} runs - {verdict} the "
                     f"{REPORT_GOAL_S:.0f} s goal "
                     f"(reading facts {r['read_facts_s']:.2f} s, computing {r['build_report_s']:.2f} s)")  # fmt: skip
        for row in r.get("profile", [])[:6]:
            lines.append(f"    {row['own_s']:7.3f} s own  {row['cumulative_s']:7.3f} s cum  {row['calls']:>9} calls  "
                         f"{row['function']}")  # fmt: skip
    wrong = {k: v for k, v in report["checks"].items() if not v["ok"]}
    lines.append("Report counts = what was generated: " + ("all agree" if not wrong else "DIFFER: " + "; ".join(
        f"{k} report {v['report']} vs generated {v['generated']}" for k, v in wrong.items())))  # fmt: skip
    lines.append(f"  channel addresses split across customer keys: {report['senders_split_across_customers']:,}")
    if live:
        lines += consumer_lines("Consumer (empty database)", live)
    if result["consumer_on_history"]:
        lines += consumer_lines("Consumer (on a copy of the loaded 30 days)", result["consumer_on_history"])
    return "\n".join(lines)


def consumer_lines(title: str, live: Dict[str, Any]) -> List[str]:
    s = live["steady"]
    return [
        f"{title} at {s['rate_msg_s']:.0f} msg/s for {s['seconds']:.0f} s: latency p50 {s['latency_s']['p50']:.2f} s, "
        f"p95 {s['latency_s']['p95']:.2f} s, max {s['latency_s']['max']:.2f} s; lag mean {s['lag_msgs']['mean']} msgs, "
        f"max {s['lag_msgs']['max']}; CPU {live['usage']['steady']['cpu_percent']:.0f} % of a core",
        f"  burst of {live['burst']['messages']:,} published at {live['burst']['publish_msg_s']:,.0f} msg/s: consumer "
        f"sustains {live['max_sustained_msg_s']} msg/s - "
        f"{'keeps up' if live['keeps_up'] else 'DOES NOT keep up'} with {LIVE_RATE:.0f} msg/s",
        f"  every event stored exactly once: {live['exactly_once']} ({live['stored']:,} stored, "
        f"{live['distinct_events']:,} distinct, {live['received']:,} of {live['published']:,} messages taken)",
    ]  # fmt: skip


def parse(argv: List[str] | None) -> Run:
    parser = argparse.ArgumentParser(description="Analytics at scale: load, report time, consumer throughput")
    parser.add_argument("--quick", action="store_true", help="2,000 conversations, 5 s of live traffic")
    parser.add_argument("--conversations", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", default=None, help="a PostgreSQL URL (its own schemas); default SQLite files")
    parser.add_argument("--reload", action="store_true", help="generate and load again even if cached")
    parser.add_argument("--live-seconds", type=float, default=None, help="seconds at 200 msg/s (default 30)")
    parser.add_argument("--burst", type=int, default=None, help="messages published as fast as possible")
    parser.add_argument("--no-history", action="store_true", help="the consumer on an empty database only")
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--results", type=Path, default=None, help=f"default {RESULTS.relative_to(ROOT)}")
    parser.add_argument("--report-only", action="store_true", help=f"time the report only (to "
                        f"{REPORT_RESULTS.relative_to(ROOT)} unless --results), not the consumer")  # fmt: skip
    parser.add_argument("--report-runs", type=int, default=5, help="times each report is timed (default 5)")
    args = parser.parse_args(argv)
    quick = args.quick
    plan = TrafficPlan(conversations=args.conversations or (2_000 if quick else 100_000), seed=args.seed)
    results = args.results or (REPORT_RESULTS if args.report_only else RESULTS)
    return Run(plan, args.db, args.work, args.reload, max(1, args.report_runs),
               args.live_seconds or (5.0 if quick else 30.0),
               args.burst if args.burst is not None else (1_000 if quick else 20_000), not (quick or args.no_history),
               results, args.report_only)  # fmt: skip


def main(argv: List[str] | None = None) -> Dict[str, Any]:
    run = parse(argv)
    run.work.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    url, load_stats = loaded(run)
    print("Timing the report ...", flush=True)
    report = time_report(run, url, load_stats["expected"])
    consumer = on_history = None
    if not run.report_only:
        print(f"Consumer: {run.live_seconds:.0f} s at {LIVE_RATE:.0f} msg/s, then {run.burst:,} as fast as possible "
              "...", flush=True)  # fmt: skip
        consumer = measure_consumer(run)
    if run.live_on_history and not run.report_only:
        print("Consumer again, on a copy of the loaded 30 days ...", flush=True)
        on_history = measure_consumer(run, history=url)
    result = {
        "started": started, "commit": commit(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],  # other work on the machine skews figures
        "database": "sqlite" if run.db is None else "postgresql",
        "plan": {**run.plan.__dict__, "last_day": run.plan.last_day.isoformat(),
                 "now": datetime.fromtimestamp(run.plan.now(), timezone.utc).isoformat()},
        "goals": {"report_s": REPORT_GOAL_S, "live_msg_s": LIVE_RATE, "keep_up_p95_s": KEEP_UP_P95_S},
        "load": load_stats, "report": report, "consumer": consumer, "consumer_on_history": on_history,
    }  # fmt: skip
    run.results.parent.mkdir(parents=True, exist_ok=True)
    run.results.write_text(json.dumps(result, indent=1))
    print(summary(result))
    print(f"Figures: {run.results}")
    return result


if __name__ == "__main__":
    main()
