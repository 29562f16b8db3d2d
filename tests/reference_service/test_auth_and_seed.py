"""Bearer-token protection and seed-file errors, with real processes."""

from __future__ import annotations

import subprocess
import sys
import time

import requests

from bot.launcher import ROOT, reference_service
from tests.conftest import SEED, free_port


def test_a_token_protects_everything_but_health(tmp_path):
    port = free_port()
    service = reference_service("127.0.0.1", port, f"sqlite:///{tmp_path / 'r.db'}", SEED, tmp_path)
    service.env = {"REFERENCE_API_TOKEN": "s3cret"}
    service.start().wait_until_up(time.monotonic() + 60)
    try:
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/orders/10023", timeout=5).status_code == 401
        ok = requests.get(f"{base}/orders/10023", headers={"Authorization": "Bearer s3cret"}, timeout=5)
        assert ok.status_code == 200
    finally:
        service.stop()


def test_a_broken_seed_file_is_reported_clearly(tmp_path):
    broken = tmp_path / "seed.yml"
    broken.write_text("orders: [}")
    result = subprocess.run(
        [sys.executable, "-m", "reference_service", "--seed", str(broken), "--database", f"sqlite:///{tmp_path}/x.db"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "cannot read seed file" in result.stderr


def test_the_service_refuses_to_start_without_a_credential(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k != "REFERENCE_API_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "reference_service", "--database", f"sqlite:///{tmp_path}/x.db",
                             "--port", str(free_port())], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 2 and "REFERENCE_API_TOKEN must be set" in result.stderr
