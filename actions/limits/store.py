"""Where limit events are kept: one table (SQLite embedded, PostgreSQL when pointed at it) or Redis sorted sets
(production: every action-server worker and machine shares them). Both keep only what a limit can still use."""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path
from typing import List, Protocol, Tuple

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError

from storage.sql import SqlStore

DEFAULT_DATABASE = Path(__file__).resolve().parents[2] / "var" / "limits.db"

metadata = MetaData()
limit_events = Table(
    "limit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False),
    Column("member", String(64), nullable=False),  # the turn that caused it: a re-run of a turn counts once
    Column("at", Float, nullable=False),
    Index("ix_limit_events_key_at", "key", "at"),
    Index("ix_limit_events_key_member", "key", "member", unique=True),
)


class LimitStore(Protocol):
    def record(self, key: str, member: str, at: float, keep_s: float) -> None:
        """Note one event for ``key`` (once per ``member``); events older than ``keep_s`` may be forgotten."""

    def since(self, key: str, earliest: float) -> List[Tuple[str, float]]:
        """``key``'s events at or after ``earliest``: (member, time), oldest first."""


class SqlLimitStore(SqlStore):
    def __init__(self, url: str) -> None:
        super().__init__(url, metadata)

    def record(self, key: str, member: str, at: float, keep_s: float) -> None:
        try:
            with self._session() as session:
                session.execute(delete(limit_events).where(limit_events.c.key == key, limit_events.c.at < at - keep_s))
                session.execute(insert(limit_events).values(key=key, member=member, at=at))
        except IntegrityError:
            pass  # this turn was counted already

    def since(self, key: str, earliest: float) -> List[Tuple[str, float]]:
        with self._session() as session:
            rows = session.execute(
                select(limit_events.c.member, limit_events.c.at)
                .where(limit_events.c.key == key, limit_events.c.at >= earliest)
                .order_by(limit_events.c.at)
            )
            return [(row[0], row[1]) for row in rows]


class RedisLimitStore:
    """A sorted set per key (member: a unique id, score: the time), trimmed and given an expiry on each write."""

    def __init__(self, url: str, namespace: str = "") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = key_prefix(namespace)

    def record(self, key: str, member: str, at: float, keep_s: float) -> None:
        name = self.prefix + key
        pipe = self._redis.pipeline(transaction=True)
        pipe.zadd(name, {member: at}, nx=True)  # nx: a re-run of the turn keeps its first time
        pipe.zremrangebyscore(name, "-inf", at - keep_s)
        pipe.expire(name, int(keep_s) + 60)
        pipe.execute()

    def since(self, key: str, earliest: float) -> List[Tuple[str, float]]:
        found = self._redis.zrangebyscore(self.prefix + key, earliest, "+inf", withscores=True)
        return [(member.decode(), score) for member, score in found]


def key_prefix(namespace: str) -> str:
    """Where a deployment's limit keys live in Redis (``LIMITS_NAMESPACE`` separates deployments)."""
    return f"triage:limits:{namespace + ':' if namespace else ''}"


def store_from_env() -> LimitStore:
    """``LIMITS_REDIS_URL`` (production), else ``LIMITS_DATABASE_URL``, else a SQLite file under var/."""
    redis_url = os.environ.get("LIMITS_REDIS_URL")
    if redis_url:
        return RedisLimitStore(redis_url, os.environ.get("LIMITS_NAMESPACE", ""))
    return SqlLimitStore(os.environ.get("LIMITS_DATABASE_URL") or f"sqlite:///{DEFAULT_DATABASE}")


@functools.lru_cache(maxsize=1)
def limit_store() -> LimitStore:
    return store_from_env()


def now() -> float:
    return time.time()
