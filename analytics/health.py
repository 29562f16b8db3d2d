"""``GET /health`` for the analytics processes: their counters as JSON, for the launcher and operators. A plain
asyncio server: the processes have no web framework of their own, and this answers one fixed document."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Dict


async def serve_health(counters: Callable[[], Dict[str, Any]], host: str, port: int) -> asyncio.AbstractServer:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readline(), timeout=5)
            body = json.dumps({"status": "ok", **counters()}).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)  # fmt: skip
            await writer.drain()
        except (asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(answer, host, port)
