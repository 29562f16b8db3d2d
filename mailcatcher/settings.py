"""mailcatcher's settings: the environment (docs/mailcatcher.md), overridden by the command line."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = f"sqlite:///{ROOT / 'var' / 'mail.db'}"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class SettingsError(ValueError):
    """A setting is missing, malformed or inconsistent; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    smtp_port: int = 2525
    http_port: int = 5500
    database_url: str = DEFAULT_DATABASE
    token: str | None = None  # None: generated at start and printed
    smtp_user: str | None = None
    smtp_password: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    max_bytes: int = DEFAULT_MAX_BYTES

    @property
    def smtp_auth(self) -> bool:
        return self.smtp_user is not None

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    def check(self) -> Settings:
        """Returns itself; raises ``SettingsError`` for a combination that cannot work or is unsafe."""
        if not self.host:
            raise SettingsError("--host must not be empty")
        for name, port in (("SMTP", self.smtp_port), ("HTTP", self.http_port)):
            if not 0 <= port <= 65535:
                raise SettingsError(f"the {name} port {port} is not between 0 and 65535")
        if (self.smtp_user is None) != (self.smtp_password is None):
            raise SettingsError("set both MAILCATCHER_SMTP_USER and MAILCATCHER_SMTP_PASSWORD, or neither")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise SettingsError("set both MAILCATCHER_TLS_CERT and MAILCATCHER_TLS_KEY, or neither")
        for path in (self.tls_cert, self.tls_key):
            if path is not None and not path.is_file():
                raise SettingsError(f"no such file: {path}")
        if self.max_bytes < 1:
            raise SettingsError("MAILCATCHER_MAX_BYTES must be a positive number of bytes")
        if self.smtp_auth and not self.tls and not is_loopback(self.host):
            raise SettingsError("SMTP AUTH off loopback sends the password in clear: set MAILCATCHER_TLS_CERT and "
                                "MAILCATCHER_TLS_KEY, or listen on 127.0.0.1")  # fmt: skip
        return self


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name) or ""
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {text!r}") from None


def _path(environ: Mapping[str, str], name: str) -> Path | None:
    return Path(environ[name]) if environ.get(name) else None


def from_env(environ: Mapping[str, str] = os.environ) -> Settings:
    """Settings from the MAILCATCHER_* variables (unchecked: the command line may still override them)."""
    return Settings(
        smtp_port=_int(environ, "MAILCATCHER_SMTP_PORT", Settings.smtp_port),
        http_port=_int(environ, "MAILCATCHER_HTTP_PORT", Settings.http_port),
        database_url=environ.get("MAILCATCHER_DATABASE_URL") or DEFAULT_DATABASE,
        token=environ.get("MAILCATCHER_TOKEN") or None,
        smtp_user=environ.get("MAILCATCHER_SMTP_USER") or None,
        smtp_password=environ.get("MAILCATCHER_SMTP_PASSWORD") or None,
        tls_cert=_path(environ, "MAILCATCHER_TLS_CERT"),
        tls_key=_path(environ, "MAILCATCHER_TLS_KEY"),
        max_bytes=_int(environ, "MAILCATCHER_MAX_BYTES", DEFAULT_MAX_BYTES),
    )
