"""A tiny loopback HTTP server shared by the provider doubles.

A double hands :class:`LoopbackServer` one function that turns a :class:`Request` into a :class:`Reply`; the server
binds ``127.0.0.1`` on a free port as soon as it is built (so ``url`` is known before any request) and answers only
between :meth:`LoopbackServer.start` and :meth:`LoopbackServer.stop`, in daemon threads.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    """One HTTP request as the double sees it: the raw path (query split off), the query string and body bytes."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        """The header's value ('' when absent); names compare case-insensitively."""
        return self.headers.get(name.lower(), "")


@dataclass(frozen=True)
class Reply:
    """What the double answers: a status, a body and any extra headers."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: object, headers: dict[str, str] | None = None) -> Reply:
    """A JSON reply with ``Content-Type: application/json; charset=UTF-8``."""
    all_headers = {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}
    return Reply(status, json.dumps(payload).encode("utf-8"), all_headers)


Handler = Callable[[Request], Reply]


def _handler_class(handle: Handler) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            headers = {name.lower(): value for name, value in self.headers.items()}
            reply = handle(Request(self.command, parts.path, parts.query, headers, body))
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
            return

    return _Handler


class LoopbackServer:
    """A ThreadingHTTPServer on 127.0.0.1 (port 0) that serves ``handle`` in a daemon thread once started."""

    def __init__(self, handle: Handler) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(handle))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> None:
        """Begin answering requests (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop answering and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
