"""Pure: the report as a Markdown document for people (``make report``), every rate with its denominator."""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Sequence

DOCS = "docs/analytics.md"


def pct(figure: Mapping[str, Any]) -> str:
    """``"42.0 % (42 of 100)"``; ``"n/a (0 of 0)"`` when nothing was counted."""
    return f"{percent(figure.get('rate'))} ({figure.get('count', 0)} of {figure.get('denominator', 0)})"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def cell(value: Any) -> str:
    """A table cell: pipes and line breaks in names would break the table."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> List[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines if len(lines) > 2 else ["_none in this period_"]


def groups(title: str, items: Sequence[Mapping[str, Any]], what: str = "rate") -> List[str]:
    return [f"**{title}**", "", *table(["", what], ((i["key"], pct(i)) for i in items)), ""]


def render(report: Mapping[str, Any], charts: Sequence[str] = ()) -> str:
    period, c = report["period"], report["conversations"]
    agents, cost = report["agents"], report["cost"]
    filters = ", ".join(f"{k} = {period[k]}" for k in ("channel", "intent", "queue") if period.get(k)) or "none"
    lines = [
        "# Support-load report",
        "",
        f"Period: {period['from'][:10]} to {period['last_day']}, {report['timezone']}. "
        f"Filters: {filters}. Generated {report['generated_at'][:19]} UTC. Definitions: {DOCS}.",
        "",
        "## Headline",
        "",
        *table(
            ["figure", "value"],
            [
                ("Conversations (with a customer message)", c["total"]),
                ("Containment (no hand-off)", pct(report["containment"])),
                ("Resolution (24 h, judged conversations)", pct(report["resolution"])),
                ("Durable resolution (7 days)", pct(report["durable_resolution"])),
                ("Escalation rate", pct(report["escalation"])),
                ("Repeat contact within 24 h", pct(report["repeat_contact"]["day"])),
                ("Repeat contact within 7 days", pct(report["repeat_contact"]["week"])),
                ("Abandonment (left in a form)", pct(report["abandonment"])),
                ("Fallback rate (messages not understood)", pct(report["fallback"])),
                ("Satisfaction (share of 4-5)", pct(agents["satisfaction"])),
                (
                    "Cost per resolved issue",
                    "n/a" if cost["per_resolved"] is None else f"{cost['per_resolved']:.2f} {cost['currency']}",
                ),
            ],
        ),  # fmt: skip
        "",
        f"Not yet judged: {report['resolution']['pending']} conversation(s) whose 24-hour window is still open.",
        "",
        *[f"![{name}]({name}.png)" for name in charts],
        "",
        "## Conversations",
        "",
        *groups("By channel", c["by_channel"], "conversations"),
        *groups("By first task", c["by_intent"], "conversations"),
        "## Escalation",
        "",
        *groups("By reason (share of hand-offs)", report["escalation"]["by_reason"]),
        *groups("By queue (share of hand-offs)", report["escalation"]["by_queue"]),
        *groups("By first task (escalation rate)", report["escalation"]["by_intent"]),
        *groups("By channel (escalation rate)", report["escalation"]["by_channel"]),
        "## Forms: where customers stop",
        "",
    ]
    for funnel in report["abandonment"]["funnels"]:
        lines += [
            f"**{funnel['form']}**: started {funnel['started']}, completed {funnel['completed']}, abandoned "
            f"{funnel['abandoned']}, gave up {funnel['failed']}, cancelled {funnel['cancelled']}, "
            f"escalated {funnel['escalated']}",
            "",
            *table(["question", "reached", "abandoned here", "gave up here", "cancelled here"],
                   ((s["question"], s["reached"], s["abandoned"], s["failed"], s["cancelled"])
                    for s in funnel["steps"])),
            "",
        ]  # fmt: skip
    lines += [
        "## Not understood",
        "",
        *groups("Fallback rate by first task", report["fallback"]["by_intent"]),
        *groups("Fallback rate by channel", report["fallback"]["by_channel"]),
        "## Agents",
        "",
        f"Tickets opened: {agents['tickets']}. Backlog now: {agents['backlog']['open']} open "
        f"({agents['backlog']['pending']} waiting), oldest waiting {duration(agents['backlog']['oldest_waiting_s'])}.",
        "",
        *table(["", "median", "90th percentile", "count"], [
            ("First agent reply", duration(agents["first_reply"]["median_s"]),
             duration(agents["first_reply"]["p90_s"]), agents["first_reply"]["count"]),
            ("First reply, business hours", duration(agents["first_reply_business"]["median_s"]),
             duration(agents["first_reply_business"]["p90_s"]), agents["first_reply_business"]["count"]),
            ("Resolution", duration(agents["resolution"]["median_s"]), duration(agents["resolution"]["p90_s"]),
             agents["resolution"]["count"]),
        ]),  # fmt: skip
        "",
        "**Targets met (business hours)**",
        "",
        *table(["queue", "first response", "resolution"], (
            (f["key"], f"{pct(f)} within {f['target_minutes']} min" if f["target_minutes"] else "no target",
             f"{pct(r)} within {r['target_minutes']} min" if r["target_minutes"] else "no target")
            for f, r in zip(agents["targets"]["first_response"], agents["targets"]["resolution"], strict=True))),
        "",
        f"Satisfaction: {pct(agents['satisfaction'])}; response rate {percent(agents['satisfaction']['response_rate'])}"
        f" of {agents['satisfaction']['surveys']} asked; ratings 1-5: "
        + ", ".join(f"{k}: {v}" for k, v in agents["satisfaction"]["distribution"].items()),
        "",
        *table(["agent", "tickets", "closed", "median first reply", "median resolution", "satisfaction"], (
            (a["key"], a["tickets"], a["closed"], duration(a["first_reply"]["median_s"]),
             duration(a["resolution"]["median_s"]), pct(a["satisfaction"])) for a in agents["by_agent"])),
        "",
        "## Cost",
        "",
        f"{cost['bot_conversations']} bot conversations and {cost['agent_minutes']} agent minutes cost "
        f"{cost['total']:.2f} {cost['currency']} for {cost['resolved']} resolved issues "
        f"({cost['resolved_by_bot']} by the bot, {cost['resolved_by_agents']} by agents).",
        "",
    ]  # fmt: skip
    return "\n".join(lines)
