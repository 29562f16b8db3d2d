"""Changes to Rasa 3.6's serving path, each fixing a defect we measured.

``apply_all()`` runs once in every Rasa server process, called by
``bot/rasa_cli.py`` before Rasa's command line starts (the launcher starts Rasa
that way; ``make test-stories`` too; pytest's conftest for in-process tests). Every
module says what was wrong, how it was found and what changes; docs/deploy.md
and docs/performance.md give the figures. Every module also declares its
``PATCH``: the Rasa it was written for and what it replaces, checked before
anything is applied (``bot/rasa_guard.py``); ``PATCHES`` is the order they go in.

Only what Rasa gives no seam for is patched. The SQL tracker store, the
RabbitMQ broker and RulePolicy are changed by subclasses named in the
endpoints and config files instead (``bot/stores``, ``bot/brokers``,
``bot/policies``).

- ``speedups``: the action-response schema is compiled once, not per response.
- ``graph_runner``: prediction graphs run in a precomputed order instead of through dask.
- ``gc_tuning``: the loaded model is moved out of Python's full garbage collections.
- ``idempotent_messages``: a resent message (same client ``message_id``) is not processed twice.
- ``durable_trackers``: a tracker-store outage fails the turn instead of forking the conversation.
- ``state_memo``: a tracker's past states are computed once per added event, not once per policy.
- ``failed_actions``: a custom action that fails gets the customer an apology and a way to a person, not silence.
- ``pooled_endpoints``: calls to the action server reuse their connections instead of a session per call.
- ``empty_domain``: whether the domain is empty is checked without building an empty domain per message.
- ``slot_copy``: trackers copy their slots directly instead of through ``copy.copy``'s generic path.
"""

from __future__ import annotations

import logging
from typing import List, Tuple

from bot.brokers import durable_pika
from bot.policies import indexed_rule_policy
from bot.rasa_guard import (
    DISABLED_VARIABLE,
    Patch,
    apply_in_order,
    check,
    disabled_from_env,
    enabled,
    installed_rasa_version,
)
from bot.rasa_patches import (
    durable_trackers,
    empty_domain,
    failed_actions,
    gc_tuning,
    graph_runner,
    idempotent_messages,
    pooled_endpoints,
    slot_copy,
    speedups,
    state_memo,
)
from bot.stores import sql_tracker_store

logger = logging.getLogger(__name__)

# The order they are applied in: a patch that wraps another's replacement comes after it.
PATCHES: Tuple[Patch, ...] = (
    speedups.PATCH,
    graph_runner.PATCH,
    state_memo.PATCH,
    gc_tuning.PATCH,
    idempotent_messages.PATCH,
    durable_trackers.PATCH,
    pooled_endpoints.PATCH,
    failed_actions.PATCH,
    slot_copy.PATCH,
    empty_domain.PATCH,
)

# The project's subclasses of Rasa classes, named in the endpoints and config files: what each overrides is
# checked with the patches (bot/rasa_guard.py), never disabled.
SUBCLASSES: Tuple[Patch, ...] = (
    sql_tracker_store.RASA_OVERRIDES,
    durable_pika.RASA_OVERRIDES,
    indexed_rule_policy.RASA_OVERRIDES,
)

_applied: List[str] | None = None


def apply_all() -> List[str]:
    """Check every enabled patch against the installed Rasa, then apply them in order; returns their names.
    ``PatchMismatch`` when Rasa is not what a patch was written for. Idempotent: a second call changes nothing."""
    global _applied
    if _applied is not None:
        return _applied
    chosen = enabled(PATCHES, disabled_from_env())
    check([*chosen, *SUBCLASSES], installed_rasa_version())
    apply_in_order(chosen)
    _applied = [patch.name for patch in chosen]
    left_out = [patch.name for patch in PATCHES if patch.name not in _applied]
    if left_out:
        logger.warning("Rasa patches left out (%s): %s", DISABLED_VARIABLE, ", ".join(left_out))
    return _applied
