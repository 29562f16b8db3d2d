"""No card number in any log line, whoever logs it (our code, Rasa, Sanic, a library's traceback).

``install()`` wraps the logging module's record factory, so every record of the process - from any logger,
to any handler, configured now or later - has card numbers removed from its message and from the text of
its exception before anything formats or writes it.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from privacy.redaction import redact_card_numbers

_installed = False


def _redacted_record_factory(base: Any) -> Any:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a badly formatted call: let logging report it as it would
            return record
        cleaned, found = redact_card_numbers(message)
        if found:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            text = "".join(traceback.format_exception(*record.exc_info))
            cleaned_text, found = redact_card_numbers(text)
            if found:
                record.exc_text, record.exc_info = cleaned_text.rstrip("\n"), None
        return record

    return factory


def install() -> None:
    """Idempotent."""
    global _installed
    if not _installed:
        logging.setLogRecordFactory(_redacted_record_factory(logging.getLogRecordFactory()))
        _installed = True
