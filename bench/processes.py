"""CPU and memory of the bot's processes while a load runs (psutil, sampled in a thread)."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Dict, List

import psutil


@dataclass(frozen=True)
class Usage:
    cpu_percent: float  # mean over the window; 100 = one core busy
    rss_mb: float  # peak resident memory of the process and its children


def _tree(pid: int) -> List[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _cpu_seconds(processes: List[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def _rss_bytes(processes: List[psutil.Process]) -> int:
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return total


class UsageSampler:
    """``with UsageSampler({"rasa": pid, ...}) as sampler: ...`` then ``sampler.usage``."""

    def __init__(self, pids: Dict[str, int], interval_s: float = 0.5) -> None:
        self._pids = pids
        self._interval = interval_s
        self._peak_rss: Dict[str, int] = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.usage: Dict[str, Usage] = {}

    def _sample(self) -> None:
        while not self._stop.wait(self._interval):
            for name, pid in self._pids.items():
                self._peak_rss[name] = max(self._peak_rss[name], _rss_bytes(_tree(pid)))

    def __enter__(self) -> UsageSampler:
        self._started = time.monotonic()
        self._cpu_at_start = {name: _cpu_seconds(_tree(pid)) for name, pid in self._pids.items()}
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        elapsed = time.monotonic() - self._started
        self._stop.set()
        self._thread.join()
        for name, pid in self._pids.items():
            tree = _tree(pid)
            peak = max(self._peak_rss[name], _rss_bytes(tree))
            busy = _cpu_seconds(tree) - self._cpu_at_start[name]
            self.usage[name] = Usage(100 * busy / elapsed if elapsed else 0.0, peak / 2**20)
