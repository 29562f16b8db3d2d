"""Pure: is a queue open, and when does it next open?"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Tuple
from zoneinfo import ZoneInfo

from handoff.settings import DAYS, Queue


def is_open(queue: Queue, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(queue.timezone))
    span = queue.hours.get(DAYS[local.weekday()])
    if span is None:
        return False
    minute = local.hour * 60 + local.minute
    return span[0] <= minute < span[1]


def next_opening(queue: Queue, now: datetime) -> datetime | None:
    """The next moment the queue opens (in its own time zone); None if it never does."""
    zone = ZoneInfo(queue.timezone)
    local = now.astimezone(zone)
    for offset in range(0, 8):
        day = (local + timedelta(days=offset)).date()
        span = queue.hours.get(DAYS[day.weekday()])
        if span is None:
            continue
        opening = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=span[0])
        if opening > local or (offset == 0 and is_open(queue, now)):
            return opening if opening > local else None
    return None


def open_seconds_between(queue: Queue, start: float, end: float) -> float:
    """Seconds from ``start`` to ``end`` (epoch seconds) during which the queue was open: the clock a
    business-hours service-level target runs on. Walks the queue's local days, so a change of clocks
    (summer time) moves the opening hours with the wall clock, as people keep them."""
    if end <= start:
        return 0.0
    zone = ZoneInfo(queue.timezone)
    day = datetime.fromtimestamp(start, zone).date()
    last = datetime.fromtimestamp(end, zone).date()
    total = 0.0
    while day <= last:
        span = queue.hours.get(DAYS[day.weekday()])
        if span is not None:
            opens, closes = _opening(queue.timezone, day, span[0], span[1])
            total += max(0.0, min(end, closes) - max(start, opens))
        day += timedelta(days=1)
    return total


@lru_cache(maxsize=4096)
def _opening(timezone: str, day: date, opens: int, closes: int) -> Tuple[float, float]:
    """Epoch seconds of ``opens`` and ``closes`` (minutes after local midnight) on ``day``: the same few days
    come up for every ticket of a report, and working them out through the time zone is the slow part."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
    return (midnight + timedelta(minutes=opens)).timestamp(), (midnight + timedelta(minutes=closes)).timestamp()


def describe_opening(queue: Queue, now: datetime) -> str:
    """ "today at 08:00", "tomorrow at 09:00", "on Monday at 09:00" in the queue's zone."""
    opening = next_opening(queue, now)
    if opening is None:
        return "as soon as possible"
    local_now = now.astimezone(opening.tzinfo)
    days = (opening.date() - local_now.date()).days
    when = "today" if days == 0 else "tomorrow" if days == 1 else f"on {opening:%A}"
    return f"{when} at {opening:%H:%M} ({queue.timezone.split('/')[-1].replace('_', ' ')} time)"
