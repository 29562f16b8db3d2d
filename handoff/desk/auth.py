"""Agent sign-in: agents and roles from the environment, salted password hashes, signed session tokens. Pure.

``DESK_AGENTS`` is ``name:password[:role]`` separated by commas; the role is ``agent`` (the default),
``supervisor`` or ``designer`` (handoff/desk/access.py says which pages each may use). A session
token names the agent, its expiry and a random session id (so one session can be
signed out without the others), signed with HMAC-SHA256.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from enum import Enum
from typing import Dict, Mapping, NamedTuple

from privacy.credentials import same_secret

SESSION_SECONDS = 12 * 3600
MAX_NAME_CHARS = 100
MAX_PASSWORD_CHARS = 1024


class Role(str, Enum):
    AGENT = "agent"  # works the queue: claims, and answers and closes what they own
    SUPERVISOR = "supervisor"  # also takes over and closes any agent's conversation, and reads the reports
    DESIGNER = "designer"  # a conversation designer: reviews what customers said, never works tickets


ROLE_SUFFIXES = tuple(f":{role.value}" for role in Role)


class AgentConfigError(ValueError):
    """DESK_AGENTS is malformed; the message says how to write it."""


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8", "surrogatepass"), salt, 100_000)


@dataclass(frozen=True)
class Agents:
    """Agent names, roles and salted password hashes (never the passwords themselves)."""

    hashes: Mapping[str, bytes]
    roles: Mapping[str, Role]
    salt: bytes

    @classmethod
    def from_spec(cls, spec: str) -> Agents:
        """``"alice:secret1:supervisor,bob:secret2"`` (the DESK_AGENTS variable)."""
        salt = os.urandom(16)
        hashes: Dict[str, bytes] = {}
        roles: Dict[str, Role] = {}
        for entry in filter(None, (part.strip() for part in spec.split(","))):
            name, sep, rest = entry.partition(":")
            password, _, role = rest.rpartition(":") if rest.endswith(ROLE_SUFFIXES) else (rest, "", "")
            if not sep or not name or not password:
                raise AgentConfigError(
                    "DESK_AGENTS must look like 'alice:password:supervisor,bob:password,dee:password:designer'"
                )
            hashes[name] = _hash(password, salt)
            roles[name] = Role(role or Role.AGENT.value)
        if not hashes:
            raise AgentConfigError("DESK_AGENTS names no agent")
        return cls(hashes, roles, salt)

    def check(self, name: str, password: str) -> bool:
        """Whether ``password`` is ``name``'s. Blocking (PBKDF2, ~50 ms): call it off the event loop. An unknown
        name costs the same time as a known one."""
        if len(name) > MAX_NAME_CHARS or len(password) > MAX_PASSWORD_CHARS:
            return False
        expected = self.hashes.get(name)
        supplied = _hash(password, self.salt)
        return expected is not None and hmac.compare_digest(expected, supplied)

    def role(self, name: str) -> Role:
        return self.roles.get(name, Role.AGENT)


class Session(NamedTuple):
    agent: str
    session_id: str
    expires: int


def _sign(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def issue_token(agent: str, secret: bytes, now: float, lifetime: float = SESSION_SECONDS) -> str:
    body = f"{agent}|{int(now + lifetime)}|{secrets.token_hex(8)}"
    raw = f"{body}|{_sign(secret, body)}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def session_for_token(token: str, secret: bytes, now: float) -> Session | None:
    """The session a valid, unexpired token carries; None for anything else (never an error)."""
    try:
        agent, expiry, session_id, signature = base64.urlsafe_b64decode(token.encode("ascii")).decode().rsplit("|", 3)
    except (ValueError, UnicodeError, binascii.Error):
        return None
    if not same_secret(signature, _sign(secret, f"{agent}|{expiry}|{session_id}")):
        return None
    if not expiry.isdigit() or int(expiry) <= now:
        return None
    return Session(agent, session_id, int(expiry))


def agent_for_token(token: str, secret: bytes, now: float) -> str | None:
    """The agent a valid, unexpired token belongs to; None otherwise."""
    session = session_for_token(token, secret, now)
    return session.agent if session else None


def csrf_token(secret: bytes, session_token: str) -> str:
    """The token a page must send back with every change it asks for: derived from its session, so another
    site that can make the browser send the cookie still cannot know it."""
    return _sign(secret, f"csrf|{session_token}")
