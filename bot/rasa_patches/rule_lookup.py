"""RulePolicy looks only at the rules that can match, and only as far back as they reach.

Rasa's ``RulePolicy._get_possible_keys`` checks every rule key against the
newest turn, then filters the survivors turn by turn back to the start of the
conversation: 12 % of the Rasa process's CPU in our profile, growing with
every turn. Two shortcuts give the same keys:

- A rule whose newest state names a previous action matches only a turn whose
  previous action has that name (``_does_rule_match_state``). The keys are
  indexed once by that name, and the newest turn is checked against the keys
  filed under its own previous action and those that name none.
- A rule is applicable at any turn further back than its own length
  (``_is_rule_applicable`` returns ``True`` there), so once the walk is past
  the longest remaining rule, nothing more can drop out and it stops.

Each remaining check is still Rasa's own ``_is_rule_applicable``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Set

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
from rasa.shared.core.generator import State
from rasa.shared.nlu.constants import ACTION_NAME

from bot.rasa_patches.guard import RASA_3_6, Patch


@dataclass(frozen=True)
class RuleIndex:
    by_previous_action: Dict[str, Set[str]]  # keys whose newest state requires that previous action
    unconstrained: Set[str]  # keys whose newest state names no previous action
    size: int  # len(lookup) when indexed: a changed lookup is indexed again


def _required_previous_action(policy: RulePolicy, key: str) -> str | None:
    states = policy._rule_key_to_state(key)
    name = (states[-1].get(PREVIOUS_ACTION) or {}).get(ACTION_NAME) if states else None
    return name if isinstance(name, str) and name != SHOULD_NOT_BE_SET else None


def build_index(policy: RulePolicy, lookup: Dict[str, str]) -> RuleIndex:
    by_previous_action: Dict[str, Set[str]] = defaultdict(set)
    unconstrained: Set[str] = set()
    for key in lookup:
        name = _required_previous_action(policy, key)
        (by_previous_action[name] if name else unconstrained).add(key)
    return RuleIndex(dict(by_previous_action), unconstrained, len(lookup))


def index_of(policy: RulePolicy, lookup: Dict[str, str]) -> RuleIndex:
    indexes: Dict[int, RuleIndex] = policy.__dict__.setdefault("_triage_rule_indexes", {})
    index = indexes.get(id(lookup))
    if index is None or index.size != len(lookup):
        index = indexes[id(lookup)] = build_index(policy, lookup)
    return index


def candidates(index: RuleIndex, newest_state: State) -> Set[str]:
    previous = newest_state.get(PREVIOUS_ACTION) or {}
    named = previous.get(ACTION_NAME)
    return index.unconstrained | index.by_previous_action.get(named, set()) if isinstance(named, str) else \
        index.unconstrained  # fmt: skip


def longest_rule(policy: RulePolicy, keys: Set[str]) -> int:
    return max((len(policy._rule_key_to_state(key)) for key in keys), default=0)


def possible_keys(self: RulePolicy, lookup: Dict[str, str], states: List[State]) -> Set[str]:
    if not states:
        return set(lookup.keys())
    keys = candidates(index_of(self, lookup), states[-1])
    for turn_index, state in enumerate(reversed(states)):
        keys = {key for key in keys if self._is_rule_applicable(key, turn_index, state)}
        if not keys or turn_index + 1 >= longest_rule(self, keys):
            break  # every remaining key is applicable from here back: nothing more can change
    return keys


def apply() -> None:
    RulePolicy._get_possible_keys = possible_keys


PATCH = Patch(
    name="rule_lookup",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.policies.rule_policy:RulePolicy._get_possible_keys": "2915fd81711e194c",
    },
    apply=apply,
)
