"""``python -m mailcatcher``: starting, saying where it is, and refusing a taken port."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest
import requests

from bot.launcher import ROOT, Service, free_port
from mailcatcher.server import command, health_url
from tests.mailcatcher.conftest import UNSET


def run_with_port_taken(tmp_path, which: str) -> subprocess.CompletedProcess:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = {"smtp": port, "http": free_port()} if which == "smtp" else {"smtp": free_port(), "http": port}
        return subprocess.run(command("127.0.0.1", ports["smtp"], ports["http"], f"sqlite:///{tmp_path / 'm.db'}"),
                              cwd=ROOT, timeout=60, capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})  # fmt: skip


@pytest.mark.parametrize("which", ["smtp", "http"])
def test_it_says_so_and_exits_1_when_a_port_is_taken(tmp_path, which):
    result = run_with_port_taken(tmp_path, which)
    assert result.returncode == 1
    assert f"cannot listen for {which.upper()} on 127.0.0.1:" in result.stderr


def test_it_refuses_half_set_credentials(tmp_path):
    result = subprocess.run(
        [*command("127.0.0.1", free_port(), free_port(), f"sqlite:///{tmp_path / 'm.db'}")],
        cwd=ROOT,
        timeout=60,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "MAILCATCHER_SMTP_USER": "bot"},
    )
    assert result.returncode == 1 and "MAILCATCHER_SMTP_PASSWORD" in result.stderr


def test_without_a_token_it_makes_one_and_prints_the_page_address_with_it(tmp_path):
    http_port = free_port()
    service = Service("mailcatcher", command("127.0.0.1", free_port(), http_port, f"sqlite:///{tmp_path / 'm.db'}"),
                      health_url("127.0.0.1", http_port), tmp_path, UNSET)  # fmt: skip
    service.start().wait_until_up(time.monotonic() + 60)
    try:
        deadline = time.monotonic() + 10
        while "token=" not in service.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = next(word for word in service.log.read_text().split() if "?token=" in word)
        assert address.startswith(f"http://127.0.0.1:{http_port}/?token=")
        assert requests.get(address, timeout=10).status_code == 200
        assert requests.get(f"http://127.0.0.1:{http_port}/", timeout=10).status_code == 401
    finally:
        service.stop()
