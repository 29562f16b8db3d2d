"""Run mailcatcher (docs/mailcatcher.md).

python -m mailcatcher --host 127.0.0.1 --smtp-port 2525 --http-port 5500 --database sqlite:///var/mail.db
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import signal
import sys
from dataclasses import replace
from typing import List

from mailcatcher.server import PortTaken, Sockets, bind, serve
from mailcatcher.settings import Settings, SettingsError, from_env
from mailcatcher.store import MessageStore
from privacy import logs


def parse_settings(argv: List[str] | None) -> Settings:
    defaults = from_env()
    parser = argparse.ArgumentParser(description="Local SMTP server that keeps and checks every message it gets")
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--smtp-port", type=int, default=defaults.smtp_port, help="(MAILCATCHER_SMTP_PORT)")
    parser.add_argument("--http-port", type=int, default=defaults.http_port, help="(MAILCATCHER_HTTP_PORT)")
    parser.add_argument("--database", default=defaults.database_url, help="SQLAlchemy URL (MAILCATCHER_DATABASE_URL)")
    args = parser.parse_args(argv)
    return replace(defaults, host=args.host, smtp_port=args.smtp_port, http_port=args.http_port,
                   database_url=args.database).check()  # fmt: skip


async def run_until_signalled(settings: Settings, token: str, store: MessageStore, sockets: Sockets) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await serve(settings, token, store, sockets, stopping)


def main(argv: List[str] | None = None) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # aiosmtpd logs every connection at INFO, and warns on each one that AUTH needs no TLS: on loopback that
    # is by design (mailcatcher.smtp.protocol_factory).
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    logs.install()
    try:
        settings = parse_settings(argv)
        sockets = bind(settings)
    except (SettingsError, PortTaken) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    token = settings.token or secrets.token_urlsafe(24)
    store = MessageStore(settings.database_url)
    page = f"http://{settings.host}:{sockets.http_port}/"
    # A generated token is printed so the page can be opened; one from MAILCATCHER_TOKEN is the caller's own.
    print(f"mailcatcher: SMTP on {settings.host}:{sockets.smtp_port}, messages at "
          f"{page + '?token=' + token if settings.token is None else page}", flush=True)  # fmt: skip
    try:
        asyncio.run(run_until_signalled(settings, token, store, sockets))
    except SettingsError as problem:  # an unusable TLS certificate or key, found when the SMTP server starts
        print(f"error: {problem}", file=sys.stderr)
        return 1
    finally:
        sockets.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
