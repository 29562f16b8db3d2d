"""The process-wide ticket store, from the environment (HANDOFF_DATABASE_URL)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from handoff.store import TicketStore

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = f"sqlite:///{ROOT / 'var' / 'handoff.db'}"


def database_url() -> str:
    return os.environ.get("HANDOFF_DATABASE_URL") or DEFAULT_DATABASE


@functools.lru_cache(maxsize=1)
def ticket_store() -> TicketStore:
    return TicketStore(database_url())
