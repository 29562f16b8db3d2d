"""The report for a period and filters: read the facts, compute the figures, and flatten them for CSV."""

from __future__ import annotations

import csv
import gc
import io
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, Iterator, List, Mapping, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from analytics.facts import ensure_tables, read_facts
from analytics.metrics import ReportFilter, build_report
from analytics.settings import AnalyticsSettings
from handoff.settings import HandoffSettings

MAX_DAYS = 366
NAME_CHARS = 64


class BadFilter(ValueError):
    """A report filter that cannot be read; the message says which and why."""


def compute(engine: Engine, where: ReportFilter, config: AnalyticsSettings, handoff: HandoffSettings,
            now: float) -> Dict[str, Any]:  # fmt: skip
    ensure_tables(engine)
    with collector_paused():
        facts = read_facts(engine, where, max(config.repeat_seconds, config.durable_seconds))
        return build_report(facts, where, config, handoff.queues, now)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a report is read and computed. A report builds some 3 x 10^5 facts
    and rows, none of them in a reference cycle (reference counting frees them), and the collector would walk
    them, and everything else alive, several times over: a quarter of the report's time at 10^5 conversations.
    Pausing it only delays collecting other threads' cycles until the report is done."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadFilter(f"'{name}' must be a date as YYYY-MM-DD, not {text[:40]!r}") from None


def _name(value: str | None, name: str) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > NAME_CHARS or not all(c.isascii() and (c.isalnum() or c in "_-.") for c in value):
        raise BadFilter(f"'{name}' must be a name of letters, digits, '_', '-' or '.' (at most {NAME_CHARS})")
    return value


def parse_filter(params: Mapping[str, str | None], config: AnalyticsSettings, today: date) -> ReportFilter:
    """``from``/``to`` are whole days in the report's time zone, both included (the default: the last 7 days);
    ``channel``, ``intent`` and ``queue`` narrow it."""
    zone = ZoneInfo(config.timezone)
    to_text, from_text = params.get("to"), params.get("from")
    last = _day(to_text, "to") if to_text else today
    first = _day(from_text, "from") if from_text else last - timedelta(days=6)
    if first > last:
        raise BadFilter("'from' must not be after 'to'")
    if (last - first).days >= MAX_DAYS:
        raise BadFilter(f"a report covers at most {MAX_DAYS} days")
    try:
        start = datetime.combine(first, time(), zone).timestamp()
        end = datetime.combine(last + timedelta(days=1), time(), zone).timestamp()
    except (OverflowError, ValueError):  # the day after 9999-12-31, or before year 1: no such period
        raise BadFilter("'from' and 'to' must be dates in the years 1 to 9998") from None
    return ReportFilter(start, end, _name(params.get("channel"), "channel"), _name(params.get("intent"), "intent"),
                        _name(params.get("queue"), "queue"))  # fmt: skip


# -- CSV ------------------------------------------------------------------------------------------------------
def _rows(prefix: str, value: Any) -> Iterator[Tuple[str, str, Any, Any, Any]]:
    """(section, key, count, denominator, rate) for every figure, depth first."""
    if isinstance(value, Mapping):
        if "count" in value and "denominator" in value:
            yield prefix, value.get("key", ""), value["count"], value["denominator"], value.get("rate")
        for name, inner in value.items():
            if name in ("count", "denominator", "rate", "key"):
                continue
            yield from _rows(f"{prefix}.{name}" if prefix else name, inner)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, Mapping) and "key" in item:
                yield from _rows(prefix, item)
            elif isinstance(item, Mapping):
                yield from _rows(f"{prefix}[{item.get('form') or item.get('question') or i}]", item)
            else:
                yield prefix, str(i), item, "", ""
    else:
        yield prefix, "", value, "", ""


def to_csv(report: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180 line ends
    writer.writerow(["section", "key", "value", "denominator", "rate"])
    for section, key, value, denominator, share in _rows("", report):
        writer.writerow([section, _safe(key), _safe(value), denominator, "" if share is None else share])
    return out.getvalue()


def _safe(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula (=, +, -, @ first) is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def rows(report: Mapping[str, Any]) -> List[Tuple[str, str, Any, Any, Any]]:
    return list(_rows("", report))
