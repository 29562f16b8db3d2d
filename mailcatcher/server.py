"""Running mailcatcher: both servers on one event loop, one mailcatcher per process.

- ``bind`` takes both ports first, so a taken port is one clear ``PortTaken`` before anything starts.
- ``serve`` runs the SMTP server (aiosmtpd) and the HTTP server (Sanic) on those sockets until ``stopping``.
- ``command`` and ``health_url`` describe ``python -m mailcatcher`` as a child process, for the launcher and
  the tests (``bot.launcher.Service``), as the project starts its other services.

One per process: Sanic 21.12 rewrites methods of its ``Sanic`` class when an app starts (TouchUp), and a second
app started in the same process fails on the rewritten source; a child process each also keeps the tests'
servers as separate as `make run`'s.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from dataclasses import dataclass
from typing import List

from mailcatcher.settings import Settings
from mailcatcher.smtp import Inbox, protocol_factory
from mailcatcher.store import MessageStore
from mailcatcher.web import create_app


class PortTaken(OSError):
    """Something already listens on a port mailcatcher needs; the message names it."""


@dataclass
class Sockets:
    smtp: socket.socket
    http: socket.socket

    @property
    def smtp_port(self) -> int:
        return int(self.smtp.getsockname()[1])

    @property
    def http_port(self) -> int:
        return int(self.http.getsockname()[1])

    def close(self) -> None:
        self.smtp.close()
        self.http.close()


def _listen(host: str, port: int, what: str) -> socket.socket:
    try:
        return socket.create_server((host, port))
    except OSError as error:
        raise PortTaken(error.errno, f"cannot listen for {what} on {host}:{port}: {error.strerror}") from None


def bind(settings: Settings) -> Sockets:
    smtp = _listen(settings.host, settings.smtp_port, "SMTP")
    try:
        return Sockets(smtp, _listen(settings.host, settings.http_port, "HTTP"))
    except PortTaken:
        smtp.close()
        raise


async def serve(settings: Settings, token: str, store: MessageStore, sockets: Sockets, stopping: asyncio.Event) -> None:
    """Both servers, until ``stopping`` is set."""
    loop = asyncio.get_running_loop()
    smtp = await loop.create_server(protocol_factory(settings, Inbox(store), loop), sock=sockets.smtp)
    app = create_app(store, token)
    http = await app.create_server(sock=sockets.http, return_asyncio_server=True, access_log=False)
    assert http is not None  # return_asyncio_server=True
    await http.startup()
    try:
        await stopping.wait()
    finally:
        smtp.close()
        http.close()
        for connection in list(http.connections):
            connection.close_if_idle()
        await smtp.wait_closed()
        await http.wait_closed()


def command(host: str, smtp_port: int, http_port: int, database_url: str) -> List[str]:
    """``python -m mailcatcher`` with these (the other settings come from MAILCATCHER_* in its environment)."""
    return [sys.executable, "-m", "mailcatcher", "--host", host, "--smtp-port", str(smtp_port),
            "--http-port", str(http_port), "--database", database_url]  # fmt: skip


def health_url(host: str, http_port: int) -> str:
    """Answers 200 without a token once both servers accept connections."""
    return f"http://{host}:{http_port}/health"
