"""JSON over HTTP with the safety a support bot needs from someone else's system.

One ``requests.Session`` per backend; connect and read timeouts on every call;
retries with backoff only where repeating is harmless; an ``Idempotency-Key``
on every write; a circuit breaker that stops hammering a backend that keeps
failing. Everything that is the backend's fault becomes ``BackendUnavailable``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Type
from urllib.parse import quote

import requests

from actions.backends.context import current_turn, idempotency_key
from actions.backends.errors import BackendError, BackendUnavailable
from actions.backends.resilience import CircuitBreaker, RetryPolicy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Dict[str, Any]

    @property
    def error_code(self) -> str | None:
        code = self.body.get("error")
        return code if isinstance(code, str) else None


@dataclass
class HttpSettings:
    connect_timeout: float = 1.0
    read_timeout: float = 3.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    failure_threshold: int = 5
    cooldown: float = 30.0


class JsonApiClient:
    """A backend's base URL, credentials and resilience state."""

    def __init__(
        self, name: str, base_url: str, token: str | None = None, settings: HttpSettings | None = None
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.settings = settings or HttpSettings()
        self.breaker = CircuitBreaker(self.settings.failure_threshold, self.settings.cooldown)
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, params: Dict[str, str] | None = None) -> ApiResponse:
        return self._call("GET", path, params=params, retry=True)

    def post(self, path: str, body: Dict[str, Any] | None = None, *, read_only: bool = False) -> ApiResponse:
        """A write (with an idempotency key), or with ``read_only`` a query sent as POST."""
        return self._call("POST", path, body=body or {}, retry=read_only, write=not read_only)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Dict[str, str] | None = None,
        body: Dict[str, Any] | None = None,
        retry: bool,
        write: bool = False,
    ) -> ApiResponse:
        if not self.breaker.allow():
            raise BackendUnavailable(f"{self.name}: circuit open after repeated failures")
        headers = {}
        turn = current_turn()
        if turn:
            headers["X-Correlation-ID"] = turn.correlation_id
        if write:
            key = idempotency_key(f"{method} {path}", json.dumps(body, sort_keys=True))
            if key:
                headers["Idempotency-Key"] = key
        attempts = self.settings.retry.attempts if retry else 1
        last_problem = "no attempt made"
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                time.sleep(self.settings.retry.delay_before(attempt))
            try:
                reply = self.session.request(
                    method,
                    f"{self.base_url}{path}",
                    params=params,
                    json=body,
                    headers=headers,
                    timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                )
            except requests.Timeout:
                last_problem = "timed out"
            except requests.ConnectionError:
                last_problem = "connection failed"
            else:
                if reply.status_code >= 500:
                    last_problem = f"answered {reply.status_code}"
                else:
                    parsed = self._parse(reply)
                    if parsed is not None:
                        self.breaker.record_success()
                        return parsed
                    last_problem = "answered with malformed JSON"
            logger.warning("%s %s %s: %s (attempt %d/%d)", self.name, method, path, last_problem, attempt, attempts)
        self.breaker.record_failure()
        raise BackendUnavailable(f"{self.name}: {last_problem}")

    @staticmethod
    def _parse(reply: requests.Response) -> ApiResponse | None:
        try:
            body = reply.json()
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        return ApiResponse(reply.status_code, body)


def segment(value: object, not_found: Type[BackendError]) -> str:
    """``value`` as one URL path segment; anything that is not a usable id (a slot never filled, a number where
    text belongs) is an id the backend cannot have: ``not_found``, not a crash."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise not_found(f"no such id: {str(value)[:20]!r}")
    return quote(value, safe="")
