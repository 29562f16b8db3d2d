"""Rasa's RulePolicy, looking only at the rules that can match, and only as far back as they reach.

Named in config.yml as ``bot.policies.indexed_rule_policy.IndexedRulePolicy`` with RulePolicy's settings; it
trains, persists and predicts exactly as RulePolicy does. Rasa's ``_get_possible_keys`` checks every rule key
against the newest turn, then filters the survivors turn by turn back to the start of the conversation: 12 % of
the Rasa process's CPU in our profile, growing with every turn. Two shortcuts give the same keys:

- A rule whose newest state names a previous action matches only a turn whose previous action has that name
  (``_does_rule_match_state``). The keys are indexed once by that name, and the newest turn is checked against
  the keys filed under its own previous action and those that name none.
- A rule is applicable at any turn further back than its own length (``_is_rule_applicable`` returns ``True``
  there), so once the walk is past the longest remaining rule, nothing more can drop out and it stops.

Each remaining check is still Rasa's own ``_is_rule_applicable``.

Rasa's recipe validator looks for ``uses == RulePolicy`` rather than a subclass in two places: it checks the
configured fallback action against the domain (RulePolicy's own ``train`` checks it again, so nothing is lost),
and it warns that no RulePolicy is configured (that false warning is filtered, by its exact text, once this
module is loaded).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, List, Set

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
from rasa.shared.core.generator import State
from rasa.shared.nlu.constants import ACTION_NAME

from bot.rasa_guard import RASA_3_6, Patch, require_unchanged

warnings.filterwarnings("ignore", message=r"'RulePolicy' is not included in the model's policy configuration")


@dataclass(frozen=True)
class RuleIndex:
    by_previous_action: Dict[str, Set[str]]  # keys whose newest state requires that previous action
    unconstrained: Set[str]  # keys whose newest state names no previous action
    size: int  # len(lookup) when indexed: a changed lookup is indexed again


def candidates(index: RuleIndex, newest_state: State) -> Set[str]:
    named = (newest_state.get(PREVIOUS_ACTION) or {}).get(ACTION_NAME)
    if not isinstance(named, str):
        return index.unconstrained
    return index.unconstrained | index.by_previous_action.get(named, set())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class IndexedRulePolicy(RulePolicy):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        require_unchanged(RASA_OVERRIDES)
        super().__init__(*args, **kwargs)
        self._rule_indexes: Dict[int, RuleIndex] = {}  # by id() of the lookup table indexed (rules, loop rules)

    def _required_previous_action(self, key: str) -> str | None:
        states = self._rule_key_to_state(key)
        name = (states[-1].get(PREVIOUS_ACTION) or {}).get(ACTION_NAME) if states else None
        return name if isinstance(name, str) and name != SHOULD_NOT_BE_SET else None

    def _index_of(self, lookup: Dict[str, str]) -> RuleIndex:
        index = self._rule_indexes.get(id(lookup))
        if index is None or index.size != len(lookup):
            by_previous_action: Dict[str, Set[str]] = defaultdict(set)
            unconstrained: Set[str] = set()
            for key in lookup:
                name = self._required_previous_action(key)
                (by_previous_action[name] if name else unconstrained).add(key)
            index = self._rule_indexes[id(lookup)] = RuleIndex(dict(by_previous_action), unconstrained, len(lookup))
        return index

    def _longest_rule(self, keys: Set[str]) -> int:
        return max((len(self._rule_key_to_state(key)) for key in keys), default=0)

    def _get_possible_keys(self, lookup: Dict[str, str], states: List[State]) -> Set[str]:
        if not states:
            return set(lookup.keys())
        keys = candidates(self._index_of(lookup), states[-1])
        for turn_index, state in enumerate(reversed(states)):
            keys = {key for key in keys if self._is_rule_applicable(key, turn_index, state)}
            if not keys or turn_index + 1 >= self._longest_rule(keys):
                break  # every remaining key is applicable from here back: nothing more can change
        return keys


# What the subclass overrides, in the Rasa it was written against (checked at start-up: bot/rasa_guard.py).
RASA_OVERRIDES = Patch(
    name="IndexedRulePolicy",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.core.policies.rule_policy:RulePolicy.__init__": "a415f8eb6ecaed0f",
        "rasa.core.policies.rule_policy:RulePolicy._get_possible_keys": "2915fd81711e194c",
    },
    kind="subclass",
)
