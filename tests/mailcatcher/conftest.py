"""mailcatcher as the project runs it: ``python -m mailcatcher`` in a child process (``bot.launcher.Service``)
on free loopback ports, with a database of its own."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
import requests

from bot.launcher import Service, free_port
from mailcatcher.server import command, health_url

TOKEN = "mailcatcher-test-token"
HOST = "127.0.0.1"
# Every MAILCATCHER_* variable, set: a developer's own (in the shell the tests run from) must not leak in.
UNSET = {name: "" for name in ("MAILCATCHER_SMTP_USER", "MAILCATCHER_SMTP_PASSWORD", "MAILCATCHER_TLS_CERT",
                               "MAILCATCHER_TLS_KEY", "MAILCATCHER_MAX_BYTES", "MAILCATCHER_TOKEN")}  # fmt: skip


@dataclass
class Mailcatcher:
    service: Service
    smtp_port: int
    http_url: str
    token: str = TOKEN

    @property
    def auth_headers(self) -> Dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def start(directory: Path, env: Dict[str, str] | None = None, name: str = "mailcatcher") -> Mailcatcher:
    """A running mailcatcher; ``env`` adds MAILCATCHER_* settings (MAILCATCHER_TOKEN is TOKEN unless given)."""
    smtp_port, http_port = free_port(), free_port()
    database = f"sqlite:///{directory / f'{name}.db'}"
    service = Service(name, command(HOST, smtp_port, http_port, database), health_url(HOST, http_port), directory,
                      {**UNSET, "MAILCATCHER_TOKEN": TOKEN, **(env or {})})  # fmt: skip
    service.start().wait_until_up(time.monotonic() + 60)
    return Mailcatcher(service, smtp_port, f"http://{HOST}:{http_port}")


@pytest.fixture(scope="module")
def shared_mailcatcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailcatcher]:
    server = start(tmp_path_factory.mktemp("mailcatcher"))
    yield server
    server.service.stop()


@pytest.fixture
def mailcatcher(shared_mailcatcher: Mailcatcher) -> Mailcatcher:
    """The module's mailcatcher (default settings), emptied for this test."""
    reply = requests.delete(f"{shared_mailcatcher.http_url}/api/messages", headers=shared_mailcatcher.auth_headers,
                            timeout=10)  # fmt: skip
    assert reply.status_code == 200, reply.text
    return shared_mailcatcher


StartMailcatcher = Callable[..., Mailcatcher]


@pytest.fixture
def start_mailcatcher(tmp_path: Path) -> Iterator[StartMailcatcher]:
    """``start_mailcatcher(MAILCATCHER_SMTP_USER=..., ...)``: a mailcatcher of this test's own with those settings."""
    started: List[Mailcatcher] = []

    def start_one(**env: str) -> Mailcatcher:
        server = start(tmp_path, env, name=f"mailcatcher-{len(started)}")
        started.append(server)
        return server

    yield start_one
    for server in started:
        server.service.stop()


def stored(server: Mailcatcher, **query: Any) -> List[Dict[str, Any]]:
    reply = requests.get(f"{server.http_url}/api/messages", params=query, headers=server.auth_headers, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()


def only_message(server: Mailcatcher) -> Dict[str, Any]:
    messages = stored(server)
    assert len(messages) == 1, messages
    return messages[0]
