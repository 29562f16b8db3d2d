"""Run the agent desk.

DESK_AGENTS=alice:secret RASA_AUTH_TOKEN=... python -m handoff.desk --port 5300
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import socket
import sys

from analytics.review import known_intents
from analytics.runtime import analytics_store
from analytics.settings import settings as analytics_settings
from handoff.desk.app import create_app
from handoff.desk.auth import AgentConfigError, Agents
from handoff.desk.insights import Insights
from handoff.rasa_gateway import RasaGateway
from handoff.runtime import ticket_store
from handoff.service import DeskService
from handoff.settings import settings
from privacy import logs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Agent desk for the support triage bot")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DESK_PORT", 5300)))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logs.install()
    token = os.environ.get("RASA_AUTH_TOKEN")
    if not token:
        print(
            "error: RASA_AUTH_TOKEN must be set (the desk reaches conversations through the Rasa server's "
            "/webhooks/handoff gateway with it)",
            file=sys.stderr,
        )
        return 2
    try:
        agents = Agents.from_spec(os.environ.get("DESK_AGENTS", ""))
    except AgentConfigError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    secret = (os.environ.get("DESK_SESSION_SECRET") or secrets.token_hex(32)).encode()
    rasa_url = os.environ.get("RASA_URL", "http://127.0.0.1:5005")
    try:
        with socket.create_server((args.host, args.port)):
            pass  # Sanic would only log that it cannot listen, and exit 0
    except OSError as taken:
        print(f"error: cannot listen on {args.host}:{args.port}: {taken.strerror}", file=sys.stderr)
        return 1
    config = settings()
    service = DeskService(ticket_store(), RasaGateway(rasa_url, token), notify=bool(config.webhook.url))
    insights = Insights(analytics_store().engine, analytics_settings(), config, known_intents())
    app = create_app(service, agents, secret, config, insights=insights)
    app.run(host=args.host, port=args.port, access_log=False, workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
