"""Agent sign-in: passwords from the environment, signed session tokens. Pure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Dict, Mapping

SESSION_SECONDS = 12 * 3600


class AgentConfigError(ValueError):
    """DESK_AGENTS is malformed; the message says how to write it."""


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 100_000)


@dataclass(frozen=True)
class Agents:
    """Agent names and salted password hashes (never the passwords themselves)."""

    hashes: Mapping[str, bytes]
    salt: bytes

    @classmethod
    def from_spec(cls, spec: str) -> Agents:
        """``"alice:secret1,bob:secret2"`` (the DESK_AGENTS variable)."""
        salt = os.urandom(16)
        hashes: Dict[str, bytes] = {}
        for entry in filter(None, (part.strip() for part in spec.split(","))):
            name, sep, password = entry.partition(":")
            if not sep or not name or not password:
                raise AgentConfigError("DESK_AGENTS must look like 'alice:password,bob:password'")
            hashes[name] = _hash(password, salt)
        if not hashes:
            raise AgentConfigError("DESK_AGENTS names no agent")
        return cls(hashes, salt)

    def check(self, name: str, password: str) -> bool:
        expected = self.hashes.get(name)
        supplied = _hash(password, self.salt)
        return expected is not None and hmac.compare_digest(expected, supplied)


def _sign(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def issue_token(agent: str, secret: bytes, now: float, lifetime: float = SESSION_SECONDS) -> str:
    body = f"{agent}|{int(now + lifetime)}"
    raw = f"{body}|{_sign(secret, body)}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def agent_for_token(token: str, secret: bytes, now: float) -> str | None:
    """The agent a valid, unexpired token belongs to; None otherwise."""
    try:
        agent, expiry, signature = base64.urlsafe_b64decode(token.encode()).decode().rsplit("|", 2)
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(signature, _sign(secret, f"{agent}|{expiry}")):
        return None
    return agent if expiry.isdigit() and int(expiry) > now else None
