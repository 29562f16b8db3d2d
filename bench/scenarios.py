"""The scripted conversations of the benchmark, read from ``scenarios.yml``."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import List, Tuple

import yaml

SCENARIOS_FILE = Path(__file__).with_name("scenarios.yml")


@dataclass(frozen=True)
class Turn:
    say: str
    # Any of these phrases in the reply means the turn went as designed; empty: any reply will do.
    expect: Tuple[str, ...]

    def as_designed(self, reply_text: str) -> bool:
        lowered = reply_text.lower()
        return bool(reply_text.strip()) and (not self.expect or any(p.lower() in lowered for p in self.expect))


@dataclass(frozen=True)
class Conversation:
    name: str
    weight: int
    turns: Tuple[Turn, ...]


def load_conversations(path: Path = SCENARIOS_FILE) -> List[Conversation]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    conversations = []
    for entry in document["conversations"]:
        turns = []
        for turn in entry["turns"]:
            expect = turn.get("expect") or ()
            turns.append(Turn(str(turn["say"]), (expect,) if isinstance(expect, str) else tuple(expect)))
        conversations.append(Conversation(entry["name"], int(entry.get("weight", 1)), tuple(turns)))
    if not conversations:
        raise ValueError(f"{path} defines no conversations")
    return conversations


class ConversationPicker:
    """Weighted, seeded choice, so two configurations see the same sequence of conversations."""

    def __init__(self, conversations: List[Conversation], seed: int) -> None:
        self._conversations = conversations
        self._weights = [c.weight for c in conversations]
        self._random = random.Random(seed)

    def next(self) -> Conversation:
        return self._random.choices(self._conversations, weights=self._weights)[0]

    def mean_turns(self) -> float:
        total = sum(self._weights)
        return sum(c.weight * len(c.turns) for c in self._conversations) / total
