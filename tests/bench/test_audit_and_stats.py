"""The benchmark's and the reliability run's pure parts: percentiles, scenario
checks and the per-conversation audit must be right for their figures to be."""

from __future__ import annotations

import math

from bench.audit import SentMessage, audit_conversation, totals
from bench.load import LoadResult, Sample
from bench.scenarios import ConversationPicker, Turn, load_conversations
from bench.stats import percentile, summarise


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


def test_the_report_gives_the_interleaved_ratio_of_every_round():
    from bench.report import markdown_table

    point = {"shape": "closed", "level": 10, "messages": 10, "throughput": 5.0, "p50_ms": 1.0, "p95_ms": 2.0,
             "p99_ms": 3.0, "errors": 0, "as_designed": 1.0,
             "usage": {"rasa": {"cpu_percent": 50.0, "rss_mb": 100.0},
                       "actions": {"cpu_percent": 5.0, "rss_mb": 50.0}}}  # fmt: skip
    run = {"started": "now", "machine": "test", "commit": "abc", "ratios": {"ours / stock": 5.2},
           "configs": {"stock": {"points": [point], "saturation": 5.0, "idle_rss_mb": 100.0, "label": "stock"}},
           "interleaved": {"pair": "ours / stock", "concurrency": 10, "duration_s": 15, "ratios": [5.1, 4.8, 5.6],
                           "median": 5.1, "min": 4.8}}  # fmt: skip
    table = markdown_table(run)
    assert "per round 5.10x, 4.80x, 5.60x; median 5.10x, lowest 4.80x" in table
    assert "ours / stock 5.2x" in table
    assert "Off-script" not in table
    point["off_script"] = [["where is my order", "Sorry, something went wrong", 3]]
    assert "- stock, closed 10: 3x 'where is my order' -> 'Sorry, something went wrong'" in markdown_table(run)


def test_the_summary_shows_what_the_bot_said_on_the_commonest_off_script_turns():
    def sample(said: str, reply: str, designed: bool, ok: bool = True) -> Sample:
        return Sample("order", "c1", said, 0.0, 0.01, ok, designed, "" if ok else "timeout", "" if designed else reply)

    samples = [sample("where is my order", "Here is your order", True)]
    samples += [sample("where is my order", "Sorry, something went wrong", False)] * 3
    samples += [sample("hi", "I did not get that", False)] + [sample("hi", "", False, ok=False)] * 5
    summary = summarise(LoadResult("closed", 10, 1.0, samples, 4))
    assert summary.off_script == (
        ("where is my order", "Sorry, something went wrong", 3),
        ("hi", "I did not get that", 1),
    )
    assert summary.as_designed == 1 / 5
    assert summarise(LoadResult("closed", 10, 1.0, samples[:1], 1)).as_dict()["off_script"] == []
