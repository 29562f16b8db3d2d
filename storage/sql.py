"""One way to open a SQL database (SQLAlchemy: SQLite by default, PostgreSQL by URL)
and run a transaction, for the hand-off, channel and reference-service stores."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

SQLITE_FILE_PREFIX = "sqlite:///"


def sql_engine(url: str) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created, and its
    connections may be used from the worker threads the services run SQL in."""
    if url.startswith(SQLITE_FILE_PREFIX):
        Path(url.removeprefix(SQLITE_FILE_PREFIX)).parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"check_same_thread": False, "timeout": 30} if url.startswith("sqlite") else {}
    engine = create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_args)
    if url.startswith(SQLITE_FILE_PREFIX):
        # Several processes write these files (the Rasa server, the action server, the desk): with write-ahead
        # logging a reader never waits for a writer, and writers wait their turn (timeout above) instead of
        # failing.
        event.listen(engine, "connect", _write_ahead_logging)
    return engine


def _write_ahead_logging(connection: object, _record: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class SqlStore:
    """Base for stores: an engine, and ``_session()`` = one transaction."""

    def __init__(self, url: str, metadata: MetaData | None = None) -> None:
        self.engine = sql_engine(url)
        self._sessions = sessionmaker(self.engine, future=True, expire_on_commit=False)
        if metadata is not None:
            metadata.create_all(self.engine)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session


def widen_columns(engine: Engine, table: str, lengths: dict[str, int]) -> None:
    """Columns created shorter by an earlier version made as long as the models now declare. PostgreSQL
    enforces ``VARCHAR(n)`` (widening is a catalogue change, no rewrite); SQLite ignores lengths."""
    if engine.dialect.name != "postgresql":
        return
    from sqlalchemy import inspect, text

    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns(table)}
    with engine.begin() as connection:
        for name, length in lengths.items():
            current = getattr(columns.get(name), "length", None)
            if current is not None and current < length:
                connection.execute(text(f'ALTER TABLE "{table}" ALTER COLUMN "{name}" TYPE VARCHAR({int(length)})'))
