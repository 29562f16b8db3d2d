"""What agents do to a ticket: claim (the bot goes silent), reply (reaches the customer on their channel),
note (agents only), resolve or return (the bot takes the conversation back and asks one satisfaction question).

Each is one transaction in the ticket store - the change and what it does to the conversation together - and
``wake`` tells the effect worker to apply it now rather than at its next poll.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List

from handoff.gateway import ConversationGateway
from handoff.store import Message, TicketRecord, TicketStore
from handoff.ticket import NotYourTicket, TicketStatus, transcript_from_events
from privacy.redaction import redact_card_numbers

__all__ = ["DeskService", "NotYourTicket"]


@dataclass
class DeskService:
    store: TicketStore
    gateway: ConversationGateway
    notify: bool = False  # queue webhook deliveries for status changes
    wake: Callable[[], None] = field(default=lambda: None)

    def queue(self) -> List[TicketRecord]:
        return self.store.open_tickets()

    def view(self, ticket_id: int) -> Dict[str, Any]:
        """The ticket with the live transcript from the conversation, the agents' messages and the effects."""
        record = self.store.get(ticket_id)
        conversation = self.gateway.conversation(record.conversation_id)
        live = [e.__dict__ for e in transcript_from_events(conversation.events)]
        return {
            "ticket": record,
            "transcript": live,
            "messages": self.store.messages(ticket_id),
            "effects": self.store.effects(ticket_id),
            "channel": conversation.capabilities,
        }

    def claim(self, ticket_id: int, agent: str) -> TicketRecord:
        record = self.store.transition(ticket_id, TicketStatus.ASSIGNED, time.time(), agent, self.notify)
        self.wake()
        return record

    def reply(self, ticket_id: int, agent: str, text: str) -> Message:
        """Replying to a waiting conversation claims it first."""
        if self.store.get(ticket_id).status is TicketStatus.PENDING:
            self.claim(ticket_id, agent)
        message = self.store.reply(ticket_id, agent, redact_card_numbers(text)[0], time.time())
        self.wake()
        return message

    def note(self, ticket_id: int, agent: str, text: str) -> Message:
        return self.store.add_note(ticket_id, agent, redact_card_numbers(text)[0], time.time())

    def close(self, ticket_id: int, agent: str, resolved: bool, supervisor: bool = False) -> TicketRecord:
        """Resolve (done) or return to the bot (not done); either way the bot takes the conversation back.
        An agent closes what is theirs (or waiting); a supervisor closes any."""
        target = TicketStatus.RESOLVED if resolved else TicketStatus.RETURNED
        record = self.store.transition(ticket_id, target, time.time(), None if supervisor else agent, self.notify)
        self.wake()
        return record

    def take_over(self, ticket_id: int, supervisor: str) -> TicketRecord:
        """A supervisor takes an assigned conversation from its agent (who is away, or stuck)."""
        return self.store.take_over(ticket_id, supervisor, time.time(), self.notify)

    def redeliver(self, ticket_id: int, agent: str, supervisor: bool = False) -> Dict[str, int]:
        """Try again what could not be applied to the conversation (shown as failed in the desk)."""
        count = self.store.redeliver(ticket_id, None if supervisor else agent, time.time())
        self.wake()
        return {"requeued": count}
