"""What agents do to a ticket, with its effects on the conversation:
claim (the bot goes silent), reply (reaches the customer), note, and resolve or
return (the bot resumes and asks one satisfaction question)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Dict, List

from handoff.rasa_api import RasaApi
from handoff.relay import CustomerRelay
from handoff.store import Message, TicketRecord, TicketStore
from handoff.ticket import TicketStatus, transcript_from_events

HANDBACK_INTENT = "EXTERNAL_handback"


class NotYourTicket(PermissionError):
    """Another agent owns this conversation."""


@dataclass
class DeskService:
    store: TicketStore
    rasa: RasaApi
    relay: CustomerRelay
    notify: bool = False  # queue webhook deliveries for status changes

    def queue(self) -> List[TicketRecord]:
        return self.store.open_tickets()

    def view(self, ticket_id: int) -> Dict[str, Any]:
        """The ticket with the live transcript from the tracker and the agents' notes."""
        record = self.store.get(ticket_id)
        events = self.rasa.events(record.conversation_id)
        live = [e.__dict__ for e in transcript_from_events(events)]
        return {"ticket": record, "transcript": live, "messages": self.store.messages(ticket_id)}

    def claim(self, ticket_id: int, agent: str) -> TicketRecord:
        record = self.store.transition(ticket_id, TicketStatus.ASSIGNED, time.time(), agent, self.notify)
        self.rasa.append(record.conversation_id, {"event": "pause", "timestamp": time.time()})
        return record

    def _owned(self, ticket_id: int, agent: str) -> TicketRecord:
        record = self.store.get(ticket_id)
        if record.status is TicketStatus.ASSIGNED and record.assigned_to not in (None, agent):
            raise NotYourTicket(f"ticket {ticket_id} belongs to {record.assigned_to}")
        return record

    def reply(self, ticket_id: int, agent: str, text: str) -> Message:
        record = self._owned(ticket_id, agent)
        if record.status is not TicketStatus.ASSIGNED:
            record = self.claim(ticket_id, agent)
        self.relay.deliver(record.conversation_id, record.channel, text, agent)
        return self.store.add_message(ticket_id, "reply", agent, text, time.time())

    def note(self, ticket_id: int, agent: str, text: str) -> Message:
        self.store.get(ticket_id)
        return self.store.add_message(ticket_id, "note", agent, text, time.time())

    def close(self, ticket_id: int, agent: str, resolved: bool) -> TicketRecord:
        """Resolve (done) or return to the bot (not done); either way the bot resumes."""
        self._owned(ticket_id, agent)
        target = TicketStatus.RESOLVED if resolved else TicketStatus.RETURNED
        record = self.store.transition(ticket_id, target, time.time(), notify=self.notify)
        # The bot paused right after action_handoff, without listening; record the
        # listen so the hand-back is a fresh turn the rules recognise.
        self.rasa.append(
            record.conversation_id,
            {"event": "resume", "timestamp": time.time()},
            {"event": "action", "name": "action_listen", "timestamp": time.time()},
        )
        self.rasa.trigger_intent(record.conversation_id, HANDBACK_INTENT)
        return record
