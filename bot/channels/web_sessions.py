"""Web-chat sessions the server issues and signs. Pure.

A browser cannot be trusted to name its conversation: with rasa-webchat's protocol as Rasa ships it, a
client that sends another customer's ``session_id`` joins that customer's room and conversation. Here the
server issues every session id - ``web-<random>`` - with an HMAC of it (``WEBCHAT_SESSION_SECRET``,
shared by every Rasa worker), and the widget keeps the whole token and presents it again after a reload. A
token the server did not sign gets a fresh session, never someone else's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from privacy.credentials import same_secret


def issue(secret: bytes) -> str:
    conversation = f"web-{secrets.token_hex(12)}"
    return f"{conversation}.{_sign(secret, conversation)}"


def conversation_of(token: object, secret: bytes) -> str | None:
    """The conversation a token the server signed names; None for anything else."""
    if not isinstance(token, str) or len(token) > 200 or token.count(".") != 1:
        return None
    conversation, signature = token.split(".")
    expected = _sign(secret, conversation)
    if not conversation.startswith("web-") or not same_secret(signature, expected):
        return None
    return conversation


def _sign(secret: bytes, conversation: str) -> str:
    return hmac.new(secret, conversation.encode(), hashlib.sha256).hexdigest()[:32]
