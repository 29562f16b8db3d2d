"""Check stored conversations against what the customers sent (pure functions).

A customer's message is *acknowledged* when the bot answered it. After a load
with faults, every conversation's tracker must hold each acknowledged message
exactly once, in the order sent, each turn completed before the next began.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Sequence


@dataclass
class SentMessage:
    message_id: str
    text: str
    acknowledged: bool = False
    attempts: int = 0
    errors: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class ConversationAudit:
    sender: str
    lost: int  # acknowledged, yet not in the tracker
    duplicated: int  # in the tracker more than once
    reordered: bool  # stored in a different order than sent
    unfinished_turns: int  # a user message followed by another before the bot acted
    unacknowledged_stored: int  # the customer saw an error, but the bot did process it


def audit_conversation(sender: str, sent: Sequence[SentMessage], events: Iterable[Dict]) -> ConversationAudit:
    stored_ids: List[str] = []
    unfinished = 0
    acted_since_user = True
    for event in events:
        kind = event.get("event")
        if kind == "user":
            if not acted_since_user:
                unfinished += 1
            stored_ids.append(str(event.get("message_id")))
            acted_since_user = False
        elif kind == "action":
            acted_since_user = True
    counts = Counter(stored_ids)
    acknowledged = [m.message_id for m in sent if m.acknowledged]
    sent_order = [m.message_id for m in sent]
    stored_in_sent_order = [i for i in dict.fromkeys(stored_ids) if i in set(sent_order)]
    expected_order = [i for i in sent_order if i in counts]
    return ConversationAudit(
        sender=sender,
        lost=sum(1 for i in acknowledged if i not in counts),
        duplicated=sum(n - 1 for n in counts.values() if n > 1),
        reordered=stored_in_sent_order != expected_order,
        unfinished_turns=unfinished,
        unacknowledged_stored=sum(1 for m in sent if not m.acknowledged and m.message_id in counts),
    )


@dataclass(frozen=True)
class AuditTotals:
    conversations: int
    lost: int
    duplicated: int
    reordered: int
    unfinished_turns: int
    unacknowledged_stored: int

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.reordered or self.unfinished_turns)


def totals(audits: Sequence[ConversationAudit]) -> AuditTotals:
    return AuditTotals(
        conversations=len(audits),
        lost=sum(a.lost for a in audits),
        duplicated=sum(a.duplicated for a in audits),
        reordered=sum(a.reordered for a in audits),
        unfinished_turns=sum(a.unfinished_turns for a in audits),
        unacknowledged_stored=sum(a.unacknowledged_stored for a in audits),
    )
