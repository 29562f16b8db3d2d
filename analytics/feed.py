"""The embedded feed: the tracker store's event rows, read in id order from where the last read stopped.

Rasa's SQL tracker store appends every event to its ``events`` table (id, sender_id, data = the event as Rasa
serialises it), the same body the event broker streams. Reading it by id needs no broker: the embedded profile
counts with the code the production consumer uses (``AnalyticsStore.ingest``), and the offset is committed with
each batch, so a restart resumes where it stopped.
"""

from __future__ import annotations

import json
import logging
from typing import List, Tuple

from sqlalchemy import text

from analytics.fold import StreamEvent, stream_event
from analytics.store import AnalyticsStore
from storage.sql import sql_engine

logger = logging.getLogger(__name__)
BATCH = 2000


class TrackerStoreFeed:
    def __init__(self, store: AnalyticsStore, tracker_url: str, table: str = "events") -> None:
        if not table.isidentifier():
            raise ValueError(f"not a table name: {table!r}")
        self.store, self.table = store, table
        self.engine = sql_engine(tracker_url)
        self.name = f"tracker:{table}"

    def _rows(self, after: int, limit: int) -> List[Tuple[int, str, str]]:
        query = text(f"SELECT id, sender_id, data FROM {self.table} WHERE id > :after ORDER BY id LIMIT :limit")
        with self.engine.connect() as connection:
            try:
                return [
                    (int(r[0]), str(r[1]), str(r[2]))
                    for r in connection.execute(query, {"after": after, "limit": limit})
                ]
            except Exception as missing:  # no conversation yet: Rasa creates the table on its first start
                if "no such table" in str(missing) or "does not exist" in str(missing):
                    return []
                raise

    def read_once(self, limit: int = BATCH) -> int:
        """One batch after the stored offset; returns how many rows were read (0: caught up)."""
        rows = self._rows(self.store.offset(self.name), limit)
        if not rows:
            return 0
        events: List[StreamEvent] = []
        for row_id, sender_id, data in rows:
            try:
                event = stream_event(sender_id, json.loads(data))
            except (ValueError, TypeError, AttributeError):
                logger.warning("tracker event %d is not JSON: skipped", row_id)
                continue
            if event is not None:
                events.append(event)
        self.store.ingest(events, feed=self.name, position=rows[-1][0])
        return len(rows)

    def catch_up(self) -> int:
        total = 0
        while True:
            read = self.read_once()
            total += read
            if read < BATCH:
                return total
