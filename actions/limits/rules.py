"""Pure decisions about limits: when a subject is locked, whether another e-mail may go. No I/O.

A *subject* is what a guess is about or where it comes from: an order, an invoice, an account, or the channel
address (the sender) that made it. Keys are hashed, so the limit store holds no e-mail address or phone number."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Iterable, List, Mapping, Sequence

MINUTE, DAY = 60.0, 86_400.0


@dataclass(frozen=True)
class LimitSettings:
    """The operator's limits (environment variables, defaults in docs/security.md)."""

    failed_proofs: int = 5  # wrong proofs of one subject within the window that lock it
    window_s: float = 60 * MINUTE
    lockout_s: float = 60 * MINUTE
    emails_per_day: int = 5  # invoices, reset and payment links to one account in 24 hours

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> LimitSettings:
        defaults = cls()
        return cls(
            failed_proofs=max(1, int(env.get("PROOF_FAILURES_BEFORE_LOCKOUT", defaults.failed_proofs))),
            window_s=float(env.get("PROOF_FAILURE_WINDOW_MINUTES", defaults.window_s / MINUTE)) * MINUTE,
            lockout_s=float(env.get("PROOF_LOCKOUT_MINUTES", defaults.lockout_s / MINUTE)) * MINUTE,
            emails_per_day=max(0, int(env.get("EMAILS_PER_ADDRESS_PER_DAY", defaults.emails_per_day))),
        )

    @property
    def proof_horizon_s(self) -> float:
        """How far back failures still matter: a window that may end in a lock-out."""
        return self.window_s + self.lockout_s


def subject_key(kind: str, value: str) -> str:
    """``order``/``invoice``/``account``/``address``/``mail`` + a normalised value, hashed."""
    normalised = " ".join(value.split()).casefold()
    return f"{kind}:" + hashlib.sha256(f"{kind}|{normalised}".encode("utf-8", "replace")).hexdigest()[:32]


def order_key(number: str) -> str:
    return subject_key("order", number)


def invoice_key(reference: str) -> str:
    return subject_key("invoice", reference)


def account_key(email: str) -> str:
    return subject_key("account", email)


def address_key(channel: str | None, sender_id: str) -> str:
    return subject_key("address", f"{channel or 'unknown'}|{sender_id}")


def mail_key(email: str) -> str:
    return subject_key("mail", email)


def locked_until(failures: Iterable[float], settings: LimitSettings) -> float | None:
    """When the last lock-out these failure times caused ends: ``failed_proofs`` failures within ``window_s``
    lock the subject for ``lockout_s`` from the one that reached the count. None: never locked."""
    times: List[float] = sorted(failures)
    need = settings.failed_proofs
    until = None
    for last in range(need - 1, len(times)):
        if times[last] - times[last - need + 1] <= settings.window_s:
            end = times[last] + settings.lockout_s
            until = end if until is None else max(until, end)
    return until


def is_locked(failures: Iterable[float], now: float, settings: LimitSettings) -> bool:
    until = locked_until(failures, settings)
    return until is not None and now < until


def may_send_mail(sent: Sequence[float], now: float, settings: LimitSettings) -> bool:
    """Fewer than ``emails_per_day`` e-mails to this address in the last 24 hours."""
    return sum(1 for at in sent if now - at < DAY) < settings.emails_per_day
