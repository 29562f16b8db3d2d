"""The benchmark's and the reliability run's pure parts: percentiles, scenario
checks and the per-conversation audit must be right for their figures to be."""

from __future__ import annotations

import math

from bench.audit import SentMessage, audit_conversation, totals
from bench.scenarios import ConversationPicker, Turn, load_conversations
from bench.stats import percentile


def user(message_id: str) -> dict:
    return {"event": "user", "message_id": message_id}


ACT = {"event": "action", "name": "utter_x"}


def sent(*ids: str, acknowledged: bool = True) -> list:
    return [SentMessage(i, f"text {i}", acknowledged=acknowledged) for i in ids]


def test_nearest_rank_percentiles_are_latencies_that_happened():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 0.99)) == (50.0, 95.0, 99.0)
    assert percentile([7.0], 0.99) == 7.0
    assert math.isnan(percentile([], 0.5))


def test_a_clean_conversation_passes_the_audit():
    audit = audit_conversation("c", sent("a", "b"), [user("a"), ACT, user("b"), ACT])
    assert (audit.lost, audit.duplicated, audit.reordered, audit.unfinished_turns) == (0, 0, False, 0)


def test_the_audit_finds_lost_duplicated_reordered_and_unfinished_turns():
    assert audit_conversation("c", sent("a", "b"), [user("a"), ACT]).lost == 1
    assert audit_conversation("c", sent("a"), [user("a"), ACT, user("a"), ACT]).duplicated == 1
    assert audit_conversation("c", sent("a", "b"), [user("b"), ACT, user("a"), ACT]).reordered
    assert audit_conversation("c", sent("a", "b"), [user("a"), user("b"), ACT]).unfinished_turns == 1


def test_a_message_the_customer_saw_fail_may_be_stored_but_is_counted():
    messages = sent("a") + sent("b", acknowledged=False)
    audit = audit_conversation("c", messages, [user("a"), ACT, user("b"), ACT])
    assert audit.lost == 0 and audit.unacknowledged_stored == 1
    result = totals([audit, audit_conversation("d", sent("x"), [])])
    assert (result.conversations, result.lost, result.clean) == (2, 1, False)


def test_scripted_turns_check_their_replies_and_the_mix_is_reproducible():
    turn = Turn("hi", ("support assistant",))
    assert turn.as_designed("Hi! I'm the support assistant.") and not turn.as_designed("Sorry?")
    assert Turn("x", ()).as_designed("anything") and not Turn("x", ()).as_designed("  ")
    conversations = load_conversations()
    picker, same_seed = ConversationPicker(conversations, 5), ConversationPicker(conversations, 5)
    first = [picker.next().name for _ in range(50)]
    again = [same_seed.next().name for _ in range(50)]
    assert first == again and len(set(first)) == len(conversations)
