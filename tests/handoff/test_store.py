"""Tickets in SQL: one open ticket per conversation, lifecycle, queue order, outbox."""

import pytest

from handoff.policy import Escalation
from handoff.store import TicketStore
from handoff.ticket import InvalidTransition, Ticket, TicketStatus


def ticket(conversation: str, priority: int = 2, reason: str = "customer_request", queue: str = "orders") -> Ticket:
    return Ticket(conversation_id=conversation, channel="rest", customer_address=conversation, reason=reason,
                  queue=queue, priority=priority, summary=f"{reason} for {conversation}", explanation="",
                  verification={}, slots={}, context={}, transcript=(), created_at=0.0)  # fmt: skip


@pytest.fixture
def store(tmp_path):
    return TicketStore(f"sqlite:///{tmp_path / 'handoff.db'}")


def test_a_repeated_escalation_updates_the_open_ticket(store):
    first = store.escalate(ticket("c1", priority=2), now=1.0, notify=False)
    again = store.escalate(ticket("c1", priority=4, reason="frustration"), now=2.0, notify=False)
    assert again.id == first.id and again.priority == 4 and again.reason == "frustration"
    assert len(store.open_tickets()) == 1


def test_after_closing_a_new_escalation_opens_a_new_ticket(store):
    first = store.escalate(ticket("c1"), now=1.0, notify=False)
    store.transition(first.id, TicketStatus.RESOLVED, now=2.0)
    second = store.escalate(ticket("c1"), now=3.0, notify=False)
    assert second.id != first.id


def test_queue_is_sorted_by_priority_then_waiting_time_and_positions_follow(store):
    a = store.escalate(ticket("a", priority=2), now=1.0, notify=False)
    b = store.escalate(ticket("b", priority=4), now=2.0, notify=False)
    c = store.escalate(ticket("c", priority=2), now=3.0, notify=False)
    assert [t.id for t in store.open_tickets()] == [b.id, a.id, c.id]
    assert [store.position_in_queue(t.id) for t in (b, a, c)] == [1, 2, 3]


def test_lifecycle_and_satisfaction(store):
    record = store.escalate(ticket("c1"), now=1.0, notify=False)
    assert store.transition(record.id, TicketStatus.ASSIGNED, now=2.0, agent="sam").assigned_to == "sam"
    store.transition(record.id, TicketStatus.RESOLVED, now=3.0)
    with pytest.raises(InvalidTransition):
        store.transition(record.id, TicketStatus.ASSIGNED, now=4.0)
    assert store.record_satisfaction("c1", 4, now=5.0) == record.id
    assert store.get(record.id).satisfaction == 4


def test_notes_and_replies_are_kept_in_order(store):
    record = store.escalate(ticket("c1"), now=1.0, notify=False)
    store.add_message(record.id, "note", "sam", "checked the courier", now=2.0)
    store.add_message(record.id, "reply", "sam", "It arrives tomorrow", now=3.0)
    assert [(m.kind, m.text) for m in store.messages(record.id)] == [
        ("note", "checked the courier"),
        ("reply", "It arrives tomorrow"),
    ]


def test_webhook_deliveries_are_written_with_the_ticket(store):
    record = store.escalate(ticket("c1"), now=1.0, notify=True)
    store.transition(record.id, TicketStatus.ASSIGNED, now=2.0, agent="sam", notify=True)
    events = [item.event for item in store.due_deliveries(now=3.0)]
    assert events == ["ticket.created", "ticket.assigned"]


def test_escalation_shape_is_what_the_store_needs():
    assert Escalation("r", "orders", 2, False, ()).explain().startswith("Escalated to orders")
