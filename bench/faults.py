"""Faults injected while the reliability load runs. Each one takes a real
process or service down and brings it back; every step is timed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from typing import Callable, Dict, Tuple

import psutil

from bot.profiles import START_COMMANDS


@dataclass(frozen=True)
class FaultRecord:
    name: str
    started_s: float  # since the load started
    restored_s: float  # when the service answered again (or the kill was done)
    detail: str


def wait_for_port(address: Tuple[str, int], limit_s: float = 90.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(address, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{address[0]}:{address[1]} did not come back within {limit_s:.0f} s")


def wait_until_closed(address: Tuple[str, int], limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(address, timeout=1):
                time.sleep(0.2)
        except OSError:
            return


def shell(command: str) -> None:
    subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_rasa_worker(rasa_pid: int) -> str:
    """SIGKILL one Sanic worker of the Rasa server: no clean shutdown, locks left held."""
    workers = psutil.Process(rasa_pid).children()
    if len(workers) < 2:
        raise RuntimeError(f"expected several Rasa workers under pid {rasa_pid}, found {len(workers)}")
    victim = workers[-1].pid
    os.kill(victim, signal.SIGKILL)
    return f"killed worker pid {victim}; {len(workers) - 1} left"


def restart_redis(port: int = 6379, down_s: float = 3.0) -> str:
    shell(f"redis-cli -p {port} shutdown nosave")
    wait_until_closed(("127.0.0.1", port))
    time.sleep(down_s)
    shell(START_COMMANDS["Redis"])
    wait_for_port(("127.0.0.1", port))
    return f"Redis down for {down_s:.0f} s, restarted empty (locks lost)"


def restart_rabbitmq(port: int = 5672) -> str:
    shell("rabbitmqctl stop")
    wait_until_closed(("127.0.0.1", port))
    shell(START_COMMANDS["RabbitMQ"])
    wait_for_port(("127.0.0.1", port))
    return "RabbitMQ node stopped and started"


def pause_postgres(port: int = 5432, down_s: float = 5.0) -> str:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    shell(f"pg_ctlcluster --skip-systemctl-redirect {version} main stop -m fast")
    time.sleep(down_s)
    shell(f"pg_ctlcluster --skip-systemctl-redirect {version} main start")
    wait_for_port(("127.0.0.1", port))
    return f"PostgreSQL stopped (fast: connections cut) for {down_s:.0f} s, then started"


def fault_actions(rasa_pid: int) -> Dict[str, Callable[[], str]]:
    return {
        "kill_rasa_worker": lambda: kill_rasa_worker(rasa_pid),
        "restart_redis": restart_redis,
        "restart_rabbitmq": restart_rabbitmq,
        "pause_postgres": pause_postgres,
    }
