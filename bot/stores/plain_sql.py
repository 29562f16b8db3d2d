"""Small hot queries sent as plain SQL, in whichever parameter style the database driver takes.

SQLAlchemy's ORM builds, compiles and caches a query object on every call;
for the one-row look-ups made on every turn that cost several times the query
itself in our profile. These are written once, with ``:name`` parameters.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Tuple

from sqlalchemy.engine import Connection, Engine

_PARAMETER = re.compile(r":([a-z_]+)")


def in_driver_style(paramstyle: str, sql: str, parameters: Dict[str, Any]) -> Tuple[str, Any]:
    """``sql`` with ``:name`` parameters, rewritten with its parameters for a driver's parameter style."""
    if paramstyle == "named":
        return sql, parameters
    if paramstyle == "pyformat":
        return _PARAMETER.sub(r"%(\1)s", sql), parameters
    marker = {"qmark": "?", "format": "%s"}.get(paramstyle)
    if marker is None:
        raise NotImplementedError(f"database drivers with the {paramstyle!r} parameter style are not supported")
    return _PARAMETER.sub(marker, sql), tuple(parameters[n] for n in _PARAMETER.findall(sql))


def driver_sql(connection: Connection, sql: str, parameters: Dict[str, Any]) -> Any:
    """Run ``sql`` (``:name`` parameters) and return the first column of the first row."""
    return connection.exec_driver_sql(*in_driver_style(connection.dialect.paramstyle, sql, parameters)).scalar()


def pooled_scalar(engine: Engine, sql: str, parameters: Dict[str, Any]) -> Any:
    """Like ``driver_sql``, on a pooled connection's driver cursor: a one-row read outside any session, without
    SQLAlchemy's connection and result objects around it (half the cost of the turn's freshness check)."""
    statement, arguments = in_driver_style(engine.dialect.paramstyle, sql, parameters)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(statement, arguments)
            row = cursor.fetchone()
        finally:
            cursor.close()
    except engine.dialect.dbapi.Error as error:
        if engine.dialect.is_disconnect(error, connection, None):
            # As SQLAlchemy does on a lost connection: after a database restart every pooled connection is
            # dead, and each would fail a turn of its own.
            connection.invalidate(error)
            engine.dispose()
        raise
    finally:
        connection.close()  # back to the pool, which ends the read transaction
    return row[0] if row else None


def events_table(store: Any) -> str:
    return str(store.engine.dialect.identifier_preparer.quote(store.SQLEvent.__tablename__))
