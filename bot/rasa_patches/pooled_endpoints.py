"""Calls to the action server reuse their HTTP connections.

Rasa 3.6's ``EndpointConfig.request`` opens an aiohttp ``ClientSession`` - a
connector, a new TCP connection, then the teardown of all three - for every
call to the action server, and a form turn makes two or three such calls.
Replaying a turn's action calls against the action server measured 0.6 to
0.9 ms less per call with one kept session (docs/performance.md), nearly all
of it Rasa's CPU.

Request bodies are written by ``request_json``: ujson (already a Rasa
dependency) for the tracker, and the domain - Rasa sends its 26 kB with every
call to a form's validation action, the same dict each time - serialised
once per loaded domain and spliced in. That halves the 0.7 ms ``json.dumps``
spent on a 36 kB form-validation request.

Here each event loop keeps one session per endpoint configuration (URL,
headers, basic auth, CA file) and every request goes through it, with Rasa's
own headers, parameters, timeout and error handling. Idle connections are
dropped after ``KEEPALIVE_S``, well before Sanic (the action server) closes
them after its 5 s keep-alive timeout, so a request never goes out on a
connection the server is closing. That timer runs on the event loop, though,
and Rasa's SQL tracker store blocks the loop while its database is away: in a
soak run, PostgreSQL's 5 s stop left kept connections the action server had
closed meanwhile, and 100 calls failed with "Cannot write to closing
transport". The server never read such a request, so it is sent once more,
on a new session: the old one's other idle connections went stale in the
same stall, and the next soak run showed the resend picking one of them. A
failure after the server may have read the request is not retried: the
action may have run. The sessions are closed when the Rasa server stops.

The idle timer starts when Rasa's loop gets round to a response; under
overload that can be seconds after the action server sent it, so the launcher
gives the action server a 75 s keep-alive (``ACTION_SERVER_KEEP_ALIVE_S`` in
bot/launcher.py): it never closes a connection Rasa may still reuse.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import ssl
import weakref
from typing import Any, Dict, Tuple

import aiohttp
import ujson
from aiohttp.client_exceptions import ContentTypeError
from rasa.core.channels import channel as rasa_channels
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

from bot.rasa_guard import RASA_3_6, Patch

KEEPALIVE_S = 2.0  # below Sanic's default KEEP_ALIVE_TIMEOUT of 5 s

SessionKey = Tuple[Any, ...]
_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dict[SessionKey, aiohttp.ClientSession]] = (
    weakref.WeakKeyDictionary()
)


class DomainJson:
    """The JSON text of the domain dict Rasa puts in action calls (``Domain.as_dict()`` returns the same
    object every time), kept while that object is the one in use."""

    def __init__(self) -> None:
        self._domain: Dict[str, Any] | None = None  # held, so its id cannot be reused by another dict
        self._text = ""

    def text_of(self, domain: Dict[str, Any]) -> str:
        if domain is not self._domain:
            self._domain, self._text = domain, ujson.dumps(domain)
        return self._text


_domain_json = DomainJson()


def request_json(body: Any) -> str:
    """JSON text for a request body; a body carrying the domain gets the domain's kept text. Anything ujson
    refuses (NaN, an unknown type) goes to ``json.dumps``, which decides as Rasa's own request would."""
    try:
        domain = body.get("domain") if isinstance(body, dict) else None
        if not isinstance(domain, dict):
            return str(ujson.dumps(body))
        rest = ujson.dumps({key: value for key, value in body.items() if key != "domain"})
        separator = "," if len(rest) > 2 else ""
        return f'{rest[:-1]}{separator}"domain":{_domain_json.text_of(domain)}}}'
    except (TypeError, ValueError, OverflowError):
        return json.dumps(body)


def session_key(endpoint: EndpointConfig) -> SessionKey:
    auth = tuple(sorted(endpoint.basic_auth.items())) if endpoint.basic_auth else ()
    return endpoint.url, tuple(sorted(endpoint.headers.items())), auth, endpoint.cafile


def kept_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """This loop's session for ``endpoint``'s configuration, opened on first use."""
    sessions = _sessions.setdefault(asyncio.get_running_loop(), {})
    key = session_key(endpoint)
    session = sessions.get(key)
    if session is None or session.closed:
        auth = endpoint.basic_auth
        session = aiohttp.ClientSession(  # what Rasa's EndpointConfig.session() sets, with a kept connector
            headers=endpoint.headers,
            auth=aiohttp.BasicAuth(auth["username"], auth["password"]) if auth else None,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_S),
            json_serialize=request_json,
        )
        sessions[key] = session
    return session


async def drop_kept_session(endpoint: EndpointConfig) -> None:
    session = _sessions.get(asyncio.get_running_loop(), {}).pop(session_key(endpoint), None)
    if session is not None:
        await session.close()


async def close_kept_sessions(*_: Any) -> None:
    loop = asyncio.get_running_loop()
    for session in list(_sessions.pop(loop, {}).values()):
        await session.close()


def ssl_context(endpoint: EndpointConfig) -> ssl.SSLContext | None:
    if not endpoint.cafile:
        return None
    try:
        return ssl.create_default_context(cafile=endpoint.cafile)
    except FileNotFoundError as error:
        raise FileNotFoundException(
            f"Failed to find certificate file, '{os.path.abspath(endpoint.cafile)}' does not exist."
        ) from error


async def request_on_kept_session(
    self: EndpointConfig,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any | None:
    """Rasa's ``EndpointConfig.request``, on the loop's kept session instead of a new one."""
    headers = {"Content-Type": content_type} if content_type else {}
    headers.update(kwargs.pop("headers", None) or {})
    headers.update(self.headers)
    try:
        return await _send(self, method, subpath, headers, compress, dict(kwargs))
    except aiohttp.ClientOSError as error:
        if not never_sent(error):
            raise
        await drop_kept_session(self)  # its other idle connections went stale in the same stall
        return await _send(self, method, subpath, headers, compress, kwargs)


def never_sent(error: aiohttp.ClientOSError) -> bool:
    """A request written to a connection the server had already closed: aiohttp either refuses the write
    ("Cannot write to closing transport") or the server's kernel answers it with a reset. Either way the
    server never read it. (A server that read the request and then went away closes with a FIN, which aiohttp
    reports as ``ServerDisconnectedError``: not retried.)"""
    return error.errno == errno.ECONNRESET or isinstance(error.__cause__, ConnectionResetError)


async def _send(self: EndpointConfig, method: str, subpath: str | None, headers: Dict[str, str], compress: bool,
                kwargs: Dict[str, Any]) -> Any | None:  # fmt: skip
    async with kept_session(self).request(
        method,
        concat_url(self.url, subpath),
        headers=headers,
        params=self.combine_parameters(kwargs),
        compress=compress,
        ssl=ssl_context(self),
        **kwargs,
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


_rasa_register = rasa_channels.register


def register_and_close_sessions_on_stop(input_channels: Any, app: Any, route: str | None) -> None:
    _rasa_register(input_channels, app, route)
    app.register_listener(close_kept_sessions, "after_server_stop")


def apply() -> None:
    EndpointConfig.request = request_on_kept_session
    rasa_channels.register = register_and_close_sessions_on_stop


PATCH = Patch(
    name="pooled_endpoints",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.utils.endpoints:EndpointConfig.request": "ccdb778aed8208e2",
        "rasa.core.channels.channel:register": "f6dc783f1ad3638e",
    },
    apply=apply,
)
