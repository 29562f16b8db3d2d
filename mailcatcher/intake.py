"""From the bytes a client sent to what mailcatcher keeps: parsed fields and problems. Pure."""

from __future__ import annotations

from typing import List, Tuple

from mailcatcher.message import Envelope, ParsedMessage
from mailcatcher.parsing import parse_bytes, read
from mailcatcher.rules import Received, check


def examine(raw: bytes, envelope: Envelope) -> Tuple[ParsedMessage, List[str]]:
    """The message's fields, and every problem ``rules`` finds in it (parsed once, for both)."""
    message = parse_bytes(raw)
    return read(message), check(Received(raw, message, envelope))
