"""The Reports and Review pages' own small pool: a burst of heavy requests is told "busy" instead of taking the
threads agents work on, and the same figures asked for again within seconds are not computed again."""

from __future__ import annotations

import asyncio
import threading

import pytest

from handoff.desk.insights import Busy, InsightRunner


def test_past_its_limit_the_runner_says_busy_and_recovers_once_work_finishes():
    async def scenario() -> list:
        runner = InsightRunner(workers=1, max_waiting=2)
        release = threading.Event()
        slow = [asyncio.ensure_future(runner(None, release.wait, 5)) for _ in range(2)]
        await asyncio.sleep(0.05)
        with pytest.raises(Busy):
            await runner(None, lambda: "third")
        release.set()
        done = await asyncio.gather(*slow)
        return [*done, await runner(None, lambda: "after")]

    assert asyncio.run(scenario()) == [True, True, "after"]


def test_the_same_question_within_the_cache_window_is_answered_from_memory_until_forgotten():
    calls = []

    def compute(value: str) -> str:
        calls.append(value)
        return value.upper()

    async def scenario() -> list:
        runner = InsightRunner()
        first = await runner(("review", 1), compute, "a")
        again = await runner(("review", 1), compute, "b")  # same key: the first answer
        other = await runner(("report", 1), compute, "c")
        runner.forget("review")
        fresh = await runner(("review", 1), compute, "d")
        return [first, again, other, fresh]

    assert asyncio.run(scenario()) == ["A", "A", "C", "D"]
    assert calls == ["a", "c", "d"]
