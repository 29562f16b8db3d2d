"""The limits as the actions use them: asked before a proof is checked, told when one fails, asked before an
e-mail goes. The store is called in the backend thread pool (never on the action server's event loop); when it
cannot be reached the answer is "unavailable", never "allowed": a limit that fails open is no limit."""

from __future__ import annotations

import functools
import logging
import uuid
from typing import Any, Awaitable, Callable, Sequence, TypeVar

from actions.backends.calls import off_loop
from actions.backends.context import idempotency_key
from actions.backends.errors import BackendUnavailable
from actions.limits import rules
from actions.limits.rules import LimitSettings
from actions.limits.store import limit_store, now

logger = logging.getLogger(__name__)
T = TypeVar("T")


@functools.lru_cache(maxsize=1)
def limit_settings() -> LimitSettings:
    return LimitSettings.from_env()


def _member(key: str) -> str:
    """The turn this event belongs to: Rasa may run a turn's action again, and it must count once."""
    return idempotency_key("limit", key) or uuid.uuid4().hex


def _locked(keys: Sequence[str]) -> bool:
    settings, store, moment = limit_settings(), limit_store(), now()
    return any(
        rules.is_locked([at for _, at in store.since(key, moment - settings.proof_horizon_s)], moment, settings)
        for key in keys
    )


def _record_failure(keys: Sequence[str]) -> None:
    settings, store, moment = limit_settings(), limit_store(), now()
    for key in keys:
        store.record(key, _member(key), moment, settings.proof_horizon_s)


def _reserve_mail(key: str) -> bool:
    # Requests for addresses with no account count the same way: the answer must not tell them apart.
    settings, store, moment, member = limit_settings(), limit_store(), now(), _member(key)
    store.record(key, member, moment, rules.DAY)
    events = store.since(key, moment - rules.DAY)
    # This request's place among the day's requests decides, so a re-run of the turn gets the same answer and
    # two workers racing for the last e-mail cannot both send it.
    earlier = next((index for index, (m, _) in enumerate(events) if m == member), len(events))
    return rules.may_send_mail([at for _, at in events[:earlier]], moment, settings)


async def _call(function: Callable[..., T], *args: Any) -> T:
    try:
        return await off_loop(function, *args)
    except Exception as error:  # the store is down: fail closed, as an outage of the system it protects
        logger.warning("limit store unavailable: %s", type(error).__name__)
        raise BackendUnavailable("limit store unavailable") from error


async def proof_locked(*keys: str) -> bool:
    """Whether any of these subjects has had too many failed proofs lately (then no proof is even checked)."""
    return bool(await _call(_locked, keys))


async def proof_failed(*keys: str) -> None:
    await _call(_record_failure, keys)


async def attempt_proof(keys: Sequence[str], prove: Callable[[], Awaitable[bool]]) -> bool | None:
    """One guess at a proof, under the limits: None when any subject is locked (``prove`` is not even called),
    else whether it held; a guess that did not is counted against every subject."""
    if await proof_locked(*keys):
        return None
    if await prove():
        return True
    await proof_failed(*keys)
    return False


async def reserve_mail(email: str) -> bool:
    """True when another e-mail may go to ``email`` today (the request is counted either way)."""
    return bool(await _call(_reserve_mail, rules.mail_key(email)))
