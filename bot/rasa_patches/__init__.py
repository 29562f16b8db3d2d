"""Changes to Rasa 3.6's serving path, each fixing a defect we measured.

``apply_all()`` runs in every Rasa process: ``bot/channels/__init__.py`` calls
it, and Rasa imports that package for the channels in credentials.yml. Every
module says what was wrong, how it was found and what changes; docs/deploy.md
and docs/performance.md give the figures.

- ``speedups``: the action-response schema is compiled once, not per response.
- ``graph_runner``: prediction graphs run in a precomputed order instead of through dask.
- ``gc_tuning``: the loaded model is moved out of Python's full garbage collections.
- ``idempotent_messages``: a resent message (same client ``message_id``) is not processed twice.
- ``durable_trackers``: a tracker-store outage fails the turn instead of forking the conversation.
- ``store_then_stream``: a turn's events are committed to SQL first, then published (one read fewer).
- ``sqlite_wal``: the embedded profile's SQLite tracker file: pooled connections, write-ahead logging.
- ``broker_redelivery``: events RabbitMQ refused are re-sent once it accepts events again.
"""

from __future__ import annotations

from bot.rasa_patches import (
    broker_redelivery,
    durable_trackers,
    gc_tuning,
    graph_runner,
    idempotent_messages,
    speedups,
    sqlite_wal,
    store_then_stream,
)

_applied = False


def apply_all() -> None:
    """Idempotent: a second call changes nothing."""
    global _applied
    if _applied:
        return
    speedups.apply()
    graph_runner.apply()
    gc_tuning.apply()
    idempotent_messages.apply()
    durable_trackers.apply()
    store_then_stream.apply()
    sqlite_wal.apply()
    broker_redelivery.apply()
    _applied = True
