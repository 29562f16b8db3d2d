"""The embedded feed: the tracker store's event rows, read in id order from where the last read stopped.

    python -m analytics.feed --tracker-url sqlite:///var/trackers.db   (the launcher starts it, embedded profile)

Rasa's SQL tracker store appends every event to its ``events`` table (id, sender_id, data = the event as Rasa
serialises it), the same body the event broker streams. Reading it by id needs no broker: the embedded profile
counts with the code the production consumer uses (``AnalyticsStore.ingest``), and the offset is committed with
each batch, so a restart resumes where it stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from typing import Any, Dict, List, Tuple

from sqlalchemy import text

from analytics.fold import StreamEvent, stream_event
from analytics.health import serve_health
from analytics.runtime import analytics_store
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


class FeedLoop:
    """Catches up, then polls: a conversation's events reach the report within ``poll_s`` of being stored."""

    def __init__(self, feed: TrackerStoreFeed, poll_s: float = 1.0) -> None:
        self.feed, self.poll_s = feed, poll_s
        self.rows_read = self.rounds = self.failures = 0
        self.last_round_at = 0.0
        self._stop = asyncio.Event()

    def counters(self) -> Dict[str, Any]:
        return {"feed": self.feed.name, "rows_read": self.rows_read, "rounds": self.rounds,
                "failures": self.failures, "last_round_at": self.last_round_at}  # fmt: skip

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            pause = self.poll_s
            try:
                self.rows_read += await loop.run_in_executor(None, self.feed.catch_up)
                self.rounds += 1
                self.last_round_at = time.time()
            except Exception:  # the database is busy or down: nothing was committed, the next round retries
                self.failures += 1
                logger.exception("analytics feed round failed; retrying")
                pause = min(30.0, self.poll_s * 2 ** min(self.failures, 5))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=pause)

    def stop(self) -> None:
        self._stop.set()


async def _main(args: argparse.Namespace) -> None:
    loop = FeedLoop(TrackerStoreFeed(analytics_store(), args.tracker_url), args.poll)
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, loop.stop)
    server = await serve_health(loop.counters, args.host, args.port)
    try:
        await loop.run()
    finally:
        server.close()


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Analytics feed from the SQL tracker store (embedded profile)")
    parser.add_argument("--tracker-url", default=os.environ.get("ANALYTICS_TRACKER_URL"), required=False)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ANALYTICS_PORT", 5400)))
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between reads once caught up")
    args = parser.parse_args(argv)
    if not args.tracker_url:
        print("error: --tracker-url (or ANALYTICS_TRACKER_URL) must name the tracker store's database", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(_main(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
