"""The SQLite tracker file: pooled connections, write-ahead logging, normal syncing.

The embedded profile keeps trackers in SQLite, where SQLAlchemy 1.4 opens and closes a new connection for
every session (``NullPool``): with Rasa's three sessions per turn, connecting and closing was 16 % of the Rasa
process's CPU in our profile. ``pooled_sqlite`` gives the tracker store an engine that keeps its connections,
each switched to write-ahead logging with ``synchronous=NORMAL``: readers (the desk, reports) run beside the
writer, and commits no longer sync the file twice each. After an application crash nothing committed is lost;
after a power cut the last few turns may be (the production profile's PostgreSQL makes no such trade).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import NullPool, QueuePool


def _tune(connection: Any, _record: Any) -> None:
    if isinstance(connection, sqlite3.Connection):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def pooled_sqlite(engine: sa.engine.Engine) -> sa.engine.Engine:
    """A pooled engine for a file-based SQLite ``engine`` (which is disposed of); any other engine as it is."""
    if engine.dialect.name != "sqlite" or not isinstance(engine.pool, NullPool) or not engine.url.database:
        return engine
    pooled = sa.create_engine(engine.url, poolclass=QueuePool, pool_size=4, max_overflow=4,
                              connect_args={"check_same_thread": False, "timeout": 30})  # fmt: skip
    event.listen(pooled, "connect", _tune)
    engine.dispose()
    return pooled
