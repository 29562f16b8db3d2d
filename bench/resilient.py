"""A customer that never gives up on a message: it resends with the same
``message_id`` until the bot answers (the REST channel answers a repeat from
the tracker instead of processing it twice)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List

import aiohttp

from bench.audit import SentMessage
from bench.load import rest_headers
from bench.scenarios import ConversationPicker


@dataclass
class Outcome:
    """Everything one load run sent, per conversation, and when requests failed."""

    sent: Dict[str, List[SentMessage]] = field(default_factory=dict)
    latencies: List[float] = field(default_factory=list)
    failures: List[tuple] = field(default_factory=list)  # (seconds since start, error)
    gave_up: int = 0


async def say(session: aiohttp.ClientSession, url: str, sender: str, message: SentMessage, outcome: Outcome,
              t0: float, retry_for_s: float) -> None:  # fmt: skip
    started = time.monotonic()
    delay = 0.2
    while True:
        message.attempts += 1
        attempt_started = time.monotonic()
        try:
            body = {"sender": sender, "message": message.text, "message_id": message.message_id}
            async with session.post(url, json=body) as reply:
                replies = await reply.json(content_type=None)
                if reply.status == 200 and isinstance(replies, list) and replies:
                    message.acknowledged = True
                    outcome.latencies.append(time.monotonic() - attempt_started)
                    return
                error = f"HTTP {reply.status}"
        except asyncio.TimeoutError:
            error = "timeout"
        except (aiohttp.ClientError, ValueError) as failure:
            error = type(failure).__name__
        message.errors.append(error)
        outcome.failures.append((time.monotonic() - t0, error))
        if time.monotonic() - started > retry_for_s:
            outcome.gave_up += 1
            return
        await asyncio.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 5.0)


async def customers(rasa_url: str, picker: ConversationPicker, concurrency: int, duration_s: float,
                    think_mean_s: float, run_id: str, outcome: Outcome, retry_for_s: float = 90.0,
                    headers: Dict[str, str] | None = None) -> None:  # fmt: skip
    """``concurrency`` customers, each running scripted conversations back to back
    (a fresh sender each) with think time, until ``duration_s`` has passed."""
    url = f"{rasa_url}/webhooks/rest/webhook"
    t0 = time.monotonic()
    rng = random.Random(run_id)

    async def customer(number: int) -> None:
        serial = 0
        while time.monotonic() - t0 < duration_s:
            sender = f"{run_id}-{number}-{serial}"
            serial += 1
            sent = outcome.sent.setdefault(sender, [])
            for turn in picker.next().turns:
                await asyncio.sleep(rng.expovariate(1 / think_mean_s))
                message = SentMessage(uuid.uuid4().hex, turn.say)
                sent.append(message)
                await say(session, url, sender, message, outcome, t0, retry_for_s)
                if not message.acknowledged:
                    return

    timeout = aiohttp.ClientTimeout(total=45)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout,
                                     headers=headers or rest_headers()) as session:  # fmt: skip
        await asyncio.gather(*(customer(n) for n in range(concurrency)))
