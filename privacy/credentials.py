"""Comparing a credential a client sent with the one expected. Pure.

Constant time (``hmac.compare_digest``), and total: whatever the client sent - an empty value, non-ASCII, the
lone surrogates a server's header decoding can produce - the answer is "no", never an exception (which would
be a 500, and before it the secret's length or first differing byte would not be what leaks, the server's
internals would).
"""

from __future__ import annotations

import hmac


def same_secret(supplied: object, expected: str) -> bool:
    if not expected or not isinstance(supplied, str):
        return False
    return hmac.compare_digest(supplied.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


def bearer(header: object) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; "" for anything else."""
    return header[len("Bearer ") :].strip() if isinstance(header, str) and header.startswith("Bearer ") else ""
