"""Changes to Rasa 3.6's serving path, each fixing a defect we measured.

``apply_all()`` runs once in every Rasa server process, called by
``bot/rasa_cli.py`` before Rasa's command line starts (the launcher starts Rasa
that way; ``make test-stories`` too; pytest's conftest for in-process tests). Every
module says what was wrong, how it was found and what changes; docs/deploy.md
and docs/performance.md give the figures. Every module also declares its
``PATCH``: the Rasa it was written for and what it replaces, checked before
anything is applied (``guard.py``); ``PATCHES`` is the order they go in.

- ``speedups``: the action-response schema is compiled once, not per response.
- ``graph_runner``: prediction graphs run in a precomputed order instead of through dask.
- ``gc_tuning``: the loaded model is moved out of Python's full garbage collections.
- ``idempotent_messages``: a resent message (same client ``message_id``) is not processed twice.
- ``durable_trackers``: a tracker-store outage fails the turn instead of forking the conversation.
- ``store_then_stream``: a turn's events are committed to SQL first, then published (one read fewer).
- ``rule_lookup``: RulePolicy stops matching once it is further back than its longest rule.
- ``state_memo``: a tracker's past states are computed once per added event, not once per policy.
- ``tracker_cache``: a turn reuses the tracker the last turn saved while the database has nothing newer.
- ``sqlite_wal``: the embedded profile's SQLite tracker file: pooled connections, write-ahead logging.
- ``durable_exchange``: the RabbitMQ exchange survives restarts; an event no queue took is sent again.
- ``broker_redelivery``: events RabbitMQ refused are re-sent once it accepts events again.
- ``cut_off_confirmations``: confirmations a lost RabbitMQ connection cut off are counted, not logged one by one.
- ``failed_actions``: a custom action that fails gets the customer an apology and a way to a person, not silence.
- ``pooled_endpoints``: calls to the action server reuse their connections instead of a session per call.
- ``empty_domain``: whether the domain is empty is checked without building an empty domain per message.
- ``slot_copy``: trackers copy their slots directly instead of through ``copy.copy``'s generic path.
"""

from __future__ import annotations

import logging
from typing import List, Tuple

from bot.rasa_patches import (
    broker_redelivery,
    cut_off_confirmations,
    durable_exchange,
    durable_trackers,
    empty_domain,
    failed_actions,
    gc_tuning,
    graph_runner,
    idempotent_messages,
    pooled_endpoints,
    rule_lookup,
    slot_copy,
    speedups,
    sqlite_wal,
    state_memo,
    store_then_stream,
    tracker_cache,
)
from bot.rasa_patches.guard import (
    DISABLED_VARIABLE,
    Patch,
    apply_in_order,
    check,
    disabled_from_env,
    enabled,
    installed_rasa_version,
)

logger = logging.getLogger(__name__)

# The order they are applied in: a patch that wraps another's replacement comes after it.
PATCHES: Tuple[Patch, ...] = (
    speedups.PATCH,
    graph_runner.PATCH,
    rule_lookup.PATCH,
    state_memo.PATCH,
    gc_tuning.PATCH,
    idempotent_messages.PATCH,
    durable_trackers.PATCH,
    store_then_stream.PATCH,
    tracker_cache.PATCH,  # wraps store_then_stream's retrieve and save
    sqlite_wal.PATCH,
    broker_redelivery.PATCH,
    durable_exchange.PATCH,
    cut_off_confirmations.PATCH,  # wraps durable_exchange's connect
    pooled_endpoints.PATCH,
    failed_actions.PATCH,
    slot_copy.PATCH,
    empty_domain.PATCH,
)

_applied: List[str] | None = None


def apply_all() -> List[str]:
    """Check every enabled patch against the installed Rasa, then apply them in order; returns their names.
    ``PatchMismatch`` when Rasa is not what a patch was written for. Idempotent: a second call changes nothing."""
    global _applied
    if _applied is not None:
        return _applied
    chosen = enabled(PATCHES, disabled_from_env())
    check(chosen, installed_rasa_version())
    apply_in_order(chosen)
    _applied = [patch.name for patch in chosen]
    left_out = [patch.name for patch in PATCHES if patch.name not in _applied]
    if left_out:
        logger.warning("Rasa patches left out (%s): %s", DISABLED_VARIABLE, ", ".join(left_out))
    return _applied
