"""What became of one attempt to send a queued message: the senders' answer to the outbound queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Union


@dataclass(frozen=True)
class Sent:
    provider_ids: List[str]


@dataclass(frozen=True)
class TryAgain:
    """Not sent (or not every part): worth another try later. ``provider_ids`` are the parts that went."""

    error: str
    provider_ids: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class GiveUp:
    """Can never be sent as it is (an invalid number, a refused body)."""

    error: str
    provider_ids: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class Suppressed:
    """Not sent on purpose: the customer opted out of this channel."""

    reason: str
    provider_ids: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class FallBackToSms:
    """RCS cannot reach this phone: send the same message by SMS."""

    reason: str


Outcome = Union[Sent, TryAgain, GiveUp, Suppressed, FallBackToSms]
