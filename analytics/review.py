"""The review of what customers said that the bot did not understand, for conversation designers.

A customer message is *missed* when NLU fell back, it was out of scope, its confidence was low, it rephrased a
message the bot fell back on, or it led to a hand-off for low confidence (the flags analytics/fold.py sets).
The desk's Review page shows them grouped by similarity (``missed_groups``); a designer labels a message with
the intent it should have had (``label_message``), and the labels become ``review/suggestions.yml``
(``write_suggestions``), Rasa NLU data a designer merges into ``data/nlu/`` (review/README.md). ``make
validate`` checks that file while it exists (``check_suggestions``).

Grouping and the training-data text are pure functions; the database is read and written at the edges.

    python -m analytics.review --list [--from 2026-11-01 --to 2026-11-30 --channel sms --limit 20]
    python -m analytics.review --write review/suggestions.yml
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import tempfile
import unicodedata
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Collection, Dict, List, Mapping, Sequence, Tuple

import yaml
from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from analytics.metrics import UNKNOWN, ReportFilter
from analytics.tables import Base, ConversationRow, LabelRow, MessageRow

ROOT = Path(__file__).resolve().parents[1]
REASONS = ("fallback", "out_of_scope", "low_confidence", "rephrase", "before_low_confidence_handoff")
MESSAGE_COLUMNS = ("event_id", "text", "intent", "confidence", "best_intent", "conversation_key", "sender_id",
                   "channel", "timestamp") + REASONS  # fmt: skip
FALLBACK_INTENT = "nlu_fallback"  # Rasa's: what NLU says when it does not know, never what a customer meant
SYSTEM_INTENT_PREFIX = "EXTERNAL_"  # raised by the system (a hand-back, a photo), never typed

# Grouping. Cosine similarity of TF-IDF character 3-5-grams (typos and word forms still match) over the words
# that carry the request: without the function words below, "i want to change my password" and "i want to
# change my address" are apart. A cap keeps a page fast (20,000 messages: about 3 s, 6 s if all differ).
THRESHOLD = 0.5
MAX_MESSAGES = 20_000  # the most recent missed messages read and grouped; older ones are only counted
MAX_TEXTS = 8_000  # distinct texts clustered (the most recent); an older text only joins the group most like it
MESSAGES_SHOWN = 100  # per group, the most recent first; ``size`` counts them all
_ROWS_PER_BLOCK = 1_000  # similarity rows computed at once: a block is 1,000 x texts floats
_FUNCTION_WORDS = (
    "a an the i im me my mine we us our you your u ur it its is are am was were be been being do does did can "
    "could would will should may might to of for on in at by with from and or so just please pls plz hi hello "
    "hey there this that these those have has had"
)
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())

# Personal data a customer may type, replaced before a text can reach training data.
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")  # with or without a dot: bob@localhost
LONG_NUMBER = re.compile(r"(?<!\d)\d(?:[ .\-\u00a0]?\d){12,}(?!\d)")  # 13 digits or more: cards, accounts
# Seven digits or more, with the spaces, dots, dashes and brackets people write phone numbers with: a phone
# (order numbers, five digits here, stay: they are what an example is about).
PHONE_LIKE = re.compile(r"(?<![\w+])\+?\(?\d(?:[ .\-\u00a0()]{0,2}\d){6,}(?!\d)")
EMAIL_PLACEHOLDER, NUMBER_PLACEHOLDER = "[email removed]", "[number removed]"
PHONE_PLACEHOLDER = "[phone removed]"
# Characters YAML may not hold (YAML 1.1 printable set), and a BOM inside a document.
_NOT_YAML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")
_INTENT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_INTENT_LINE = re.compile(r"^\s*-\s*intent:\s*['\"]?(.*?)['\"]?\s*$")
_EXAMPLE_LINE = re.compile(r"^\s+-(.*)$")

HEADER = """\
# Generated from reviewed customer traffic (the desk's Review page) by analytics/review.py: NOT training data yet.
# A conversation designer merges these examples into data/nlu/ and then deletes this file (review/README.md).
# `make validate` checks it while it exists. E-mail addresses, long numbers and phone numbers the customers typed
# were replaced by "[email removed]", "[number removed]" and "[phone removed]": write made-up ones, or drop the
# example, before merging.
"""


class UnknownMessage(LookupError):
    """No missed customer message has that id."""


class BadLabel(ValueError):
    """A label that cannot be stored; the message says why."""


@dataclass(frozen=True)
class Missed:
    event_id: str
    text: str
    intent: str | None
    confidence: float
    best_intent: str | None
    reasons: Tuple[str, ...]
    conversation_key: str
    sender_id: str
    channel: str | None
    timestamp: float
    ticket_id: int | None = None
    label: str | None = None

    def as_json(self) -> Dict[str, Any]:
        return {
            "event_id": self.event_id, "text": self.text, "intent": self.intent, "confidence": self.confidence,
            "best_intent": self.best_intent, "reasons": list(self.reasons), "conversation_key": self.conversation_key,
            "sender_id": self.sender_id, "channel": self.channel, "timestamp": self.timestamp,
            "ticket_id": self.ticket_id, "label": self.label,
        }  # fmt: skip


@dataclass(frozen=True)
class Group:
    id: str  # a digest of the normalised text leading the group: the same messages always get the same id
    example: str
    messages: Tuple[Missed, ...]  # the most recent first

    @property
    def size(self) -> int:
        return len(self.messages)

    @property
    def last_at(self) -> float:
        return self.messages[0].timestamp

    def intents(self) -> Dict[str, int]:
        counts = Counter(m.best_intent or UNKNOWN for m in self.messages)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def as_json(self) -> Dict[str, Any]:
        return {"id": self.id, "size": self.size, "example": self.example, "intents": self.intents(),
                "messages": [m.as_json() for m in self.messages[:MESSAGES_SHOWN]]}  # fmt: skip


# -- grouping (pure) --------------------------------------------------------------------------------
def normalise(text: str) -> str:
    """What two messages must share to be the same message: case, width, punctuation, spacing and which digits
    were typed ("order 10042?" = "Order 10043") do not count."""
    text = re.sub(r"\d+", "0", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text)
    return " ".join(text.split())


def _content(normalised: str) -> str:
    return " ".join(w for w in normalised.split() if w not in FUNCTION_WORDS) or normalised


def _leaders(texts: Sequence[str], older: Sequence[str], threshold: float) -> Tuple[List[int], List[int]]:
    """For each text, the index of the text leading its group; for each older text, that of the most similar
    leader, or -1 when none is ``threshold`` similar. Greedy and deterministic: in the given order, a text nobody
    claimed leads a group and claims every later unclaimed text at least ``threshold`` similar to it (similar to
    the leader, not to any member, so a group does not drift by chaining). Older texts only join groups: their
    cost grows with the number of groups, not with the square of their own number."""
    leader, joins = list(range(len(texts))), [-1] * len(older)
    if len(texts) + len(older) < 2:
        return leader, joins
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    try:
        vectors = vectorizer.fit_transform([_content(t) for t in texts])
    except ValueError:  # not one n-gram among them (only empty texts): nothing is similar
        return leader, joins
    claimed = np.zeros(len(texts), dtype=bool)
    for start in range(0, len(texts), _ROWS_PER_BLOCK):
        similar = (vectors[start : start + _ROWS_PER_BLOCK] @ vectors.T).toarray() >= threshold
        for row, i in enumerate(range(start, min(start + _ROWS_PER_BLOCK, len(texts)))):
            if not claimed[i]:
                members = np.flatnonzero(similar[row] & ~claimed)
                members = members[members > i]
                claimed[members] = True
                for j in members:
                    leader[j] = i
    heads = np.array(sorted(set(leader)))
    for start in range(0, len(older), _ROWS_PER_BLOCK):
        block = vectorizer.transform([_content(t) for t in older[start : start + _ROWS_PER_BLOCK]])
        similarity = (block @ vectors[heads].T).toarray()
        best = similarity.argmax(axis=1)
        for row, column in enumerate(best):
            if similarity[row, column] >= threshold:
                joins[start + row] = int(heads[column])
    return leader, joins


def group_messages(messages: Sequence[Missed], threshold: float = THRESHOLD, max_texts: int = MAX_TEXTS) -> List[Group]:
    """Missed messages grouped by similarity, the largest group first, then the most recently added to.

    Messages equal after ``normalise`` are always in one group. The ``max_texts`` most recently seen distinct
    texts are clustered; a message with an older text joins the group most similar to it, or is left out when
    none is (it is counted in ``total``, not grouped). Within a group, messages are the most recent first; its
    example is the leading text as last typed."""
    by_text: Dict[str, List[Missed]] = defaultdict(list)
    for message in sorted(messages, key=lambda m: (-m.timestamp, m.event_id)):
        by_text[normalise(message.text)].append(message)
    recent = sorted(by_text, key=lambda t: (-by_text[t][0].timestamp, t))
    recent, older = recent[:max_texts], recent[max_texts:]
    # Leaders are chosen among the most frequent texts first: a group is named after what most customers wrote.
    ordered = sorted(recent, key=lambda t: (-len(by_text[t]), -by_text[t][0].timestamp, t))
    leaders, joins = _leaders(ordered, older, threshold)
    members: Dict[int, List[Missed]] = defaultdict(list)
    for text, lead in [*zip(ordered, leaders, strict=True), *zip(older, joins, strict=True)]:
        if lead >= 0:
            members[lead].extend(by_text[text])
    groups = [
        Group(
            id=hashlib.sha256(ordered[lead].encode("utf-8", "surrogatepass")).hexdigest()[:16],
            example=by_text[ordered[lead]][0].text,
            messages=tuple(sorted(found, key=lambda m: (-m.timestamp, m.event_id))),
        )
        for lead, found in members.items()
    ]
    return sorted(groups, key=lambda g: (-g.size, -g.last_at, g.id))


# -- reading -------------------------------------------------------------------------------------------
def is_missed() -> Any:
    """The SQL condition: a customer message the review lists."""
    return or_(*(getattr(MessageRow, reason) == 1 for reason in REASONS))


def read_missed(engine: Engine, where: ReportFilter, limit: int = MAX_MESSAGES,
                contains: str | None = None) -> Tuple[int, List[Missed]]:  # fmt: skip
    """How many missed messages match, and the ``limit`` most recent of them; with ``contains``, only those
    whose text has it (any case)."""
    Base.metadata.create_all(engine)  # a database nothing has written yet has nothing missed, not an error
    conditions = [MessageRow.timestamp >= where.start, MessageRow.timestamp < where.end, is_missed()]
    if contains:
        conditions.append(func.lower(MessageRow.text).contains(contains.lower(), autoescape=True))
    if where.channel:
        conditions.append(MessageRow.channel == where.channel)
    if where.intent:
        conditions.append(ConversationRow.first_intent == where.intent)
    if where.queue:
        conditions.append(ConversationRow.handoff_queue == where.queue)
    joined = MessageRow.__table__.outerjoin(ConversationRow, ConversationRow.key == MessageRow.conversation_key)
    query = (
        select(*(getattr(MessageRow, name) for name in MESSAGE_COLUMNS), ConversationRow.ticket_id, LabelRow.intent)
        .select_from(joined.outerjoin(LabelRow, LabelRow.event_id == MessageRow.event_id))
        .where(and_(*conditions))
    )
    with engine.connect() as db:
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = db.execute(query.order_by(MessageRow.timestamp.desc(), MessageRow.event_id).limit(limit)).all()
    missed = []
    for row in rows:
        fields = dict(zip(MESSAGE_COLUMNS, row[:-2], strict=True))
        missed.append(Missed(
            event_id=fields["event_id"], text=fields["text"], intent=fields["intent"],
            confidence=fields["confidence"], best_intent=fields["best_intent"],
            reasons=tuple(r for r in REASONS if fields[r]), conversation_key=fields["conversation_key"],
            sender_id=fields["sender_id"], channel=fields["channel"], timestamp=fields["timestamp"],
            ticket_id=row[-2], label=row[-1],
        ))  # fmt: skip
    return int(total), missed


def missed_groups(engine: Engine, where: ReportFilter, limit: int = 50, contains: str | None = None) -> Dict[str, Any]:
    """The ``limit`` largest groups of missed messages in ``where``'s period [start, end) and channel.

    ``where.intent`` and ``where.queue`` apply through the message's conversation, as in the report: its first
    task (``first_intent``) and the queue it was handed off to. ``total`` counts every matching message;
    ``clustered`` how many were grouped (the most recent ``MAX_MESSAGES``, of those the ``MAX_TEXTS`` most recent
    distinct texts); each group lists its ``MESSAGES_SHOWN`` most recent messages and its full ``size``. With
    ``contains``, only the messages whose text has it (any case)."""
    total, missed = read_missed(engine, where, contains=contains)
    groups = group_messages(missed)
    return {"total": total, "clustered": sum(g.size for g in groups), "groups": [g.as_json() for g in groups[:limit]]}


# -- labels --------------------------------------------------------------------------------------------
def label_problem(intent: str, intents: Collection[str]) -> str | None:
    """Why ``intent`` cannot label a customer message, or None."""
    if intent == FALLBACK_INTENT or intent.startswith(SYSTEM_INTENT_PREFIX):
        return (f"'{intent}' is reserved (Rasa's fallback or raised by the system, never what a customer meant): "
                "label the message with the intent the customer meant")  # fmt: skip
    if intent not in intents:
        return f"'{intent}' is not an intent in domain.yml"
    return None


def label_message(engine: Engine, event_id: str, intent: str, by: str, now: float,
                  intents: Collection[str]) -> Dict[str, Any]:  # fmt: skip
    """Label a missed message with the intent it should have had; a second label replaces the first. The text
    stored with the label has e-mail addresses and long numbers replaced (``private_parts_removed``)."""
    problem = label_problem(intent, intents)
    if problem:
        raise BadLabel(problem)
    if not by.strip():
        raise BadLabel("a label needs the name of the designer giving it")
    Base.metadata.create_all(engine)
    try:
        return _store_label(engine, event_id, intent, by.strip()[:100], now)
    except IntegrityError:  # another designer labelled it at the same moment: this label replaces theirs
        return _store_label(engine, event_id, intent, by.strip()[:100], now)


def _store_label(engine: Engine, event_id: str, intent: str, by: str, now: float) -> Dict[str, Any]:
    with Session(engine) as session, session.begin():
        message = session.get(MessageRow, event_id)
        if message is None or not any(getattr(message, r) for r in REASONS):
            raise UnknownMessage(f"no missed customer message has the id {event_id!r}")
        label = session.get(LabelRow, event_id) or LabelRow(event_id=event_id)
        label.text, label.intent = private_parts_removed(message.text), intent
        label.labelled_by, label.labelled_at = by, now
        session.add(label)
        return {"event_id": event_id, "text": label.text, "intent": intent, "labelled_by": by, "labelled_at": now}


def known_intents(domain_path: Path = ROOT / "domain.yml") -> frozenset[str]:
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    return frozenset(i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or [])


# -- the suggestions file --------------------------------------------------------------------------------
def private_parts_removed(text: str) -> str:
    """E-mail addresses, runs of 13 or more digits (card, account or tracking numbers) and phone-like numbers
    (7 digits or more) replaced by placeholders: training data must not carry customers' personal data."""
    text = LONG_NUMBER.sub(NUMBER_PLACEHOLDER, EMAIL.sub(EMAIL_PLACEHOLDER, text))
    return PHONE_LIKE.sub(PHONE_PLACEHOLDER, text)


def training_text(text: str) -> str:
    """``text`` as one example line Rasa reads back unchanged: personal data removed, characters YAML cannot
    hold and every kind of line break or run of spaces made one space. Rasa reads ``[a](b)``, ``[a]{..}`` and
    ``[a][..]`` as entity annotations, so a space goes after such a ``]``: the only change to what was typed."""
    from rasa.shared.nlu.training_data.entities_parser import ENTITY_REGEX

    text = " ".join(_NOT_YAML.sub(" ", private_parts_removed(text)).split())
    match = ENTITY_REGEX.search(text)
    while match:
        close = match.start() + len(match.group("entity_text")) + 2
        text = f"{text[:close]} {text[close:]}"
        match = ENTITY_REGEX.search(text)
    return text


def read_labels(engine: Engine) -> Dict[str, List[str]]:
    """The labelled texts by intent, as they will be written; a text labelled more than once keeps its latest
    label (one text, one intent)."""
    Base.metadata.create_all(engine)
    latest: Dict[str, str] = {}
    with Session(engine) as session:
        for text, intent in session.execute(
            select(LabelRow.text, LabelRow.intent).order_by(LabelRow.labelled_at, LabelRow.event_id)
        ):
            example = training_text(text)
            if example:
                latest[example] = intent
    by_intent: Dict[str, List[str]] = defaultdict(list)
    for example, intent in latest.items():
        by_intent[intent].append(example)
    return {intent: sorted(by_intent[intent]) for intent in sorted(by_intent)}


def render_suggestions(examples: Mapping[str, Sequence[str]]) -> str:
    """Rasa 3.x NLU training data: intents and their examples sorted, each example once."""
    lines = [HEADER.rstrip("\n"), 'version: "3.1"', "nlu:" if examples else "nlu: []"]
    for intent in sorted(examples):
        name = intent if _INTENT_NAME.match(intent) else yaml.safe_dump(intent, default_style='"').strip()
        lines += [f"- intent: {name}", "  examples: |"]
        lines += [f"    - {text}" for text in sorted(set(map(training_text, examples[intent]))) if text]
    return "\n".join(lines) + "\n"


def pending_labels(engine: Engine, data_dir: Path) -> Dict[str, List[str]]:
    """``read_labels`` without the examples ``data_dir`` already has under the same intent: once merged, a label
    is done (one under another intent stays, for ``check_suggestions`` to report the conflict)."""
    trained = _training_examples(data_dir)
    pending = {
        intent: [t for t in texts if trained.get(_same_key(t), ("", ""))[0] != intent]
        for intent, texts in read_labels(engine).items()
    }
    return {intent: texts for intent, texts in pending.items() if texts}


def suggestions_yaml(engine: Engine, data_dir: Path = ROOT / "data") -> str:
    """The labelled messages not yet in ``data_dir`` as ``review/suggestions.yml``, with e-mail addresses and
    numbers of 13 digits or more replaced by placeholders (``training_text``)."""
    return render_suggestions(pending_labels(engine, data_dir))


def write_suggestions(engine: Engine, path: Path, data_dir: Path = ROOT / "data") -> int:
    """Write ``suggestions_yaml`` to ``path`` (a reader sees the old file or the new one, never half); returns
    how many examples it holds."""
    examples = pending_labels(engine, data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(render_suggestions(examples))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return sum(len(texts) for texts in examples.values())


# -- checking it -----------------------------------------------------------------------------------------
def _read_nlu(text: str, name: str) -> Tuple[List[Tuple[str, str]], List[str]]:
    """(intent, example) pairs as Rasa reads them, in file order with repeats, and Rasa's warnings. Raises what
    Rasa raises for a file it cannot read."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    reader = RasaYAMLReader()
    reader.filename = name
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reader.reads(text)
    pairs = [(str(m.get("intent")), str(m.get("text"))) for m in reader.training_examples if m.get("intent")]
    return pairs, [str(w.message).split("\n")[0] for w in caught if issubclass(w.category, UserWarning)]


@dataclass
class _Lines:
    """Where a file writes each intent and each (intent, example): 1-based line numbers, for the messages."""

    intents: Dict[str, int]
    examples: Dict[Tuple[str, str], List[int]]

    def of(self, intent: str, example: str, occurrence: int) -> int | str:
        numbers = self.examples.get((intent, example)) or []
        return numbers[occurrence] if occurrence < len(numbers) else self.intents.get(intent, "?")


def _lines(text: str) -> _Lines:
    from rasa.shared.nlu.training_data.entities_parser import replace_entities

    found = _Lines({}, defaultdict(list))
    intent = None
    for number, line in enumerate(text.splitlines(), start=1):
        heading, example = _INTENT_LINE.match(line), _EXAMPLE_LINE.match(line)
        if heading:
            intent = heading.group(1)
            found.intents.setdefault(intent, number)
        elif example and intent is not None:
            found.examples[(intent, replace_entities(example.group(1).strip()))].append(number)
    return found


def _training_examples(data_dir: Path, skip: Path | None = None) -> Dict[str, Tuple[str, str]]:
    """Every example in ``data_dir``'s NLU files, by ``_same_key``: (intent, file)."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    known: Dict[str, Tuple[str, str]] = {}
    for path in sorted(data_dir.rglob("*.yml")):
        if (skip and path.resolve() == skip.resolve()) or not RasaYAMLReader.is_yaml_nlu_file(path):
            continue
        pairs, _ = _read_nlu(path.read_text(encoding="utf-8"), str(path))
        for intent, example in pairs:
            known.setdefault(_same_key(example), (intent, str(path.relative_to(data_dir.parent))))
    return known


def _same_key(text: str) -> str:
    return " ".join(text.casefold().split())


def check_suggestions(path: Path, domain_intents: Collection[str], data_dir: Path = ROOT / "data") -> List[str]:
    """What is wrong with a suggestions file, each problem naming its line and intent; [] when nothing is
    (or there is no file). Examples are compared with ``data_dir``'s ignoring case and spacing."""
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8")
        pairs, rasa_warnings = _read_nlu(text, str(path))
    except Exception as error:  # whatever Rasa raises for a file it cannot read: that is the finding
        first = str(error).strip().split("\n")[0] or type(error).__name__
        return [f"{path}: Rasa cannot read it as NLU training data: {first}"]
    lines = _lines(text)
    problems = [f"{path}: {warning}" for warning in rasa_warnings]
    for intent in sorted({i for i, _ in pairs}):
        problem = label_problem(intent, domain_intents)
        if problem:
            problems.append(f"{path}:{lines.intents.get(intent, '?')}: {problem}")
    in_data = _training_examples(data_dir, path)
    seen: Dict[str, Tuple[str, int | str]] = {}
    occurrences: Counter[Tuple[str, str]] = Counter()
    for intent, example in pairs:
        line = lines.of(intent, example, occurrences[(intent, example)])
        occurrences[(intent, example)] += 1
        where, key = f"{path}:{line}: '{example}' (intent '{intent}')", _same_key(example)
        if key in seen:
            first_intent, first_line = seen[key]
            also = "" if first_intent == intent else f" under '{first_intent}'"
            problems.append(f"{where} is listed twice, also{also} at line {first_line}: one message, one example")
            continue
        seen[key] = (intent, line)
        if key in in_data:
            trained, file = in_data[key]
            problems.append(
                f"{where} is already in {file} under the same intent: drop it here" if trained == intent
                else f"{where} conflicts with {file}, which has it under '{trained}': decide which intent it is"
            )  # fmt: skip
    return problems


# -- command line ------------------------------------------------------------------------------------------
def main(argv: List[str] | None = None) -> int:
    from analytics.report import BadFilter, parse_filter
    from analytics.runtime import analytics_store
    from analytics.settings import settings

    parser = argparse.ArgumentParser(description="Review what customers said that the bot missed")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, metavar="PATH", help="write the labelled messages as Rasa NLU data")
    action.add_argument("--list", action="store_true", help="print the largest groups of missed messages")
    for name in ("from", "to", "channel"):
        parser.add_argument(f"--{name}", default=None, help="with --list (default: the last 7 days)")
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args(argv)
    engine = analytics_store().engine
    if args.write:
        count = write_suggestions(engine, args.write)
        print(f"{args.write}: {count} labelled example(s); merge them into data/nlu/ (review/README.md)")
        return 0
    try:
        where = parse_filter({k: getattr(args, k) for k in ("from", "to", "channel")}, settings(), date.today())
    except BadFilter as bad:
        print(f"error: {bad}", file=sys.stderr)
        return 2
    found = missed_groups(engine, where, args.limit)
    print(f"{found['total']} missed message(s), {found['clustered']} grouped; the largest groups:")
    for group in found["groups"]:
        nearly = ", ".join(f"{name} {count}" for name, count in list(group["intents"].items())[:3])
        print(f"{group['size']:6d}  {group['example'][:70]!r}  (nearly: {nearly})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
