"""When to try again: the schedule every outbox of the project shares (messages to customers, hand-off
effects, webhooks to an external desk). Pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    first_retry_seconds: float = 2.0
    max_retry_seconds: float = 300.0
    max_attempts: int = 12

    def delay(self, attempts_so_far: int) -> float | None:
        """Seconds until the next try after ``attempts_so_far`` failed ones (doubling from the first delay up to
        the longest); None = give up."""
        if attempts_so_far >= self.max_attempts:
            return None
        return min(self.max_retry_seconds, self.first_retry_seconds * 2 ** max(attempts_so_far - 1, 0))
