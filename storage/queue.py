"""Handing out the rows of an ordered SQL queue (the channels' outbound messages, the hand-off's effects).

Rows belong to groups (a customer, a conversation) and are handled one at a time per group, oldest first: only
a group's oldest unfinished row is due, and only when its retry time has come. A row is leased to one worker
with a token of its own; what that worker later records about the row counts only while its lease is still the
row's (``settle``), so a worker that stalled past its lease cannot overwrite the work of the one that took over.
Both statements are plain compare-and-set UPDATEs: the same on SQLite and PostgreSQL, with any number of workers.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable, ContextManager, List, TypeVar

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, aliased

T = TypeVar("T")


def claim_heads(
    session: Callable[[], ContextManager[Session]],
    row: Any,
    group: str,
    unfinished: Callable[[Any], Any],
    now: float,
    limit: int,
    lease_seconds: float,
    read: Callable[[Any, str], T],
) -> List[T]:
    """Lease the oldest due row of up to ``limit`` groups; ``read(row, token)`` is what the caller gets."""
    earlier = aliased(row)
    first = ~exists().where(getattr(earlier, group) == getattr(row, group), unfinished(earlier), earlier.seq < row.seq)
    free = (row.lease_until.is_(None)) | (row.lease_until < now)
    due = row.next_attempt_at <= now
    with session() as reading:
        candidates = reading.scalars(
            select(row.seq).where(unfinished(row), due, first, free).order_by(row.seq).limit(limit)
        ).all()
    claimed: List[T] = []
    for seq in candidates:
        token = str(uuid.uuid4())
        with session() as claiming:
            won = claiming.execute(
                update(row)
                .where(row.seq == seq, unfinished(row), due, free)
                .values(lease_until=now + lease_seconds, lease_token=token)
            ).rowcount
            if won:
                claimed.append(read(claiming.get(row, seq), token))
    return claimed


def settle(session: Callable[[], ContextManager[Session]], row: Any, seq: int, token: str, release: bool,
           **values: Any) -> bool:  # fmt: skip
    """Record ``values`` on a leased row (and end the lease when ``release``); False if the lease was lost."""
    if release:
        values.update(lease_until=None, lease_token=None)
    with session() as writing:
        changed = writing.execute(update(row).where(row.seq == seq, row.lease_token == token).values(**values))
        return bool(changed.rowcount)
