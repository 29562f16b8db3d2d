"""Load shapes over the REST channel: closed loop (saturation) and open loop
(Poisson arrivals at a fixed offered rate, with think time)."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
from dataclasses import dataclass
from typing import Callable, Dict, List

import aiohttp

from bench.scenarios import Conversation, ConversationPicker

REQUEST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Sample:
    """One message sent and what came back."""

    conversation: str
    sender: str
    text: str
    sent_at: float  # seconds since the load started
    latency: float
    ok: bool  # HTTP 200 with at least one bot message
    as_designed: bool
    error: str = ""
    reply: str = ""  # the bot's reply, kept when the turn went off script (bench/stats.py shows the commonest)


@dataclass
class LoadResult:
    shape: str  # "closed" or "open"
    level: float  # concurrency (closed) or offered messages/s (open)
    window_s: float  # the measured window
    samples: List[Sample]  # the messages throughput is counted over
    conversations: int
    # Latency is read over every message sent; None: the same as ``samples``.
    latency_samples: List[Sample] | None = None


class RestClient:
    """Sends one message and waits for the bot's reply (Rasa's REST webhook)."""

    def __init__(self, session: aiohttp.ClientSession, rasa_url: str) -> None:
        self._session = session
        self._url = f"{rasa_url}/webhooks/rest/webhook"

    async def say(self, conversation: str, sender: str, text: str, expect: Callable[[str], bool], t0: float) -> Sample:
        sent = time.monotonic()
        error, ok, designed, reply_text = "", False, False, ""
        try:
            async with self._session.post(self._url, json={"sender": sender, "message": text}) as reply:
                body = await reply.json(content_type=None)
                if reply.status != 200:
                    error = f"HTTP {reply.status}"
                elif isinstance(body, list) and body:
                    ok = True
                    reply_text = " ".join(str(m.get("text") or "") for m in body)
                    designed = expect(reply_text)
                else:
                    error = "empty reply"
        except asyncio.TimeoutError:
            error = "timeout"
        except (aiohttp.ClientError, ValueError) as failure:
            error = type(failure).__name__
        latency = time.monotonic() - sent
        off_script = "" if designed else reply_text[:160]
        return Sample(conversation, sender, text, sent - t0, latency, ok, designed, error, off_script)


def rest_headers() -> Dict[str, str]:
    """The REST webhook is behind REST_API_KEY; the benchmark's stacks inherit the key from its environment."""
    return {"Authorization": f"Bearer {os.environ.get('REST_API_KEY', '')}"}


def client_session(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        headers=rest_headers(),
        connector=aiohttp.TCPConnector(limit=connections, force_close=False),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
    )


async def _talk(client: RestClient, conversation: Conversation, sender: str, t0: float, samples: List[Sample],
                keep_going: Callable[[], bool], think: Callable[[], float] | None = None) -> None:  # fmt: skip
    for index, turn in enumerate(conversation.turns):
        if not keep_going():
            return
        if think is not None and index:
            await asyncio.sleep(think())
        samples.append(await client.say(conversation.name, sender, turn.say, turn.as_designed, t0))


async def closed_loop(rasa_url: str, picker: ConversationPicker, concurrency: int, duration_s: float,
                      warmup_s: float, run_id: str) -> LoadResult:  # fmt: skip
    """``concurrency`` conversations at a time, each sending its next message as soon
    as the reply arrives. Only messages sent after the warm-up count."""
    counter = itertools.count()
    samples: List[Sample] = []
    t0 = time.monotonic()
    stop_at = t0 + warmup_s + duration_s

    def keep_going() -> bool:
        return time.monotonic() < stop_at

    async def worker(client: RestClient) -> None:
        while keep_going():
            await _talk(client, picker.next(), f"{run_id}-{next(counter)}", t0, samples, keep_going)

    async with client_session(concurrency) as session:
        client = RestClient(session, rasa_url)
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    # Throughput counts the replies that arrived inside the window, whenever their message was sent:
    # under overload a reply can take longer than the window, and dropping those would undercount.
    measured = [s for s in samples if warmup_s <= s.sent_at + s.latency <= warmup_s + duration_s]
    return LoadResult("closed", concurrency, duration_s, measured, next(counter))


async def open_loop(rasa_url: str, picker: ConversationPicker, rate: float, conversations: int, think_mean_s: float,
                    seed: int, run_id: str) -> LoadResult:  # fmt: skip
    """Conversations start as a Poisson process sized so that messages arrive at
    ``rate`` per second; within a conversation the customer waits for the reply,
    then thinks (exponential, mean ``think_mean_s``) before the next message."""
    rng = random.Random(seed)
    conversation_rate = rate / picker.mean_turns()
    samples: List[Sample] = []
    tasks = []
    rng_last_gap = 0.0
    t0 = time.monotonic()
    async with client_session(0) as session:
        client = RestClient(session, rasa_url)
        next_start = 0.0
        for number in range(conversations):
            delay = next_start - (time.monotonic() - t0)
            if delay > 0:
                await asyncio.sleep(delay)
            talk = _talk(client, picker.next(), f"{run_id}-{number}", t0, samples, lambda: True,
                         lambda: rng.expovariate(1 / think_mean_s))  # fmt: skip
            tasks.append(asyncio.ensure_future(talk))
            rng_last_gap = rng.expovariate(conversation_rate)
            next_start += rng_last_gap
        await asyncio.gather(*tasks)
    # The offered rate holds while conversations keep starting; after the last one starts, only
    # its remaining turns arrive. Throughput is measured over that arrival window.
    window = next_start - rng_last_gap if conversations > 1 else 0.0
    in_window = [s for s in samples if s.sent_at <= window]
    return LoadResult("open", rate, window, in_window if window else samples, conversations, latency_samples=samples)
