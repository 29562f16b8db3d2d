"""One log line per interval for failures that come in floods, with a count per reason.

A RabbitMQ restart under load fails tens of thousands of publishes within
seconds; a line (or a traceback) for each buried everything else in the log:
a soak run's Rasa log had 1.1 million lines, 42,641 of them "event ... not
confirmed" warnings. Each kind of flood gets one ``PeriodicSummary``: its
first occurrence is logged at once, then at most one line per ``every_s``
with how many happened since and why.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

SUMMARY_EVERY_S = 10.0


class PeriodicSummary:
    def __init__(self, logger: logging.Logger, what: str, every_s: float = SUMMARY_EVERY_S) -> None:
        self.logger = logger
        self.what = what  # "RabbitMQ confirmations cut off by a lost connection", ...
        self.every_s = every_s
        self.unreported: Counter[str] = Counter()
        self.total = 0
        self._last_report = float("-inf")

    def add(self, reason: str, consequence: str = "") -> None:
        self.unreported[reason] += 1
        self.total += 1
        now = time.monotonic()
        if now - self._last_report >= self.every_s:
            reasons = ", ".join(f"{name} {count}" for name, count in self.unreported.most_common())
            count = sum(self.unreported.values())
            self.logger.warning("%d %s (%s)%s", count, self.what, reasons, f"; {consequence}" if consequence else "")
            self.unreported.clear()
            self._last_report = now
