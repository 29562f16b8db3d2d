"""What keeps the desk's sign-in and its changes safe in a browser. Pure (the clock is passed in).

- ``LoginThrottle``: failed sign-ins are counted per agent name and per client address over a window; past
  the limit the name (or address) is locked out for the window, the right password included, and told when
  to try again.
- ``cross_site``: a state-changing request a browser sent from another site (``Sec-Fetch-Site``) or another
  origin (``Origin`` not the desk's own) is refused before anything else; with the CSRF token that a page gets
  with its session, that is the desk's CSRF protection.
- ``SECURITY_HEADERS``: no framing, no inline script, no sniffing, no referrer.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Deque, Dict, Mapping
from urllib.parse import urlsplit


@dataclass
class LoginThrottle:
    max_per_name: int = 5
    max_per_address: int = 20
    window_seconds: float = 900.0
    _failures: Dict[str, Deque[float]] = field(default_factory=dict)

    def _recent(self, key: str, now: float) -> Deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        if not times:
            del self._failures[key]
            return deque()
        return times

    def retry_after(self, name: str, address: str, now: float) -> float | None:
        """Seconds until ``name`` from ``address`` may try again; None if it may now."""
        waits = []
        for key, limit in ((f"name:{name}", self.max_per_name), (f"address:{address}", self.max_per_address)):
            times = self._recent(key, now)
            if len(times) >= limit:
                waits.append(times[0] + self.window_seconds - now)
        return max(waits) if waits else None

    def failed(self, name: str, address: str, now: float) -> None:
        for key in (f"name:{name}", f"address:{address}"):
            self._failures.setdefault(key, deque()).append(now)
        if len(self._failures) > 100_000:  # a flood of made-up names: keep memory bounded
            for key in list(self._failures)[:50_000]:
                del self._failures[key]

    def succeeded(self, name: str) -> None:
        self._failures.pop(f"name:{name}", None)


STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def cross_site(method: str, headers: Mapping[str, str], host: str) -> bool:
    """Whether a browser sent this state-changing request from somewhere other than the desk itself."""
    if method not in STATE_CHANGING:
        return False
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = headers.get("origin")
    if origin is None:
        return False  # not a browser's cross-origin request (servers and old browsers send none)
    return origin == "null" or urlsplit(origin).netloc != host


SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
