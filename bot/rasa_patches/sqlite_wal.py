"""The SQLite tracker file: one pooled connection, write-ahead logging, normal syncing.

The embedded profile keeps trackers in SQLite, where SQLAlchemy 1.4 opens and
closes a new connection for every session (``NullPool``): with Rasa's three
sessions per turn, connecting and closing was 16 % of the Rasa process's CPU
in our profile. Here the tracker store's engine keeps its connections in a
pool, and each new connection switches the file to write-ahead logging with
``synchronous=NORMAL``: readers (the desk, reports) run beside the writer, and
commits no longer sync the file twice each. After an application crash
nothing committed is lost; after a power cut the last few turns may be (the
production profile's PostgreSQL makes no such trade).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import event
from sqlalchemy.pool import NullPool, QueuePool

from bot.rasa_patches.guard import RASA_3_6, Patch

_rasa_init = SQLTrackerStore.__init__


def _tune(connection: Any, _record: Any) -> None:
    if isinstance(connection, sqlite3.Connection):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def pooled_sqlite(engine: sa.engine.Engine) -> sa.engine.Engine:
    """A pooled engine for a file-based SQLite ``engine``; any other engine as it is."""
    if engine.dialect.name != "sqlite" or not isinstance(engine.pool, NullPool) or not engine.url.database:
        return engine
    pooled = sa.create_engine(engine.url, poolclass=QueuePool, pool_size=4, max_overflow=4,
                              connect_args={"check_same_thread": False, "timeout": 30})  # fmt: skip
    event.listen(pooled, "connect", _tune)
    engine.dispose()
    return pooled


def init_with_pooled_sqlite(self: SQLTrackerStore, *args: Any, **kwargs: Any) -> None:
    _rasa_init(self, *args, **kwargs)
    pooled = pooled_sqlite(self.engine)
    if pooled is not self.engine:
        self.engine = pooled
        self.sessionmaker = sa.orm.session.sessionmaker(bind=pooled)


def apply() -> None:
    SQLTrackerStore.__init__ = init_with_pooled_sqlite


PATCH = Patch(
    name="sqlite_wal",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.tracker_store:SQLTrackerStore.__init__": "64e704d159dfa35b",
    },
    apply=apply,
)
