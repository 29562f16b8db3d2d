"""Logging for the action server: a correlation id on every line, contact
details masked and card numbers removed before anything is written."""

from __future__ import annotations

import logging

from actions.backends.context import current_turn
from privacy.redaction import mask_contact_details


class TurnLogFilter(logging.Filter):
    """Adds ``correlation_id`` and masks the rendered message."""

    def filter(self, record: logging.LogRecord) -> bool:
        turn = current_turn()
        correlation_id = turn.correlation_id if turn else "-"
        record.correlation_id = correlation_id
        message = mask_contact_details(record.getMessage())
        record.msg, record.args = f"[{correlation_id}] {message}", None
        return True


def install() -> None:
    """Attach the filter to every handler of the root logger (idempotent)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO)
    for handler in root.handlers:
        if not any(isinstance(f, TurnLogFilter) for f in handler.filters):
            handler.addFilter(TurnLogFilter())
