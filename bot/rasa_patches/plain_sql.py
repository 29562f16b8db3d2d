"""Small hot queries sent as plain SQL, in whichever parameter style the database driver takes.

SQLAlchemy's ORM builds, compiles and caches a query object on every call;
for the one-row look-ups made on every turn that cost several times the query
itself in our profile. These are written once, with ``:name`` parameters.
"""

from __future__ import annotations

import re
from typing import Any, Dict

from sqlalchemy.engine import Connection

_PARAMETER = re.compile(r":([a-z_]+)")


def driver_sql(connection: Connection, sql: str, parameters: Dict[str, Any]) -> Any:
    """Run ``sql`` (``:name`` parameters) and return the first column of the first row."""
    style = connection.dialect.paramstyle
    names = _PARAMETER.findall(sql)
    if style == "named":
        return connection.exec_driver_sql(sql, parameters).scalar()
    if style == "pyformat":
        return connection.exec_driver_sql(_PARAMETER.sub(r"%(\1)s", sql), parameters).scalar()
    marker = {"qmark": "?", "format": "%s"}.get(style)
    if marker is None:
        raise NotImplementedError(f"database drivers with the {style!r} parameter style are not supported")
    return connection.exec_driver_sql(_PARAMETER.sub(marker, sql), tuple(parameters[n] for n in names)).scalar()


def events_table(store: Any) -> str:
    return str(store.engine.dialect.identifier_preparer.quote(store.SQLEvent.__tablename__))
