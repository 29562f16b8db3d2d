"""What a customer waiting for a person is told when they write again. Pure."""

from __future__ import annotations

from datetime import datetime

from handoff.hours import describe_opening, is_open
from handoff.settings import HandoffSettings
from handoff.store import TicketRecord
from handoff.ticket import TicketStatus


def waiting_reply(record: TicketRecord, position: int, config: HandoffSettings, now: datetime) -> str | None:
    """A short status for a pending ticket; None once an agent has it (they answer themselves)."""
    if record.status is not TicketStatus.PENDING:
        return None
    queue = config.queues[record.queue]
    if not is_open(queue, now):
        return (
            f"Thanks, I've added that to your request. Our {queue.name} team is offline and will reply here "
            f"{describe_opening(queue, now)}."
        )
    return (
        f"Thanks, I've added that to your request. You're number {position} in the queue for our "
        f"{queue.name} team (usually about {queue.typical_wait_minutes * position} minutes)."
    )
