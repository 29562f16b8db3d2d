"""The review of missed messages: real Rasa events ingested into a SQLite analytics store, grouped, labelled, and
written as NLU training data that Rasa reads back as it was labelled."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import pytest
import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from analytics import review
from analytics.fold import StreamEvent, stream_event
from analytics.metrics import ReportFilter
from analytics.review import (
    BadLabel,
    Missed,
    UnknownMessage,
    check_suggestions,
    group_messages,
    known_intents,
    label_message,
    missed_groups,
    suggestions_yaml,
    write_suggestions,
)
from analytics.settings import AnalyticsSettings
from analytics.store import AnalyticsStore
from bot.tools import validate

ROOT = Path(__file__).resolve().parents[2]
CONFIG = AnalyticsSettings(fallback_actions=frozenset({"action_default_fallback", "action_clarify_intent"}))
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc).timestamp()
ALL_TIME = ReportFilter(0, float("inf"))
INTENTS = known_intents()
Turn = Tuple[str, str, float]  # text, intent NLU gave, confidence


# -- Rasa events, as the tracker store keeps them ------------------------------------------------------------
def user(t: float, text: str, intent: str, confidence: float, channel: str) -> Dict[str, Any]:
    if intent == "nlu_fallback":  # the FallbackClassifier puts itself on top of the real ranking
        ranking = [("nlu_fallback", confidence), ("order_status", 0.31), ("greet", 0.08)]
    else:
        ranking = [(intent, confidence), ("greet", round(1 - confidence, 2))]
    parse = {
        "text": text, "intent": {"name": intent, "confidence": confidence}, "entities": [],
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking], "message_id": f"m{t}",
    }  # fmt: skip
    return {"event": "user", "timestamp": t, "text": text, "input_channel": channel, "message_id": f"m{t}",
            "metadata": {}, "parse_data": parse}  # fmt: skip


def conversation(start: float, turns: Sequence[Turn], channel: str = "web",
                 ticket: int | None = None) -> List[Dict[str, Any]]:  # fmt: skip
    """A session: each customer turn, then the bot's answer (its clarification when NLU fell back); with
    ``ticket``, a hand-off for low confidence at the end."""
    bodies: List[Dict[str, Any]] = [
        {"event": "action", "timestamp": start, "name": "action_session_start"},
        {"event": "session_started", "timestamp": start},
    ]
    for n, (text, intent, confidence) in enumerate(turns, start=1):
        t = start + 10 * n
        bodies.append(user(t, text, intent, confidence, channel))
        action = "action_clarify_intent" if intent == "nlu_fallback" else "utter_ok"
        bodies.append({"event": "action", "timestamp": t + 1, "name": action})
        bodies.append({"event": "bot", "timestamp": t + 2, "text": "…", "metadata": {"utter_action": action}})
    if ticket is not None:
        stamp = {"handoff": {"ticket": ticket, "queue": "orders", "reason": "low_confidence", "priority": "normal"}}
        end = start + 10 * len(turns) + 5
        bodies.append({"event": "bot", "timestamp": end, "text": "An agent will take over.",
                       "metadata": {"utter_action": "utter_handoff", "analytics": stamp}})  # fmt: skip
    return bodies


def events(sender: str, bodies: List[Dict[str, Any]]) -> List[StreamEvent]:
    return [e for e in (stream_event(sender, b) for b in bodies) if e is not None]


def fell_back(text: str) -> Turn:
    return (text, "nlu_fallback", 0.7)


@pytest.fixture
def store(tmp_path: Path) -> AnalyticsStore:
    return AnalyticsStore(f"sqlite:///{tmp_path / 'handoff.db'}", CONFIG)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A small data/ of its own: what is trained does not depend on today's data/nlu/."""
    folder = tmp_path / "data"
    (folder / "nlu").mkdir(parents=True)
    (folder / "nlu" / "orders.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: order_status\n  examples: |\n    - where is my order\n'
        "    - order [48213](order_number) status\n- intent: cancel_order\n  examples: |\n    - cancel it\n",
        encoding="utf-8",
    )
    (folder / "rules").mkdir()
    (folder / "rules" / "orders.yml").write_text('version: "3.1"\nrules: []\n', encoding="utf-8")
    return folder


def ingest_missed(store: AnalyticsStore, texts: Sequence[str], channel: str = "web", start: float = T0) -> None:
    """Each text a fallback in a conversation of its own (a customer of its own), one minute apart."""
    for n, text in enumerate(texts):
        store.ingest(
            events(f"customer-{channel}-{start}-{n}", conversation(start + 60 * n, [fell_back(text)], channel))
        )


def message_id(found: Dict[str, Any], text: str) -> str:
    return next(m["event_id"] for g in found["groups"] for m in g["messages"] if m["text"] == text)


def group_of(found: Dict[str, Any], text: str) -> List[str]:
    return next(sorted(m["text"] for m in g["messages"]) for g in found["groups"]
                if text in [m["text"] for m in g["messages"]])  # fmt: skip


# -- which messages are missed ----------------------------------------------------------------------------
def test_missed_messages_are_those_flagged_with_each_reason_the_ticket_and_nothing_understood(
    store: AnalyticsStore,
) -> None:
    store.ingest(events("+15552014477", conversation(T0, [
        ("where is my order", "order_status", 0.95),           # understood: not listed
        fell_back("my thingy never came"),                      # fallback
        ("the parcel i ordered", "order_status", 0.92),         # understood, but rephrasing the fallback
        ("do you sell gift cards", "out_of_scope", 0.88),       # out of scope
        ("hmm the box thing", "order_status", 0.41),            # low confidence, then a hand-off for it
    ], channel="sms", ticket=41)))  # fmt: skip
    store.ingest(events("web-1", conversation(T0 + 3600, [fell_back("asdfgh")], channel="web")))

    found = missed_groups(store.engine, ALL_TIME)
    messages = {m["text"]: m for g in found["groups"] for m in g["messages"]}
    assert found["total"] == 5 and "where is my order" not in messages
    assert messages["my thingy never came"]["reasons"] == ["fallback"]
    assert messages["my thingy never came"]["best_intent"] == "order_status"  # what it nearly was
    assert messages["the parcel i ordered"]["reasons"] == ["rephrase", "before_low_confidence_handoff"]
    assert messages["do you sell gift cards"]["reasons"] == ["out_of_scope", "before_low_confidence_handoff"]
    assert messages["hmm the box thing"]["reasons"] == ["low_confidence", "before_low_confidence_handoff"]
    assert {m["ticket_id"] for t, m in messages.items() if t != "asdfgh"} == {41}
    assert messages["asdfgh"]["ticket_id"] is None and messages["asdfgh"]["channel"] == "web"
    assert messages["hmm the box thing"]["sender_id"] == "+15552014477"


def test_the_filter_keeps_the_period_start_included_end_excluded_and_the_channel(store: AnalyticsStore) -> None:
    ingest_missed(store, ["first one", "second one", "third one"], channel="sms")
    ingest_missed(store, ["on the web"], channel="web", start=T0 + 30)
    first = T0 + 10  # the first message's timestamp
    period = missed_groups(store.engine, ReportFilter(first, first + 120))
    assert sorted(m["text"] for g in period["groups"] for m in g["messages"]) == ["first one", "on the web",
                                                                                  "second one"]  # fmt: skip
    sms = missed_groups(store.engine, ReportFilter(first, first + 120, channel="sms"))
    assert sms["total"] == 2 and "on the web" not in str(sms)


# -- grouping ---------------------------------------------------------------------------------------------------
PARCEL = ["where is my parcel", "Where is my parcel??", "where is my parcel", "wheres my parcel",
          "where's my parcel, it's been 2 weeks"]  # fmt: skip
CHARGED = ["i was charged twice", "you charged me twice for one order", "charged twice!!"]
# The last two differ in one word (and "where is my refund" from the parcels): the request, not the phrasing.
UNRELATED = ["where is my refund", "asdfgh", "what's the weather like", "i want to change my password",
             "i want to change my address"]  # fmt: skip


def missed(*texts: str) -> List[Missed]:
    """Fallbacks, the first one the oldest."""
    return [Missed(f"e{n}", t, "nlu_fallback", 0.7, "order_status", ("fallback",), "k", "s", "web", T0 + n)
            for n, t in enumerate(texts)]  # fmt: skip


def test_paraphrases_and_duplicates_share_a_group_and_unrelated_messages_stay_apart(store: AnalyticsStore) -> None:
    ingest_missed(store, PARCEL + CHARGED + UNRELATED)
    found = missed_groups(store.engine, ALL_TIME)
    assert group_of(found, "where is my parcel") == sorted(PARCEL)
    assert group_of(found, "i was charged twice") == sorted(CHARGED)
    for text in UNRELATED:
        assert group_of(found, text) == [text]
    parcels = next(g for g in found["groups"] if g["size"] == len(PARCEL))
    assert parcels["example"] == "where is my parcel" and parcels["intents"] == {"order_status": 5}


def test_messages_equal_but_for_case_punctuation_and_digits_are_grouped_even_when_nothing_else_would_be() -> None:
    texts = ["Where is order 10042?", "where is order 99817", "WHERE IS ORDER 10042!!", "where is my order"]
    groups = group_messages(missed(*texts), threshold=1.01)  # no two different texts are that similar
    assert [sorted(m.text for m in g.messages) for g in groups] == [sorted(texts[:3]), ["where is my order"]]


def test_beyond_the_cap_an_older_text_joins_the_group_it_resembles_or_is_left_out() -> None:
    older, recent = ["wheres my parcel", "asdfgh"], ["where is my parcel", "i was charged twice"]
    groups = group_messages(missed(*older, *recent), max_texts=2)
    assert [sorted(m.text for m in g.messages) for g in groups] == [
        ["where is my parcel", "wheres my parcel"], ["i was charged twice"]]  # fmt: skip


def test_messages_of_punctuation_or_emoji_only_are_grouped_too() -> None:
    groups = group_messages(missed("hello", "!!", "👍", "???"))
    assert sorted(sorted(m.text for m in g.messages) for g in groups) == [["!!", "???"], ["hello"], ["👍"]]
    # The newest text has no letters at all and is the only one clustered: the older one has nothing to join.
    assert [[m.text for m in g.messages] for g in group_messages(missed("hello", "?!"), max_texts=1)] == [["?!"]]


def test_groups_rank_by_frequency_then_most_recent_and_limit_cuts_the_list(store: AnalyticsStore) -> None:
    ingest_missed(
        store, ["do you take klarna"] * 2 + ["gift card balance"] * 3 + ["asdfgh"] + ["jobs at the warehouse"] * 2
    )
    found = missed_groups(store.engine, ALL_TIME, limit=3)
    assert found["total"] == 8
    # Two groups of two: the warehouse jobs were asked about last, so they come first.
    assert [(g["example"], g["size"]) for g in found["groups"]] == [
        ("gift card balance", 3), ("jobs at the warehouse", 2), ("do you take klarna", 2)]  # fmt: skip
    newest_first = [m["timestamp"] for m in found["groups"][0]["messages"]]
    assert newest_first == sorted(newest_first, reverse=True)


def test_the_same_messages_give_the_same_group_ids_in_any_order(store: AnalyticsStore) -> None:
    ingest_missed(store, PARCEL + CHARGED + UNRELATED)
    first, again = missed_groups(store.engine, ALL_TIME), missed_groups(store.engine, ALL_TIME)
    assert first == again
    shuffled = list(review.read_missed(store.engine, ALL_TIME)[1])
    random.Random(3).shuffle(shuffled)
    assert [(g.id, g.size) for g in group_messages(shuffled)] == [(g["id"], g["size"]) for g in first["groups"]]
    assert len({g["id"] for g in first["groups"]}) == len(first["groups"])


def test_twenty_thousand_missed_messages_are_grouped_in_seconds() -> None:
    """Nearly every text different (the worst case): customers' words from data/nlu/, four to eight at random."""
    words = sorted({w for f in (ROOT / "data" / "nlu").glob("*.yml") for w in f.read_text(encoding="utf-8").split()
                    if w.isalpha()})  # fmt: skip
    rng = random.Random(5)
    missed = [
        Missed(f"e{n}", " ".join(rng.choices(words, k=rng.randint(4, 8))), "nlu_fallback", 0.7, "order_status",
               ("fallback",), "k", "s", "web", T0 + n)
        for n in range(20_000)
    ]  # fmt: skip
    started = time.perf_counter()
    groups = group_messages(missed)
    elapsed = time.perf_counter() - started
    assert sum(g.size for g in groups) >= review.MAX_TEXTS
    assert elapsed < 30, f"grouping 20,000 messages took {elapsed:.1f} s"


# -- labels ---------------------------------------------------------------------------------------------------
def test_a_label_needs_a_missed_message_and_an_intent_of_the_domain(store: AnalyticsStore, data_dir: Path) -> None:
    store.ingest(events("c1", conversation(T0, [("where is my order", "order_status", 0.95), fell_back("asdfgh")])))
    understood = next(e.event_id for e in events("c1", conversation(T0, [("where is my order", "order_status", 0.95)]))
                      if e.kind == "user")  # fmt: skip
    missed = message_id(missed_groups(store.engine, ALL_TIME), "asdfgh")
    with pytest.raises(UnknownMessage, match="no missed customer message"):
        label_message(store.engine, "no-such-id", "greet", "dana", T0, INTENTS)
    with pytest.raises(UnknownMessage):  # understood by the bot: nothing to review
        label_message(store.engine, understood, "order_status", "dana", T0, INTENTS)
    with pytest.raises(BadLabel, match="'order_tracking' is not an intent in domain.yml"):
        label_message(store.engine, missed, "order_tracking", "dana", T0, INTENTS)
    with pytest.raises(BadLabel, match="'nlu_fallback' is reserved"):
        label_message(store.engine, missed, "nlu_fallback", "dana", T0, INTENTS | {"nlu_fallback"})
    with pytest.raises(BadLabel, match="'EXTERNAL_handback' is reserved"):
        label_message(store.engine, missed, "EXTERNAL_handback", "dana", T0, INTENTS)
    assert "intent:" not in suggestions_yaml(store.engine, data_dir)


def test_relabelling_a_message_replaces_its_label(store: AnalyticsStore, data_dir: Path) -> None:
    ingest_missed(store, ["my thingy never came"])
    missed = message_id(missed_groups(store.engine, ALL_TIME), "my thingy never came")
    assert label_message(store.engine, missed, "complaint", "dana", T0, INTENTS)["intent"] == "complaint"
    label = label_message(store.engine, missed, "order_status", "lee", T0 + 60, INTENTS)
    assert label == {"event_id": missed, "text": "my thingy never came", "intent": "order_status",
                     "labelled_by": "lee", "labelled_at": T0 + 60}  # fmt: skip
    (group,) = missed_groups(store.engine, ALL_TIME)["groups"]
    assert group["messages"][0]["label"] == "order_status"
    assert examples(suggestions_yaml(store.engine, data_dir)) == [("order_status", "my thingy never came")]


# -- the suggestions file ---------------------------------------------------------------------------------------
def examples(text: str) -> List[Tuple[str, str]]:
    """(intent, text) of every example, as Rasa's own reader parses the file (entities would be stripped)."""
    reader = RasaYAMLReader()
    data = reader.reads(text)
    assert not any(m.get("entities") for m in reader.training_examples)
    return [(m.get("intent"), m.get("text")) for m in data.training_examples]


NASTY = [
    "- leading dash", "key: value", 'she said "where is it"', "it's 'fine'", "#hash at the start", "a # comment?",
    "Zoë's commande n'est pas arrivée", "我的包裹在哪里", "where is it 📦🤔", "{curly} & [square] *star* !bang",
    "| pipe > gt % percent @ at ` backtick", "null", "yes", "~", "0x1F", "'", "@", "...",
]  # fmt: skip


def label_all(store: AnalyticsStore, texts: Sequence[str], intent: str = "order_status") -> None:
    ingest_missed(store, texts)
    found = missed_groups(store.engine, ALL_TIME)
    for n, text in enumerate(texts):
        label_message(store.engine, message_id(found, text), intent, "dana", T0 + n, INTENTS)


def test_suggestions_read_back_by_rasa_as_the_texts_and_intents_labelled(store: AnalyticsStore, data_dir: Path) -> None:
    label_all(store, NASTY)
    label_all(store, ["i was charged twice", "charged twice!!"], intent="billing_dispute")
    text = suggestions_yaml(store.engine, data_dir)
    assert text.startswith("# Generated from reviewed customer traffic")
    assert "merges these examples into data/nlu/" in text.split("version:")[0]
    expected = sorted([("billing_dispute", "charged twice!!"), ("billing_dispute", "i was charged twice")]
                      + [("order_status", t) for t in NASTY])  # fmt: skip
    assert examples(text) == expected  # sorted by intent, then text


def test_texts_that_would_break_the_format_are_written_so_rasa_reads_what_was_typed(
    store: AnalyticsStore, data_dir: Path
) -> None:
    awkward = {
        "first line\nsecond line": "first line second line",
        "  tabs\tand\r\nbreaks\u2028and\x85more  ": "tabs and breaks and more",
        "bell\x07 and bom\ufeff": "bell and bom",
        "order [48213](order_number) please": "order [48213] (order_number) please",  # not an entity annotation
        'see [this]{"entity": "x"}': 'see [this] {"entity": "x"}',
    }
    label_all(store, list(awkward))
    assert examples(suggestions_yaml(store.engine, data_dir)) == sorted(("order_status", t) for t in awkward.values())


def test_a_text_labelled_twice_is_written_once_under_its_latest_intent(store: AnalyticsStore, data_dir: Path) -> None:
    ingest_missed(store, ["hello there", "Hello  there", "hello there"])
    found = missed_groups(store.engine, ALL_TIME)
    ids = [m["event_id"] for m in found["groups"][0]["messages"]]
    for n, (event_id, intent) in enumerate(zip(ids, ["greet", "greet", "thank_you"], strict=True)):
        label_message(store.engine, event_id, intent, "dana", T0 + n, INTENTS)
    assert examples(suggestions_yaml(store.engine, data_dir)) == [
        ("greet", "Hello there"),
        ("thank_you", "hello there"),
    ]


def test_email_addresses_long_numbers_and_phones_never_reach_the_suggestions(store: AnalyticsStore,
                                                                             data_dir: Path) -> None:  # fmt: skip
    label_all(store, ["my email is maria.keller+shop@example.co.uk and my card 4111 1111 1111 1111",
                      "account 1234567890123 please", "order 10042 for +44 7700 900123",
                      "ring (020) 7946 0958 or 555-201-4477, or write to bob@localhost"])  # fmt: skip
    text = suggestions_yaml(store.engine, data_dir)
    for private in ("maria", "4111", "1234567890123", "7700", "7946", "4477", "bob@"):
        assert private not in text, private
    assert examples(text) == [
        ("order_status", "account [number removed] please"),
        ("order_status", "my email is [email removed] and my card [number removed]"),
        ("order_status", "order 10042 for [phone removed]"),  # the order number, what the example is about, stays
        ("order_status", "ring [phone removed] or [phone removed], or write to [email removed]"),
    ]


def test_write_suggestions_writes_the_file_and_counts_its_examples(store: AnalyticsStore, tmp_path: Path) -> None:
    label_all(store, ["my thingy never came", "box still not here mate"])
    path = tmp_path / "review" / "suggestions.yml"
    assert write_suggestions(store.engine, path) == 2
    assert path.read_text(encoding="utf-8") == suggestions_yaml(store.engine)
    assert [p.name for p in path.parent.iterdir()] == ["suggestions.yml"]  # no temporary file left behind
    assert check_suggestions(path, INTENTS) == []  # what the store writes passes `make validate`


def test_with_nothing_labelled_the_file_is_valid_and_empty(store: AnalyticsStore, tmp_path: Path) -> None:
    path = tmp_path / "suggestions.yml"
    assert write_suggestions(store.engine, path) == 0
    assert examples(path.read_text(encoding="utf-8")) == [] and check_suggestions(path, INTENTS) == []


# -- checking the file --------------------------------------------------------------------------------------------
def suggestions(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "suggestions.yml"
    path.write_text(f'version: "3.1"\nnlu:\n{body}', encoding="utf-8")
    return path


def test_examples_already_merged_into_data_are_left_out_and_conflicting_ones_stay(
    store: AnalyticsStore, tmp_path: Path, data_dir: Path
) -> None:
    label_all(store, ["Where is my order", "cancel it", "my thingy never came"])
    path = tmp_path / "suggestions.yml"
    assert write_suggestions(store.engine, path, data_dir) == 2
    assert examples(path.read_text(encoding="utf-8")) == [("order_status", "cancel it"),
                                                          ("order_status", "my thingy never came")]  # fmt: skip
    (conflict,) = check_suggestions(path, INTENTS, data_dir)
    assert "'cancel it' (intent 'order_status') conflicts with data/nlu/orders.yml" in conflict


def test_check_finds_an_intent_missing_from_the_domain(tmp_path: Path, data_dir: Path) -> None:
    path = suggestions(tmp_path, "- intent: greet\n  examples: |\n    - hiya\n"
                                 "- intent: track_parcel\n  examples: |\n    - parcel pls\n")  # fmt: skip
    assert check_suggestions(path, INTENTS, data_dir) == [f"{path}:6: 'track_parcel' is not an intent in domain.yml"]


def test_check_finds_an_example_trained_under_another_intent(tmp_path: Path, data_dir: Path) -> None:
    path = suggestions(tmp_path, "- intent: order_status\n  examples: |\n    - fine one\n    - Cancel it\n"
                                 "    - order 48213 status\n")  # fmt: skip
    assert check_suggestions(path, INTENTS, data_dir) == [
        f"{path}:6: 'Cancel it' (intent 'order_status') conflicts with data/nlu/orders.yml, which has it under "
        "'cancel_order': decide which intent it is",
        f"{path}:7: 'order 48213 status' (intent 'order_status') is already in data/nlu/orders.yml under the same "
        "intent: drop it here",
    ]  # fmt: skip


def test_check_finds_duplicates_within_the_file(tmp_path: Path, data_dir: Path) -> None:
    path = suggestions(tmp_path, "- intent: greet\n  examples: |\n    - hiya\n    - hiya\n"
                                 "- intent: thank_you\n  examples: |\n    - HIYA\n")  # fmt: skip
    assert check_suggestions(path, INTENTS, data_dir) == [
        f"{path}:6: 'hiya' (intent 'greet') is listed twice, also at line 5: one message, one example",
        f"{path}:9: 'HIYA' (intent 'thank_you') is listed twice, also under 'greet' at line 5: one message, "
        "one example",
    ]  # fmt: skip


def test_check_reports_a_file_rasa_cannot_read_and_accepts_no_file(tmp_path: Path, data_dir: Path) -> None:
    assert check_suggestions(tmp_path / "absent.yml", INTENTS, data_dir) == []
    broken = suggestions(tmp_path, "- intent: greet\n  examples: |\n    - hi\n  - intent: bye\n   oops: [\n")
    (problem,) = check_suggestions(broken, INTENTS, data_dir)
    assert problem.startswith(f"{broken}: Rasa cannot read it as NLU training data")
    no_dash = suggestions(tmp_path, "- intent: greet\n  examples: |\n    - hi\n    hello without a dash\n")
    (problem,) = check_suggestions(no_dash, INTENTS, data_dir)
    assert "doesn't start with a '-' symbol" in problem


# -- make validate ----------------------------------------------------------------------------------------------
BAD_FILE = 'version: "3.1"\nnlu:\n- intent: track_parcel\n  examples: |\n    - where is my order\n'


def test_validate_reports_every_problem_of_the_suggestions_file_against_the_real_domain_and_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "suggestions.yml"
    path.write_text(BAD_FILE, encoding="utf-8")
    problems = validate.suggestion_problems(path, ROOT / "domain.yml", ROOT / "data")
    assert problems[0] == f"{path}:3: 'track_parcel' is not an intent in domain.yml"
    assert problems[1].startswith(f"{path}:5: 'where is my order' (intent 'track_parcel') conflicts with "
                                  "data/nlu/orders.yml, which has it under 'order_status'")  # fmt: skip
    assert validate.suggestion_problems(tmp_path / "none.yml", ROOT / "domain.yml", ROOT / "data") == []


def test_make_validate_fails_on_a_bad_suggestions_file_and_on_analytics_names_the_domain_lacks(tmp_path: Path) -> None:
    path = tmp_path / "suggestions.yml"
    path.write_text(BAD_FILE, encoding="utf-8")
    config = yaml.safe_load((ROOT / "analytics" / "config.yml").read_text(encoding="utf-8"))
    config["answers"] = [*config.get("answers", []), "utter_renamed_long_ago"]
    (tmp_path / "analytics.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REVIEW_SUGGESTIONS": str(path), "RASA_TELEMETRY_ENABLED": "false",
           "ANALYTICS_CONFIG": str(tmp_path / "analytics.yml")}  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "bot.tools.validate"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"  - {path}:3: 'track_parcel' is not an intent in domain.yml" in run.stdout
    assert "'where is my order' (intent 'track_parcel') conflicts with data/nlu/orders.yml" in run.stdout
    assert "  - analytics/config.yml answers: 'utter_renamed_long_ago' is not a response in domain.yml" in run.stdout


# -- command line -------------------------------------------------------------------------------------------------
def test_the_command_line_writes_the_file_and_lists_the_groups(
    store: AnalyticsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from analytics.runtime import analytics_store

    label_all(store, PARCEL[:2] + ["asdfgh"])
    monkeypatch.setenv("HANDOFF_DATABASE_URL", str(store.engine.url))
    analytics_store.cache_clear()
    try:
        path = tmp_path / "out" / "suggestions.yml"
        assert review.main(["--write", str(path)]) == 0
        assert len(examples(path.read_text(encoding="utf-8"))) == 3
        assert review.main(["--list", "--from", "2026-11-01", "--to", "2026-11-30"]) == 0
    finally:
        analytics_store.cache_clear()
    printed = capsys.readouterr().out
    assert "3 missed message(s), 3 grouped" in printed and "'Where is my parcel??'" in printed
