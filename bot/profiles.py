"""Configuration profiles: ``embedded`` (SQLite, in-memory locks, one process
each) and ``production`` (PostgreSQL, Redis, RabbitMQ). A profile is the
environment the processes get; nothing else changes."""

from __future__ import annotations

import socket
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any, Dict, Iterator, Mapping, Tuple

PROFILES = ("embedded", "production")


class ServiceMissing(RuntimeError):
    """A service the profile needs is not reachable; the message says how to start it."""


@dataclass(frozen=True)
class ProductionSettings:
    postgres: Tuple[str, int] = ("127.0.0.1", 5432)
    postgres_user: str = "postgres"
    postgres_password: str = ""
    redis: Tuple[str, int] = ("127.0.0.1", 6379)
    redis_db: int = 1
    rabbitmq: Tuple[str, int] = ("127.0.0.1", 5672)
    rabbitmq_user: str = "guest"
    rabbitmq_password: str = "guest"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ProductionSettings:
        return cls(
            postgres=(env.get("POSTGRES_HOST", "127.0.0.1"), int(env.get("POSTGRES_PORT", 5432))),
            postgres_user=env.get("POSTGRES_USER", "postgres"),
            postgres_password=env.get("POSTGRES_PASSWORD", ""),
            redis=(env.get("REDIS_HOST", "127.0.0.1"), int(env.get("REDIS_PORT", 6379))),
            redis_db=int(env.get("REDIS_DB", 1)),
            rabbitmq=(env.get("RABBITMQ_HOST", "127.0.0.1"), int(env.get("RABBITMQ_PORT", 5672))),
            rabbitmq_user=env.get("RABBITMQ_USER", "guest"),
            rabbitmq_password=env.get("RABBITMQ_PASSWORD", "guest"),
        )


START_COMMANDS = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no",
    "RabbitMQ": "rabbitmq-server -detached",
}


def require_services(settings: ProductionSettings) -> None:
    """Fail with the command that starts whatever is missing."""
    for name, (host, port) in (("PostgreSQL", settings.postgres), ("Redis", settings.redis),
                               ("RabbitMQ", settings.rabbitmq)):  # fmt: skip
        try:
            with socket.create_connection((host, port), timeout=2):
                pass
        except OSError:
            raise ServiceMissing(
                f"{name} is not reachable at {host}:{port}; start it with: {START_COMMANDS[name]}"
            ) from None


def postgres_url(settings: ProductionSettings, database: str) -> str:
    host, port = settings.postgres
    auth = settings.postgres_user + (f":{settings.postgres_password}" if settings.postgres_password else "")
    return f"postgresql://{auth}@{host}:{port}/{database}"


# The databases a production profile uses, each named ``<prefix>_<kind>``.
DATABASE_KINDS = ("trackers", "handoff", "reference", "channels")


@contextmanager
def admin_cursor(settings: ProductionSettings) -> Iterator[Any]:
    """A cursor on the server's ``postgres`` database, outside any transaction
    (CREATE and DROP DATABASE cannot run inside one)."""
    import psycopg2

    host, port = settings.postgres
    connection = psycopg2.connect(host=host, port=port, user=settings.postgres_user,
                                  password=settings.postgres_password or None, dbname="postgres")  # fmt: skip
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def ensure_database(settings: ProductionSettings, database: str) -> None:
    """CREATE DATABASE when it does not exist yet (the stores create their tables)."""
    with admin_cursor(settings) as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{database}"')


def production_environment(settings: ProductionSettings, prefix: str, actions_url: str) -> Dict[str, str]:
    """Everything the processes need for the production profile; databases named ``<prefix>_*``."""
    require_services(settings)
    names = {kind: f"{prefix}_{kind}" for kind in DATABASE_KINDS}
    for database in names.values():
        ensure_database(settings, database)
    return {
        "ACTION_SERVER_URL": actions_url,
        "POSTGRES_HOST": settings.postgres[0], "POSTGRES_PORT": str(settings.postgres[1]),
        "POSTGRES_USER": settings.postgres_user, "POSTGRES_PASSWORD": settings.postgres_password,
        "TRACKER_DATABASE": names["trackers"],
        "REDIS_HOST": settings.redis[0], "REDIS_PORT": str(settings.redis[1]), "REDIS_DB": str(settings.redis_db),
        "RABBITMQ_HOST": settings.rabbitmq[0], "RABBITMQ_PORT": str(settings.rabbitmq[1]),
        "RABBITMQ_USER": settings.rabbitmq_user, "RABBITMQ_PASSWORD": settings.rabbitmq_password,
        "RABBITMQ_QUEUE": f"{prefix}_events",
        "RABBITMQ_ANALYTICS_QUEUE": f"{prefix}_analytics",  # the analytics consumer's own (analytics/consumer.py)
        "RABBITMQ_EXCHANGE": f"{prefix}_exchange",  # one per deployment: no other stack's events in its queue
        # A Rasa worker that dies holding a conversation's lock blocks that conversation
        # until the lock expires (Rasa's default: 60 s). 20 s still exceeds a turn whose
        # backend read times out on every try (3 x 4 s with the default BACKEND_* settings).
        "TICKET_LOCK_LIFETIME": "20",
        # socket.io rooms shared by every Rasa worker, so an agent's message reaches a
        # web-chat customer whichever worker holds their socket.
        "SOCKETIO_REDIS_URL": f"redis://{settings.redis[0]}:{settings.redis[1]}/{settings.redis_db}",
        # Limits on failed proofs and e-mails, shared by every action-server worker and machine.
        "LIMITS_REDIS_URL": f"redis://{settings.redis[0]}:{settings.redis[1]}/{settings.redis_db}",
        "LIMITS_NAMESPACE": prefix,  # one Redis may serve several deployments
        "HANDOFF_DATABASE_URL": postgres_url(settings, names["handoff"]),
        "REFERENCE_DATABASE_URL": postgres_url(settings, names["reference"]),
        "CHANNELS_DATABASE_URL": postgres_url(settings, names["channels"]),
    }  # fmt: skip


def with_action_server(endpoints: Path, actions_url: str, token: str, destination: Path) -> Path:
    """A copy of an embedded-profile endpoints file whose action endpoint is ``actions_url`` (``ACTIONS_PORT``
    moves the action server; Rasa must call it there) with the action server's credential."""
    import yaml

    config = yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}
    action = config.get("action_endpoint") or {}
    headers = {**(action.get("headers") or {}), "Authorization": f"Bearer {token}"}
    config["action_endpoint"] = {**action, "url": f"{actions_url}/webhook", "headers": headers}
    return _write_private(destination, yaml.safe_dump(config, sort_keys=False))


def _write_private(destination: Path, text: str) -> Path:
    """Endpoints files hold secrets: readable by this user only."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.touch(mode=0o600)
    destination.chmod(0o600)
    destination.write_text(text, encoding="utf-8")
    return destination


def render_endpoints(template: Path, values: Mapping[str, str], destination: Path) -> Path:
    """Fill ``${VAR}`` in the endpoints template (Rasa 3.6 does not expand every field itself)."""
    return _write_private(destination, Template(template.read_text(encoding="utf-8")).substitute(values))


def drop_production_state(settings: ProductionSettings, prefix: str) -> None:
    """Remove what ``production_environment(settings, prefix, ...)`` created: the ``<prefix>_*`` databases, the
    ``<prefix>_events`` and ``<prefix>_analytics`` queues and their exchange, its limit keys in Redis (tests and
    benchmarks clean up after themselves; an abandoned queue keeps collecting every event)."""
    import asyncio

    import aio_pika

    with admin_cursor(settings) as cursor:
        for kind in DATABASE_KINDS:
            cursor.execute(f'DROP DATABASE IF EXISTS "{prefix}_{kind}" WITH (FORCE)')

    async def delete_queue() -> None:
        rabbit_host, rabbit_port = settings.rabbitmq
        url = f"amqp://{settings.rabbitmq_user}:{settings.rabbitmq_password}@{rabbit_host}:{rabbit_port}/"
        broker = await aio_pika.connect(url)
        async with broker:
            channel = await broker.channel()
            await channel.queue_delete(f"{prefix}_events")
            await channel.queue_delete(f"{prefix}_analytics")
            await channel.exchange_delete(f"{prefix}_exchange")

    asyncio.run(delete_queue())

    import redis

    from actions.limits.store import key_prefix

    client = redis.Redis(host=settings.redis[0], port=settings.redis[1], db=settings.redis_db)
    try:
        for name in client.scan_iter(match=key_prefix(prefix) + "*"):
            client.delete(name)
    finally:
        client.close()
