"""Retry and circuit-breaker decisions for backend calls. Pure: the clock is injected."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff, for idempotent reads only."""

    attempts: int = 3  # first try included
    base_delay: float = 0.1
    max_delay: float = 1.0

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before try number ``attempt`` (2, 3, …)."""
        return min(self.max_delay, self.base_delay * (2 ** (attempt - 2)))


@dataclass
class CircuitBreaker:
    """Stop calling a backend that keeps failing; try again after a cool-down.

    closed --(failure_threshold failures in a row)--> open --(cooldown)--> half-open
    half-open --success--> closed, --failure--> open again.
    """

    failure_threshold: int = 5
    cooldown: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _failures: int = 0
    _opened_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self._opened_at >= self.cooldown else "open"

    def allow(self) -> bool:
        """May a call go out now? (One trial call is allowed once the cool-down is over.)"""
        with self._lock:
            return self.state != "open"

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._opened_at is not None or self._failures >= self.failure_threshold:
                self._opened_at = self.clock()
