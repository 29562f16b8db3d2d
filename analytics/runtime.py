"""The process-wide analytics store: in the hand-off database (HANDOFF_DATABASE_URL), beside the tickets."""

from __future__ import annotations

import functools

from analytics.settings import settings
from analytics.store import AnalyticsStore
from handoff.runtime import database_url


@functools.lru_cache(maxsize=1)
def analytics_store() -> AnalyticsStore:
    return AnalyticsStore(database_url(), settings())
