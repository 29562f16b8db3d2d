"""The desk's Reports page (supervisors) and Review page (conversation designers), and the JSON API behind them.

Both read the analytics store (analytics/), which shares the hand-off database; every query runs off the event
loop. handoff/desk/access.py says who may call what; this module only answers.

    GET  /desk/api/reports?from=YYYY-MM-DD&to=…&channel=…&intent=…&queue=…   the report (docs/analytics.md)
    GET  /desk/api/reports.csv?…                                         the same figures as CSV
    GET  /desk/api/reports/options, /desk/api/review/options            what the filters can be set to
    GET  /desk/api/review?from=…&to=…&channel=…&contains=…&limit=…       missed messages, grouped
    GET  /desk/api/review/messages/<event_id>/conversation                the conversation a message was in
    POST /desk/api/review/messages/<event_id>/label  {"intent": …}        the intent it should have had
    GET  /desk/api/review/suggestions.yml                                 the labels as Rasa NLU data
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Callable, Coroutine, Dict, FrozenSet, List, Tuple
from zoneinfo import ZoneInfo

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import distinct, select
from sqlalchemy.engine import Engine

from analytics.report import BadFilter, compute, parse_filter, to_csv
from analytics.review import (
    ROOT,
    BadLabel,
    UnknownMessage,
    is_missed,
    label_message,
    missed_groups,
    suggestions_yaml,
)
from analytics.settings import AnalyticsSettings
from analytics.tables import Base as AnalyticsBase
from analytics.tables import ConversationRow, MessageRow
from handoff.desk.auth import Role
from handoff.gateway import ConversationGateway, GatewayUnavailable
from handoff.settings import HandoffSettings
from handoff.ticket import transcript_from_events
from privacy.redaction import mask_contact_details

logger = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
FILTERS = ("from", "to", "channel", "intent", "queue")
MAX_GROUPS = 200
MAX_SEARCH = 200
EVENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")
# The pages and their scripts hold no data: they load for anyone, and ask the API (which checks) for the rest.
PAGES = {"/desk/reports": "reports.html", "/desk/review": "review.html"}
SCRIPTS = {"/desk/reports.js": "reports.js", "/desk/review.js": "review.js"}
STYLES = {"/desk/pages.css": "pages.css"}
CHART_JS = ROOT / "web" / "node_modules" / "chart.js" / "dist" / "chart.umd.js"
VENDOR = {"/desk/vendor/chart.umd.js": CHART_JS}  # Chart.js, installed by npm (web/package.json), served here
OPEN_PATHS = frozenset({*PAGES, *SCRIPTS, *STYLES, *VENDOR})

Problem = Callable[..., HTTPResponse]
WORKERS = 2  # reports and reviews at once; the desk's own pool stays free for tickets, sign-in and delivery
MAX_WAITING = 4  # asked for beyond these, a caller hears "busy" (429) rather than queueing without end
CACHE_SECONDS = 15.0  # the same figures asked for again (a page reloaded, two supervisors) are not recomputed
CACHE_ENTRIES = 64


class Busy(RuntimeError):
    """Too many reports and reviews are being computed; the caller should try again shortly."""


class InsightRunner:
    """Runs the pages' database work on a small pool of its own, so a burst of heavy reports or reviews never
    takes the threads that agents' replies, sign-ins and deliveries run on; answers repeated within
    ``CACHE_SECONDS`` come from memory (a label clears the review's)."""

    def __init__(self, workers: int = WORKERS, max_waiting: int = MAX_WAITING) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="insights")
        self.max_waiting = max_waiting
        self.in_hand = 0
        self.cache: OrderedDict[Tuple[Any, ...], Tuple[float, Any]] = OrderedDict()

    async def __call__(self, key: Tuple[Any, ...] | None, function: Callable[..., Any], *args: Any) -> Any:
        now = time.monotonic()
        if key is not None and key in self.cache and self.cache[key][0] > now:
            return self.cache[key][1]
        if self.in_hand >= self.max_waiting:
            raise Busy("the desk is computing other reports; try again in a few seconds")
        self.in_hand += 1
        try:
            value = await asyncio.get_running_loop().run_in_executor(self.pool, partial(function, *args))
        finally:
            self.in_hand -= 1
        if key is not None:
            self.cache[key] = (time.monotonic() + CACHE_SECONDS, value)
            while len(self.cache) > CACHE_ENTRIES:
                self.cache.popitem(last=False)
        return value

    def forget(self, kind: str) -> None:
        for key in [k for k in self.cache if k[0] == kind]:
            del self.cache[key]


@dataclass(frozen=True)
class Insights:
    """What the two pages read: the analytics store and the settings its figures follow."""

    engine: Engine
    analytics: AnalyticsSettings
    handoff: HandoffSettings
    intents: FrozenSet[str]  # the domain's: what a message may be labelled with
    data_dir: Path = ROOT / "data"


def _params(request: Request) -> Dict[str, str | None]:
    return {name: request.args.get(name) for name in FILTERS}


def _today(config: AnalyticsSettings) -> Any:
    return datetime.now(ZoneInfo(config.timezone)).date()


def options(insights: Insights) -> Dict[str, List[str]]:
    """The values the filters offer: channels and first-task intents the store has seen, and the queues."""
    AnalyticsBase.metadata.create_all(insights.engine)
    with insights.engine.connect() as db:
        channels = {c for (c,) in db.execute(select(distinct(ConversationRow.channel))) if c}
        intents = {i for (i,) in db.execute(select(distinct(ConversationRow.first_intent))) if i}
    return {
        "channels": sorted(channels),
        "intents": sorted(intents),
        "queues": sorted(insights.handoff.queues),
        "label_intents": sorted(i for i in insights.intents if i != "nlu_fallback" and not i.startswith("EXTERNAL_")),
    }


def without_customer_ids(found: Dict[str, Any]) -> Dict[str, Any]:
    """The review's groups without the conversation ids (on SMS and RCS the customer's phone): a designer needs
    what was said, and reaches its conversation through the message's own id."""
    for group in found["groups"]:
        group["messages"] = [
            {k: v for k, v in m.items() if k not in ("sender_id", "conversation_key")} for m in group["messages"]
        ]
    return found


def message_conversation(insights: Insights, gateway: ConversationGateway, event_id: str,
                         supervisor: bool) -> Dict[str, Any]:  # fmt: skip
    """The conversation (one session, as analytics counts it) a missed message was in, from the live tracker.
    A designer sees contact details masked (the customer's and any typed in), no agent names and no ticket."""
    AnalyticsBase.metadata.create_all(insights.engine)
    with insights.engine.connect() as db:
        found = db.execute(
            select(MessageRow.sender_id, MessageRow.timestamp, ConversationRow.started_at,
                   ConversationRow.last_event_at, ConversationRow.channel, ConversationRow.ticket_id)
            .select_from(MessageRow.__table__.join(ConversationRow,
                                                   ConversationRow.key == MessageRow.conversation_key))
            .where(MessageRow.event_id == event_id, is_missed())
        ).first()  # fmt: skip
    if found is None:
        raise UnknownMessage(f"no missed customer message has the id {event_id!r}")
    sender_id, at, started, last, channel, ticket_id = found
    events = gateway.conversation(sender_id).events
    events = [e for e in events if started - 1 <= float(e.get("timestamp") or 0) <= last + 1]
    lines = [dict(line.__dict__) for line in transcript_from_events(events)]
    if not supervisor:
        for line in lines:
            line["text"] = mask_contact_details(line["text"])
            line.pop("agent", None)
            line["attachments"] = ()
    return {"event_id": event_id, "customer": sender_id if supervisor else mask_contact_details(sender_id),
            "channel": channel, "ticket_id": ticket_id if supervisor else None, "message_at": at,
            "transcript": lines}  # fmt: skip


def register(app: Sanic, insights: Insights, gateway: ConversationGateway, problem: Problem,
             body_of: Callable[[Request], Dict[str, Any]]) -> None:  # fmt: skip
    """Add the pages and their API to the desk's app."""
    run = InsightRunner()

    def busy(error: Busy) -> HTTPResponse:
        return problem(429, "busy", str(error), **{"Retry-After": "5"})

    for path, name in PAGES.items():
        app.add_route(static_file(STATIC / name, "text/html; charset=utf-8"), path, name=f"page_{name.split('.')[0]}")
    for path, name in SCRIPTS.items():
        app.add_route(static_file(STATIC / name, "text/javascript"), path, name=f"script_{name.split('.')[0]}")
    for path, name in STYLES.items():
        app.add_route(static_file(STATIC / name, "text/css"), path, name="style_pages")
    for path, file in VENDOR.items():
        app.add_route(static_file(file, "text/javascript"), path, name="vendor_chart")

    async def report_for(request: Request) -> Dict[str, Any] | HTTPResponse:
        try:
            where = parse_filter(_params(request), insights.analytics, _today(insights.analytics))
        except BadFilter as bad:
            return problem(400, "bad_filter", str(bad))
        try:
            return await run(("report", where), compute, insights.engine, where, insights.analytics,
                             insights.handoff, time.time())  # fmt: skip
        except Busy as error:
            return busy(error)

    @app.get("/desk/api/reports")
    async def report(request: Request) -> HTTPResponse:
        figures = await report_for(request)
        return figures if isinstance(figures, HTTPResponse) else response.json(figures)

    @app.get("/desk/api/reports.csv")
    async def report_csv(request: Request) -> HTTPResponse:
        figures = await report_for(request)
        if isinstance(figures, HTTPResponse):
            return figures
        period = figures["period"]
        name = f"support-report-{period['from'][:10]}-to-{period['last_day']}.csv"
        return response.text(to_csv(figures), content_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip

    async def filter_options(_: Request) -> HTTPResponse:
        try:
            return response.json(await run(("options",), options, insights))
        except Busy as error:
            return busy(error)

    app.add_route(filter_options, "/desk/api/reports/options", name="report_options")
    app.add_route(filter_options, "/desk/api/review/options", name="review_options")

    @app.get("/desk/api/review")
    async def review(request: Request) -> HTTPResponse:
        try:
            where = parse_filter(_params(request), insights.analytics, _today(insights.analytics))
            limit = int(request.args.get("limit") or 50)
            contains = (request.args.get("contains") or "").strip() or None
        except BadFilter as bad:
            return problem(400, "bad_filter", str(bad))
        except ValueError:
            return problem(400, "bad_filter", "'limit' must be a whole number")
        if not 1 <= limit <= MAX_GROUPS:
            return problem(400, "bad_filter", f"'limit' must be between 1 and {MAX_GROUPS}")
        if contains is not None and len(contains) > MAX_SEARCH:
            return problem(400, "bad_filter", f"'contains' must be at most {MAX_SEARCH} characters")
        try:
            found = await run(
                ("review", where, limit, contains), missed_groups, insights.engine, where, limit, contains
            )
        except Busy as error:
            return busy(error)
        return response.json(without_customer_ids(found))

    @app.get("/desk/api/review/messages/<event_id:str>/conversation")
    async def conversation(request: Request, event_id: str) -> HTTPResponse:
        if not EVENT_ID.match(event_id):
            return problem(404, "not_found", "no missed customer message has that id")
        supervisor = request.ctx.role is Role.SUPERVISOR
        try:
            return response.json(await run(None, message_conversation, insights, gateway, event_id, supervisor))
        except Busy as error:
            return busy(error)
        except UnknownMessage as unknown:
            return problem(404, "not_found", str(unknown))
        except GatewayUnavailable:
            return problem(503, "bot_unavailable", "the bot server did not answer; try again")

    @app.post("/desk/api/review/messages/<event_id:str>/label")
    async def label(request: Request, event_id: str) -> HTTPResponse:
        try:
            intent = body_of(request).get("intent")
        except ValueError as bad:
            return problem(400, "bad_request", str(bad))
        if not isinstance(intent, str) or not intent.strip():
            return problem(400, "bad_request", "'intent' must be the name of an intent in domain.yml")
        if not EVENT_ID.match(event_id):
            return problem(404, "not_found", "no missed customer message has that id")
        try:
            stored = await run(None, label_message, insights.engine, event_id, intent.strip(), request.ctx.agent,
                               time.time(), insights.intents)  # fmt: skip
        except Busy as error:
            return busy(error)
        except BadLabel as bad:
            return problem(400, "bad_label", str(bad))
        except UnknownMessage as unknown:
            return problem(404, "not_found", str(unknown))
        run.forget("review")  # the page shows the label at once
        logger.info("review label: %s by %s", intent, request.ctx.agent)
        return response.json(stored)

    @app.get("/desk/api/review/suggestions.yml")
    async def suggestions(_: Request) -> HTTPResponse:
        try:
            text = await run(None, suggestions_yaml, insights.engine, insights.data_dir)
        except Busy as error:
            return busy(error)
        return response.text(text, content_type="application/x-yaml; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="suggestions.yml"'})  # fmt: skip


def static_file(path: Path, content_type: str) -> Callable[[Request], Coroutine[Any, Any, HTTPResponse]]:
    async def serve(_: Request) -> HTTPResponse:
        try:
            body = path.read_bytes()
        except FileNotFoundError:  # Chart.js not installed: say how to get it rather than a bare 500
            logger.error("%s is missing: run `make install`", path)
            return response.text(f"{path.name} is missing: run `make install`", status=503)
        return response.raw(body, content_type=content_type)

    return serve
