"""Start the bot's processes together (``make run``) and stop them cleanly.

``Service`` is one child process with a health URL; ``Stack`` is the reference
order & billing service (unless ORDERS_API_URL and BILLING_API_URL point
elsewhere), the action server and the Rasa server. Tests use both to run the
same processes on their own ports.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

from bot.profiles import (
    PROFILES,
    ProductionSettings,
    ServiceMissing,
    production_environment,
    render_endpoints,
    with_action_server,
)

ROOT = Path(__file__).resolve().parents[1]

# Rasa reports telemetry and crashes to the internet unless told not to.
QUIET_OFFLINE_ENV = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (tests and benchmarks run beside `make run`)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class StartupError(RuntimeError):
    """A server did not come up; the message names it and points to its log."""


def api_flags(environ: Dict[str, str]) -> List[str]:
    """Rasa's HTTP API is opened only behind a token and/or a JWT secret from the environment."""
    flags = []
    if environ.get("RASA_AUTH_TOKEN"):
        flags += ["--auth-token", environ["RASA_AUTH_TOKEN"]]
    if environ.get("RASA_JWT_SECRET"):
        flags += ["--jwt-secret", environ["RASA_JWT_SECRET"], "--jwt-method", "HS256"]
    return ["--enable-api", *flags] if flags else []


@dataclass
class Service:
    """One child process, its log file and the URL that answers when it is up."""

    name: str
    command: List[str]
    health_url: str
    log_dir: Path
    env: Dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def log(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self) -> Service:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONPATH": str(ROOT), **QUIET_OFFLINE_ENV, **self.env}
        with open(self.log, "ab") as handle:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def wait_until_up(self, deadline: float) -> None:
        assert self.process is not None, "start() first"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StartupError(f"{self.name} exited with code {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.health_url, timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        raise StartupError(f"{self.name} did not answer at {self.health_url} in time; see {self.log}")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


def reference_service(host: str, port: int, database: str, seed: Path, log_dir: Path, reset: bool = True,
                      env: Dict[str, str] | None = None) -> Service:  # fmt: skip
    command = [
        sys.executable,
        "-m",
        "reference_service",
        "--seed",
        str(seed),
        "--database",
        database,
        "--host",
        host,
        "--port",
        str(port),
    ]
    return Service("reference", command + (["--reset"] if reset else []), f"http://{host}:{port}/health", log_dir,
                   dict(env or {}))  # fmt: skip


# Rasa keeps its connections to the action server (bot/rasa_patches/pooled_endpoints.py) and drops them after
# 2 s idle, counted from when its event loop got round to the response. Under overload that is seconds after
# the action server sent it, so with Sanic's 5 s keep-alive the server could close a connection Rasa was about
# to reuse. The server keeps idle connections far longer than Rasa would ever reuse one.
ACTION_SERVER_KEEP_ALIVE_S = 75


def action_server(host: str, port: int, log_dir: Path, env: Dict[str, str], workers: int = 1) -> Service:
    # SANIC_HOST: rasa-sdk listens on every interface unless told otherwise.
    command = [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
    keep_alive = os.environ.get("SANIC_KEEP_ALIVE_TIMEOUT") or str(ACTION_SERVER_KEEP_ALIVE_S)
    service_env = {"SANIC_KEEP_ALIVE_TIMEOUT": keep_alive, **env, "SANIC_HOST": host,
                   "ACTION_SERVER_SANIC_WORKERS": str(workers)}  # fmt: skip
    return Service("actions", command, f"http://{host}:{port}/health", log_dir, service_env)


STOCK_TRACKER_STORE = "SQL"  # Rasa's own SQL tracker store, for the benchmark's stock variant


def write_embedded_endpoints(path: Path, actions_url: str, trackers_db: Path, tracker_store: str = "") -> Path:
    """An embedded-profile endpoints file for processes on their own ports and SQLite file (tests and
    benchmarks run beside `make run` without sharing its databases), with the tracker store class the
    project's endpoints.yml names unless ``tracker_store`` says otherwise."""
    import yaml

    project = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8")) or {}
    kind = tracker_store or project["tracker_store"]["type"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'action_endpoint:\n  url: "{actions_url}/webhook"\n'
        f'tracker_store:\n  type: "{kind}"\n  dialect: sqlite\n  db: "{trackers_db}"\n',
        encoding="utf-8",
    )
    return path


def tracker_database_url(endpoints: Path) -> str:
    """The SQLite tracker store an embedded endpoints file names, as a URL (a relative path is Rasa's, from ROOT)."""
    import yaml

    store = (yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}).get("tracker_store") or {}
    if store.get("dialect", "sqlite") != "sqlite" or not store.get("db"):
        raise StartupError(f"{endpoints}: the embedded profile's analytics feed reads a SQLite tracker store")
    path = Path(str(store["db"]))
    return f"sqlite:///{path if path.is_absolute() else ROOT / path}"


def check_workers(profile: str, rasa_workers: int, action_workers: int) -> None:
    """Several Rasa workers need a lock store they share: only the production profile has one."""
    if rasa_workers < 1 or action_workers < 1:
        raise StartupError("worker counts must be at least 1")
    if rasa_workers > 1 and profile != "production":
        raise StartupError(
            "several Rasa workers need the Redis lock store: use --profile production (PROFILE=production)"
        )


@dataclass
class StackConfig:
    model: Path = ROOT / "models" / "triage.tar.gz"
    endpoints: Path = ROOT / "endpoints.yml"
    credentials: Path = ROOT / "credentials.yml"
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_port: int = 5055
    reference_port: int = 5100
    reference_database: str = f"sqlite:///{ROOT / 'var' / 'reference.db'}"
    desk_port: int = 5300
    analytics_port: int = 5400
    # The local mail server (mailcatcher) the e-mail channel sends to when no SMTP server is configured: its
    # SMTP and web ports, or None to run without it (the e-mail channel then answers 503 until EMAIL_FROM is set).
    mail_smtp_port: int | None = None
    mail_http_port: int | None = None
    mail_database: str = f"sqlite:///{ROOT / 'var' / 'mail.db'}"
    handoff_database: str = f"sqlite:///{ROOT / 'var' / 'handoff.db'}"
    # Failed proofs and e-mails sent, shared by every action-server worker (production: Redis).
    limits_database: str = f"sqlite:///{ROOT / 'var' / 'limits.db'}"
    seed: Path = ROOT / "seeds" / "demo.yml"
    log_dir: Path = ROOT / "var" / "log"
    env: Dict[str, str] = field(default_factory=dict)
    startup_timeout: float = 180.0
    # "embedded" (SQLite, in-memory locks) or "production" (PostgreSQL, Redis, RabbitMQ)
    profile: str = "embedded"
    database_prefix: str = "triage"
    # Rasa server processes sharing one port (Sanic workers; production profile only)
    # and action server processes, scaled independently (docs/deploy.md).
    rasa_workers: int = 1
    action_workers: int = 1
    # The project's Rasa patches (bot/rasa_patches), applied by bot/rasa_cli.py; off only to measure stock Rasa.
    rasa_patches: bool = True


class Stack:
    """Reference service (when used), action server and Rasa server."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.services: Dict[str, Service] = {}
        self.local_mail = False

    @property
    def rasa_url(self) -> str:
        return f"http://{self.config.host}:{self.config.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://{self.config.host}:{self.config.actions_port}"

    @property
    def reference_url(self) -> str:
        return f"http://{self.config.host}:{self.config.reference_port}"

    @property
    def desk_url(self) -> str:
        return f"http://{self.config.host}:{self.config.desk_port}"

    @property
    def rest_headers(self) -> Dict[str, str]:
        """What a site's backend sends with every REST call (the webhook is behind REST_API_KEY)."""
        return {"Authorization": f"Bearer {self.environment.get('REST_API_KEY', '')}"}

    @property
    def environment(self) -> Dict[str, str]:
        return {**os.environ, **self.config.env}

    def uses_reference_service(self) -> bool:
        """The embedded reference service runs unless both backends point elsewhere."""
        return not (self.environment.get("ORDERS_API_URL") and self.environment.get("BILLING_API_URL"))

    def start(self) -> Stack:
        cfg = self.config
        check_workers(cfg.profile, cfg.rasa_workers, cfg.action_workers)
        if not cfg.model.exists():
            raise StartupError(f"no trained model at {cfg.model}; run `make train`")
        # The desk drives Rasa's hand-off gateway, Rasa calls the action server, the actions call the order and
        # billing systems: each behind a secret, generated when not given. Agents sign in with passwords.
        environment = self.environment
        secrets_env = {
            "RASA_AUTH_TOKEN": environment.get("RASA_AUTH_TOKEN") or secrets.token_hex(24),
            "ACTION_SERVER_TOKEN": environment.get("ACTION_SERVER_TOKEN") or secrets.token_hex(24),
            "REST_API_KEY": environment.get("REST_API_KEY") or secrets.token_hex(24),
            "WEBCHAT_SESSION_SECRET": environment.get("WEBCHAT_SESSION_SECRET") or secrets.token_hex(32),
            "DESK_AGENTS": environment.get("DESK_AGENTS") or f"agent:{secrets.token_urlsafe(9)}:supervisor",
        }
        if self.uses_reference_service():
            reference_token = environment.get("REFERENCE_API_TOKEN") or secrets.token_hex(24)
            secrets_env.update(REFERENCE_API_TOKEN=reference_token, ORDERS_API_TOKEN=reference_token,
                               BILLING_API_TOKEN=reference_token)  # fmt: skip
        cfg.env = {**secrets_env, **cfg.env}
        self.local_mail = self.runs_local_mail()  # decided before the e-mail settings it adds name an SMTP host
        if self.local_mail:
            cfg.env = {**self._local_mail_env(), **cfg.env}
        if cfg.profile == "production":
            self._apply_production_profile()
        else:
            cfg.endpoints = with_action_server(cfg.endpoints, self.actions_url, cfg.env["ACTION_SERVER_TOKEN"],
                                               cfg.log_dir / "endpoints.embedded.yml")  # fmt: skip
        cfg.env = {"HANDOFF_DATABASE_URL": environment.get("HANDOFF_DATABASE_URL") or cfg.handoff_database,
                   "LIMITS_DATABASE_URL": environment.get("LIMITS_DATABASE_URL") or cfg.limits_database,
                   **cfg.env}  # fmt: skip
        if self.uses_reference_service():
            self.services["reference"] = reference_service(
                cfg.host, cfg.reference_port, cfg.reference_database, cfg.seed, cfg.log_dir,
                env={"REFERENCE_API_TOKEN": cfg.env["REFERENCE_API_TOKEN"]},
            )  # fmt: skip
            cfg.env = {"ORDERS_API_URL": self.reference_url, "BILLING_API_URL": self.reference_url, **cfg.env}
        self.services["actions"] = action_server(cfg.host, cfg.actions_port, cfg.log_dir, cfg.env, cfg.action_workers)
        rasa_command = [
            sys.executable, "-m", "bot.rasa_cli" if cfg.rasa_patches else "rasa", "run",
            "--model", str(cfg.model), "--endpoints", str(cfg.endpoints), "--credentials", str(cfg.credentials),
            "--interface", cfg.host, "--port", str(cfg.rasa_port),
            *api_flags(self.environment),
        ]  # fmt: skip
        self.services["rasa"] = Service(
            "rasa", rasa_command, f"{self.rasa_url}/", cfg.log_dir, {**cfg.env, "SANIC_WORKERS": str(cfg.rasa_workers)}
        )
        desk_command = [sys.executable, "-m", "handoff.desk", "--host", cfg.host, "--port", str(cfg.desk_port)]
        self.services["desk"] = Service(
            "desk", desk_command, f"{self.desk_url}/health", cfg.log_dir, {"RASA_URL": self.rasa_url, **cfg.env}
        )
        self.services["analytics"] = self._analytics_service()
        if self.local_mail:
            self.services["mail"] = self._mail_service()
        deadline = time.monotonic() + cfg.startup_timeout
        try:
            for service in self.services.values():
                service.start()
            for service in self.services.values():
                service.wait_until_up(deadline)
        except StartupError:
            self.stop()
            raise
        return self

    @property
    def mail_url(self) -> str | None:
        """The local mail server's page, with its token; None when it does not run."""
        if not self.local_mail:
            return None
        return f"http://{self.config.host}:{self.config.mail_http_port}/?token={self.config.env['MAILCATCHER_TOKEN']}"

    def runs_local_mail(self) -> bool:
        """Embedded, with ports for it, and no SMTP server of the operator's own (EMAIL_SMTP_HOST)."""
        cfg = self.config
        return (
            cfg.mail_smtp_port is not None
            and cfg.mail_http_port is not None
            and not (self.environment.get("EMAIL_SMTP_HOST") or cfg.profile == "production")
        )

    def _local_mail_env(self) -> Dict[str, str]:
        """The e-mail channel pointed at the local mail server: a newcomer sees real e-mails with no setup."""
        environment = self.environment
        return {
            "EMAIL_FROM": environment.get("EMAIL_FROM") or "Shop Support <support@shop.example>",
            "EMAIL_SMTP_HOST": self.config.host,
            "EMAIL_SMTP_PORT": str(self.config.mail_smtp_port),
            "EMAIL_SMTP_SECURITY": "none",  # loopback only (bot/channels/email_settings.py refuses it elsewhere)
            "EMAIL_WEBHOOK_SIGNING_KEY": environment.get("EMAIL_WEBHOOK_SIGNING_KEY") or secrets.token_hex(24),
            "EMAIL_PUBLIC_URL": environment.get("EMAIL_PUBLIC_URL") or self.rasa_url,
            "MAILCATCHER_TOKEN": environment.get("MAILCATCHER_TOKEN") or secrets.token_hex(16),
        }

    def _mail_service(self) -> Service:
        from mailcatcher.server import command, health_url

        cfg = self.config
        assert cfg.mail_smtp_port is not None and cfg.mail_http_port is not None
        return Service("mail", command(cfg.host, cfg.mail_smtp_port, cfg.mail_http_port, cfg.mail_database),
                       health_url(cfg.host, cfg.mail_http_port), cfg.log_dir,
                       {"MAILCATCHER_TOKEN": cfg.env["MAILCATCHER_TOKEN"]})  # fmt: skip

    def _analytics_service(self) -> Service:
        """What keeps the analytics store up to date (docs/analytics.md): production, a consumer of the RabbitMQ
        event stream; embedded, the same ingest fed from the SQLite tracker store."""
        cfg = self.config
        where = ["--host", cfg.host, "--port", str(cfg.analytics_port)]
        if cfg.profile == "production":
            command = [sys.executable, "-m", "analytics.consumer", *where]
        else:
            command = [sys.executable, "-m", "analytics.feed", "--tracker-url", tracker_database_url(cfg.endpoints),
                       *where]  # fmt: skip
        health = f"http://{cfg.host}:{cfg.analytics_port}/health"
        return Service("analytics", command, health, cfg.log_dir, cfg.env)

    def _apply_production_profile(self) -> None:
        cfg = self.config
        settings = ProductionSettings.from_env(self.environment)
        production = production_environment(settings, cfg.database_prefix, f"{self.actions_url}/webhook")
        cfg.env = {**production, **cfg.env}
        cfg.endpoints = render_endpoints(
            ROOT / "endpoints.production.yml", cfg.env, cfg.log_dir / f"endpoints.{cfg.database_prefix}.yml"
        )
        cfg.reference_database = cfg.env["REFERENCE_DATABASE_URL"]
        cfg.handoff_database = cfg.env["HANDOFF_DATABASE_URL"]

    def stop(self) -> None:
        for service in reversed(list(self.services.values())):
            service.stop()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop_cleanly_on_sigterm() -> None:
    """`kill` (SIGTERM) unwinds like Ctrl-C, so every started server is stopped, none orphaned."""
    signal.signal(signal.SIGTERM, _interrupt)


def parse_config(argv: List[str] | None = None) -> StackConfig:
    """The command line and its environment defaults (PROFILE, RASA_WORKERS, ...) as a StackConfig."""
    parser = argparse.ArgumentParser(description="Run the support triage bot")
    parser.add_argument("--rasa-port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument("--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055)))
    parser.add_argument("--reference-port", type=int, default=int(os.environ.get("REFERENCE_PORT", 5100)))
    parser.add_argument("--desk-port", type=int, default=int(os.environ.get("DESK_PORT", 5300)))
    parser.add_argument("--analytics-port", type=int, default=int(os.environ.get("ANALYTICS_PORT", 5400)))
    parser.add_argument("--mail-smtp-port", type=int, default=int(os.environ.get("MAIL_SMTP_PORT", 2525)))
    parser.add_argument("--mail-http-port", type=int, default=int(os.environ.get("MAIL_HTTP_PORT", 5500)))
    parser.add_argument("--profile", choices=PROFILES, default=os.environ.get("PROFILE") or "embedded")
    parser.add_argument("--rasa-workers", type=int, default=int(os.environ.get("RASA_WORKERS", 1)),
                        help="Rasa server processes on the one port (production profile only)")  # fmt: skip
    parser.add_argument("--action-workers", type=int, default=int(os.environ.get("ACTION_WORKERS", 1)),
                        help="action server processes")  # fmt: skip
    args = parser.parse_args(argv)
    return StackConfig(
        rasa_port=args.rasa_port, actions_port=args.actions_port, reference_port=args.reference_port,
        desk_port=args.desk_port, analytics_port=args.analytics_port, profile=args.profile,
        mail_smtp_port=args.mail_smtp_port, mail_http_port=args.mail_http_port,
        rasa_workers=args.rasa_workers,
        action_workers=args.action_workers,
    )  # fmt: skip


def main(argv: List[str] | None = None) -> int:
    config = parse_config(argv)
    (ROOT / "var").mkdir(exist_ok=True)
    stop_cleanly_on_sigterm()
    stack = Stack(config)
    print(
        f"Starting the reference order & billing service, the action server and Rasa "
        f"({config.profile} profile, {config.rasa_workers} Rasa worker(s); about 20 s)...",
        flush=True,
    )
    try:
        stack.start()
    except (StartupError, ServiceMissing) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    env = stack.environment
    token_source = "yours" if os.environ.get("RASA_AUTH_TOKEN") else f"generated: {env['RASA_AUTH_TOKEN']}"
    agents = ", ".join(
        f"{name} / {password.removesuffix(':supervisor').removesuffix(':agent')}"
        for name, _, password in (entry.partition(":") for entry in env["DESK_AGENTS"].split(","))
    )
    mail = stack.mail_url or "sent through your SMTP server (EMAIL_SMTP_HOST)"
    print(
        f"\nThe bot is ready.\n"
        f"  Talk to it:   curl -s {stack.rasa_url}/webhooks/rest/webhook -H 'Content-Type: application/json' \\\n"
        f"                  -H 'Authorization: Bearer {env['REST_API_KEY']}' \\\n"
        f'                  -d \'{{"sender": "me", "message": "where is my order 10023?"}}\'\n'
        f"  Web chat:     {stack.rasa_url}/chat\n"
        f"  Agent desk:   {stack.desk_url}/desk  (sign in: {agents})\n"
        f"  Reports:      {stack.desk_url}/desk/reports  (supervisors; `make report` writes them to results/)\n"
        f"  E-mail:       {mail}  (what the bot e-mails; docs/email.md)\n"
        f"  HTTP API:     on, behind the token in RASA_AUTH_TOKEN ({token_source})\n"
        f"  Backends:     orders {env.get('ORDERS_API_URL')}, billing {env.get('BILLING_API_URL')}\n"
        f"  Logs:         {stack.config.log_dir}/<service>.log\n"
        f"Press Ctrl-C to stop.",
        flush=True,
    )
    try:
        while all(service.running() for service in stack.services.values()):
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
