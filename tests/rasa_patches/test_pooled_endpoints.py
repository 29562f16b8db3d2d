"""Calls through Rasa's EndpointConfig reuse one connection and behave as Rasa's own."""

from __future__ import annotations

import asyncio
import json
import time
from typing import List

import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.rasa_patches import apply_all, pooled_endpoints


async def serve(peers: List[str]) -> web.AppRunner:
    async def webhook(request: web.Request) -> web.Response:
        peers.append(str(request.transport.get_extra_info("peername")))  # type: ignore[union-attr]
        body = await request.json()
        if body.get("fail"):
            return web.Response(status=500, text="the action server broke")
        if body.get("plain"):
            return web.Response(text="not json")
        return web.json_response({"echo": body, "token": request.query.get("token"),
                                  "header": request.headers.get("X-Team")})  # fmt: skip

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


def url_of(runner: web.AppRunner) -> str:
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}/webhook"


def test_requests_share_one_connection_and_keep_rasas_behaviour():
    apply_all()
    peers: List[str] = []

    async def scenario() -> None:
        runner = await serve(peers)
        endpoint = EndpointConfig(url_of(runner), token="secret", headers={"X-Team": "triage"})
        try:
            first = await endpoint.request(json={"n": 1}, method="post")
            second = await endpoint.request(json={"n": 2}, method="post")
            assert first == {"echo": {"n": 1}, "token": "secret", "header": "triage"}
            assert second["echo"] == {"n": 2}
            assert await endpoint.request(json={"plain": True}) is None  # not JSON: None, as Rasa answers
            with pytest.raises(ClientResponseError) as failure:
                await endpoint.request(json={"fail": True})
            assert failure.value.status == 500 and b"broke" in failure.value.text
            assert len(set(peers)) == 1, peers  # one TCP connection for every call
            await asyncio.sleep(pooled_endpoints.KEEPALIVE_S + 0.5)  # idle: the client lets it go first
            assert (await endpoint.request(json={"n": 3}))["echo"] == {"n": 3}
            assert len(set(peers)) == 2
        finally:
            await pooled_endpoints.close_kept_sessions()
            await runner.cleanup()

    asyncio.run(scenario())


def test_each_event_loop_and_endpoint_gets_its_own_session():
    apply_all()
    peers: List[str] = []

    async def scenario() -> List[object]:
        runner = await serve(peers)
        try:
            one, other = EndpointConfig(url_of(runner)), EndpointConfig(url_of(runner), headers={"X-Team": "b"})
            sessions = [pooled_endpoints.kept_session(one), pooled_endpoints.kept_session(one),
                        pooled_endpoints.kept_session(other)]  # fmt: skip
            assert sessions[0] is sessions[1] and sessions[0] is not sessions[2]
            await one.request(json={})
            return sessions
        finally:
            await pooled_endpoints.close_kept_sessions()
            await runner.cleanup()

    first_loop = asyncio.run(scenario())
    second_loop = asyncio.run(scenario())  # a new loop never gets a session bound to a closed one
    assert first_loop[0] is not second_loop[0]
    assert all(session.closed for session in first_loop + second_loop)  # type: ignore[attr-defined]


def test_request_bodies_are_the_same_json_and_the_domain_text_follows_the_domain_in_use():
    domain = {"slots": {"order_number": {"type": "text"}}, "responses": {"utter_greet": [{"text": "Hi / hello é"}]}}
    body = {"next_action": "validate_order_lookup_form", "tracker": {"events": [{"confidence": 0.1}]}, "domain": domain}
    for sample in (body, {"domain": domain}, {"next_action": "x"}, [1, "two"], {"nan": float("nan")}):
        text = pooled_endpoints.request_json(sample)
        assert json.loads(text) == sample or sample.get("nan") is not None  # type: ignore[union-attr]
    assert "NaN" in pooled_endpoints.request_json({"nan": float("nan")})  # refused by ujson: json.dumps decides
    other = {"slots": {}}
    assert json.loads(pooled_endpoints.request_json({"domain": other})) == {"domain": other}  # a new domain dict


def test_a_request_on_a_connection_the_server_closed_while_the_loop_was_blocked_is_sent_again():
    """Rasa's loop blocks while its SQL database is away; meanwhile the action server closes idle connections."""
    apply_all()
    answered: List[int] = []

    async def scenario() -> object:
        async def one_request_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(2)  # the body: {}
            answered.append(1)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
                         b"Connection: keep-alive\r\n\r\n{\"ok\": 1}\r\n")  # fmt: skip
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.close()  # the keep-alive timeout of a busy action server, as seen from the client

        server = await asyncio.start_server(one_request_then_close, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        try:
            both = await asyncio.gather(endpoint.request(json={}), endpoint.request(json={}))  # two kept connections
            assert both == [{"ok": 1}, {"ok": 1}]
            time.sleep(0.3)  # the loop is blocked: the server's closes are not noticed yet
            return await endpoint.request(json={})
        finally:
            await pooled_endpoints.close_kept_sessions()
            server.close()

    assert asyncio.run(scenario()) == {"ok": 1}
    assert len(answered) == 3


def test_only_a_request_that_never_left_is_sent_again():
    import aiohttp

    unsent = aiohttp.ClientOSError("Cannot write to closing transport")
    unsent.__cause__ = ConnectionResetError("Cannot write to closing transport")
    reset = aiohttp.ClientOSError(104, "Connection reset by peer")
    broken_pipe = aiohttp.ClientOSError(32, "Broken pipe")
    assert pooled_endpoints.never_sent(unsent) and pooled_endpoints.never_sent(reset)
    assert not pooled_endpoints.never_sent(broken_pipe)
