"""Start the action server and the Rasa server together (``make run``).

Waits until both answer, prints where to talk to the bot, and stops both on
Ctrl-C. Tests use ``Stack`` to run the same processes on their own ports.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parents[1]


# Rasa reports telemetry and crashes to the internet unless told not to.
QUIET_OFFLINE_ENV = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


class StartupError(RuntimeError):
    """A server did not come up; the message names it and points to its log."""


@dataclass
class StackConfig:
    model: Path = ROOT / "models" / "triage.tar.gz"
    endpoints: Path = ROOT / "endpoints.yml"
    credentials: Path = ROOT / "credentials.yml"
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_port: int = 5055
    log_dir: Path = ROOT / "var" / "log"
    env: Dict[str, str] = field(default_factory=dict)
    startup_timeout: float = 180.0


def api_flags(environ: Dict[str, str]) -> List[str]:
    """Rasa's HTTP API is opened only behind a token or a JWT secret from the environment."""
    if environ.get("RASA_AUTH_TOKEN"):
        return ["--enable-api", "--auth-token", environ["RASA_AUTH_TOKEN"]]
    if environ.get("RASA_JWT_SECRET"):
        return ["--enable-api", "--jwt-secret", environ["RASA_JWT_SECRET"], "--jwt-method", "HS256"]
    return []


def _wait_until_up(url: str, process: subprocess.Popen, name: str, log: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartupError(f"{name} exited with code {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.5)
    raise StartupError(f"{name} did not answer at {url} in time; see {log}")


class Stack:
    """The action server and the Rasa server as child processes."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: List[subprocess.Popen] = []

    @property
    def rasa_url(self) -> str:
        return f"http://{self.config.host}:{self.config.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://{self.config.host}:{self.config.actions_port}"

    def _spawn(self, name: str, command: List[str]) -> tuple[subprocess.Popen, Path]:
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.config.log_dir / f"{name}.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT), **QUIET_OFFLINE_ENV, **self.config.env}
        with open(log, "ab") as handle:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)
        return process, log

    def start(self) -> Stack:
        if not self.config.model.exists():
            raise StartupError(f"no trained model at {self.config.model}; run `make train`")
        cfg = self.config
        deadline = time.monotonic() + cfg.startup_timeout
        env = {**os.environ, **cfg.env}
        actions, actions_log = self._spawn(
            "actions",
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(cfg.actions_port)],
        )
        rasa, rasa_log = self._spawn(
            "rasa",
            [
                sys.executable,
                "-m",
                "rasa",
                "run",
                "--model",
                str(cfg.model),
                "--endpoints",
                str(cfg.endpoints),
                "--credentials",
                str(cfg.credentials),
                "--interface",
                cfg.host,
                "--port",
                str(cfg.rasa_port),
                *api_flags(env),
            ],
        )
        try:
            _wait_until_up(f"{self.actions_url}/health", actions, "action server", actions_log, deadline)
            _wait_until_up(f"{self.rasa_url}/", rasa, "Rasa server", rasa_log, deadline)
        except StartupError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the support triage bot")
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument("--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055)))
    args = parser.parse_args(argv)
    (ROOT / "var").mkdir(exist_ok=True)
    stack = Stack(StackConfig(rasa_port=args.rasa_port, actions_port=args.actions_port))
    print("Starting the action server and the Rasa server (about 20 s)...", flush=True)
    try:
        stack.start()
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    webhook = f"{stack.rasa_url}/webhooks/rest/webhook"
    api = "enabled (token from RASA_AUTH_TOKEN / RASA_JWT_SECRET)" if api_flags(dict(os.environ)) else "off"
    print(
        f"\nThe bot is ready.\n"
        f"  Talk to it:   curl -s {webhook} -H 'Content-Type: application/json' \\\n"
        f'                  -d \'{{"sender": "me", "message": "where is my order 10023?"}}\'\n'
        f"  HTTP API:     {api} (see README: Rasa HTTP API)\n"
        f"  Logs:         var/log/rasa.log, var/log/actions.log\n"
        f"Press Ctrl-C to stop.",
        flush=True,
    )
    try:
        while all(p.poll() is None for p in stack.processes):
            time.sleep(1)
        print("error: a server stopped unexpectedly; see var/log/", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
