"""Outbound webhook to an external desk: signed, retried, delivered once.

Tickets and their webhook deliveries are written in one transaction (the
outbox in ``store.py``); this module sends what is due. A delivery is marked
done only after a 2xx, so a crash or a desk outage means "later", never
"lost"; the ``X-Triage-Delivery`` id lets the receiver drop a duplicate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import requests

from handoff.settings import WebhookSettings
from handoff.store import TicketStore

logger = logging.getLogger(__name__)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``"<timestamp>.<body>"``; the receiver recomputes and compares."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def deliver_due(
    store: TicketStore, config: WebhookSettings, session: requests.Session, now: float | None = None
) -> int:
    """Send every due delivery once; returns how many succeeded."""
    if not config.url or not config.secret:
        return 0
    delivered = 0
    current = now if now is not None else time.time()
    for item in store.due_deliveries(current):
        body = json.dumps(item.payload, sort_keys=True).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Triage-Event": item.event,
            "X-Triage-Delivery": item.id,
            "X-Triage-Timestamp": stamp,
            "X-Triage-Signature": signature(config.secret, stamp, body),
        }
        try:
            reply = session.post(config.url, data=body, headers=headers, timeout=(2, 5))
            ok, problem = 200 <= reply.status_code < 300, f"answered {reply.status_code}"
        except requests.RequestException as error:
            ok, problem = False, type(error).__name__
        if ok:
            store.mark_delivered(item.id, current)
            delivered += 1
            continue
        delay = config.retry.delay(item.attempts + 1)
        logger.warning(
            "webhook delivery %s failed (%s); %s",
            item.id,
            problem,
            f"retrying in {delay:.0f}s" if delay is not None else "giving up",
        )
        store.mark_attempt_failed(item.id, problem, None if delay is None else current + delay, current)
    return delivered
