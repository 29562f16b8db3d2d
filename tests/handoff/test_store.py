"""Tickets in SQL: one open ticket per conversation, lifecycle, queue order, outbox, conversation effects."""

import threading

import pytest

from handoff.policy import Escalation
from handoff.store import TicketStore
from handoff.ticket import InvalidTransition, NotYourTicket, Ticket, TicketStatus


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
    store.transition(record.id, TicketStatus.ASSIGNED, now=1.5, agent="sam")
    store.add_note(record.id, "sam", "checked the courier", now=2.0)
    store.reply(record.id, "sam", "It arrives tomorrow", now=3.0)
    assert [(m.kind, m.text, m.delivery) for m in store.messages(record.id)] == [
        ("note", "checked the courier", None),
        ("reply", "It arrives tomorrow", "pending"),
    ]


def test_of_concurrent_claims_exactly_one_wins(tmp_path):
    """Ten agents press "claim" at once, on separate connections: one owns the ticket, nine are told it is taken."""
    store = TicketStore(f"sqlite:///{tmp_path / 'handoff.db'}")

    def claim(ticket_id: int, agent: str, barrier: threading.Barrier, outcomes: list) -> None:
        barrier.wait()
        try:
            outcomes.append(store.transition(ticket_id, TicketStatus.ASSIGNED, now=2.0, agent=agent).assigned_to)
        except (NotYourTicket, InvalidTransition) as refused:
            outcomes.append(type(refused).__name__)

    for round_number in range(5):
        record = store.escalate(ticket(f"race-{round_number}"), now=1.0, notify=False)
        outcomes: list = []
        barrier = threading.Barrier(10)
        threads = [threading.Thread(target=claim, args=(record.id, f"agent{n}", barrier, outcomes)) for n in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [o for o in outcomes if o.startswith("agent")]
        assert len(winners) == 1 and outcomes.count("NotYourTicket") == 9, outcomes
        assert store.get(record.id).assigned_to == winners[0]


def test_only_the_owner_replies_to_or_closes_an_assigned_ticket(store):
    record = store.escalate(ticket("c1"), now=1.0, notify=False)
    with pytest.raises(InvalidTransition):
        store.reply(record.id, "sam", "hello", now=1.5)  # nobody owns it yet
    store.transition(record.id, TicketStatus.ASSIGNED, now=2.0, agent="sam")
    with pytest.raises(NotYourTicket):
        store.reply(record.id, "kim", "hello", now=3.0)
    with pytest.raises(NotYourTicket):
        store.transition(record.id, TicketStatus.RESOLVED, now=3.0, agent="kim")
    assert store.transition(record.id, TicketStatus.RESOLVED, now=4.0, agent="sam").status is TicketStatus.RESOLVED


def test_each_change_writes_its_effects_on_the_conversation_in_order(store):
    record = store.escalate(ticket("+15552014477"), now=1.0, notify=False)
    store.transition(record.id, TicketStatus.ASSIGNED, now=2.0, agent="sam")
    store.add_note(record.id, "sam", "never shown to the customer", now=2.5)
    store.reply(record.id, "sam", "Hi, Sam here", now=3.0)
    store.transition(record.id, TicketStatus.RESOLVED, now=4.0, agent="sam")
    assert [e["kind"] for e in store.effects(record.id)] == ["pause", "agent_message", "handback"]
    # One conversation's effects are handed out one at a time, oldest first.
    first = store.claim_due_effects(now=5.0, limit=10, lease_seconds=30)
    assert [(e.kind, e.conversation_id) for e in first] == [("pause", "+15552014477")]
    assert store.claim_due_effects(now=5.0, limit=10, lease_seconds=30) == []  # leased, and the rest wait
    store.mark_effect_applied(first[0], now=5.1)
    second = store.claim_due_effects(now=5.2, limit=10, lease_seconds=30)
    assert [(e.kind, e.payload) for e in second] == [("agent_message", {"text": "Hi, Sam here", "agent": "sam"})]
    store.mark_effect_retry(second[0], "Rasa did not answer", retry_at=60.0)
    assert store.claim_due_effects(now=10.0, limit=10, lease_seconds=30) == []  # backing off; the hand-back waits
    store.mark_effect_failed(store.claim_due_effects(now=61.0, limit=10, lease_seconds=30)[0], "gone", now=61.0)
    assert store.messages(record.id)[-1].delivery == "failed"
    third = store.claim_due_effects(now=62.0, limit=10, lease_seconds=30)
    assert [(e.kind, e.payload) for e in third] == [("handback", {"resolved": True})]
    assert store.redeliver(record.id, agent="sam", now=63.0) == 1
    assert store.messages(record.id)[-1].delivery == "pending"


def test_an_expired_lease_lets_another_worker_take_the_effect_over(store):
    record = store.escalate(ticket("c1"), now=1.0, notify=False)
    store.transition(record.id, TicketStatus.ASSIGNED, now=2.0, agent="sam")
    taken = store.claim_due_effects(now=3.0, limit=5, lease_seconds=10)
    assert store.claim_due_effects(now=12.0, limit=5, lease_seconds=10) == []
    assert [e.id for e in store.claim_due_effects(now=14.0, limit=5, lease_seconds=10)] == [taken[0].id]


def test_webhook_deliveries_are_written_with_the_ticket(store):
    record = store.escalate(ticket("c1"), now=1.0, notify=True)
    store.transition(record.id, TicketStatus.ASSIGNED, now=2.0, agent="sam", notify=True)
    events = [item.event for item in store.due_deliveries(now=3.0)]
    assert events == ["ticket.created", "ticket.assigned"]


def test_escalation_shape_is_what_the_store_needs():
    assert Escalation("r", "orders", 2, False, ()).explain().startswith("Escalated to orders")


def test_a_failed_pause_overtaken_by_the_hand_back_is_not_retried(store):
    """Retrying it after the hand-back went through would silence the bot for good."""
    record = store.escalate(ticket("c1"), now=1.0, notify=False)
    store.transition(record.id, TicketStatus.ASSIGNED, now=2.0, agent="sam")
    (pause,) = store.claim_due_effects(now=3.0, limit=5, lease_seconds=30)
    store.mark_effect_failed(pause, "Rasa was away", now=3.0)
    store.transition(record.id, TicketStatus.RESOLVED, now=4.0, agent="sam")
    (handback,) = store.claim_due_effects(now=5.0, limit=5, lease_seconds=30)
    store.mark_effect_applied(handback, now=5.0)
    assert store.redeliver(record.id, agent="sam", now=6.0) == 0
    assert [e["state"] for e in store.effects(record.id)] == ["failed", "delivered"]


def test_only_the_owner_retries_an_assigned_tickets_effects(store):
    record = store.escalate(ticket("c1"), now=1.0, notify=False)
    store.transition(record.id, TicketStatus.ASSIGNED, now=2.0, agent="sam")
    with pytest.raises(NotYourTicket):
        store.redeliver(record.id, agent="kim", now=3.0)


def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_one_that_took_over(store):
    record = store.escalate(ticket("c1"), now=1.0, notify=False)
    store.transition(record.id, TicketStatus.ASSIGNED, now=2.0, agent="sam")
    (stalled,) = store.claim_due_effects(now=3.0, limit=5, lease_seconds=10)
    (taken_over,) = store.claim_due_effects(now=20.0, limit=5, lease_seconds=10)
    assert store.mark_effect_applied(taken_over, now=21.0)
    assert not store.mark_effect_failed(stalled, "timed out", now=22.0)
    assert [e["state"] for e in store.effects(record.id)] == ["delivered"]
