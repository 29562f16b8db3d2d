"""A tracker's past states are computed once per version of the tracker, not once per policy.

Each policy asks ``tracker.past_states`` for the whole conversation's states
before every prediction (Memoization, then Rule twice: for the text and for
the intent of the last message), and each call replays every event of the
conversation into a copy of the tracker: 10 % of the Rasa process's CPU in
our profile. The states depend only on the events, the domain and the
arguments, so they are kept on the tracker until an event is added, and every
caller gets its own copy (Rasa's featurizers edit the states they are given).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import State
from rasa.shared.core.trackers import DialogueStateTracker

_rasa_past_states = DialogueStateTracker.past_states
_MEMO = "_triage_past_states"  # on a tracker: (version, {arguments: states})


def version(tracker: DialogueStateTracker) -> Tuple[int, int]:
    """Changes whenever an event is added (events are only ever appended to a tracker)."""
    events = tracker.events
    return len(events), id(events[-1]) if events else 0


def copy_states(states: List[State]) -> List[State]:
    """States are dicts of dicts of immutable values: two levels copy all that callers change."""
    return [{kind: dict(features) for kind, features in state.items()} for state in states]


def past_states_once(self: DialogueStateTracker, domain: Domain, omit_unset_slots: bool = False,
                     ignore_rule_only_turns: bool = False,
                     rule_only_data: Dict[str, Any] | None = None) -> List[State]:  # fmt: skip
    current = version(self)
    memo = self.__dict__.get(_MEMO)
    if memo is None or memo[0] != current:
        memo = self.__dict__[_MEMO] = (current, {})
    key = (id(domain), omit_unset_slots, ignore_rule_only_turns, json.dumps(rule_only_data, sort_keys=True))
    states = memo[1].get(key)
    if states is None:
        states = memo[1][key] = _rasa_past_states(self, domain, omit_unset_slots, ignore_rule_only_turns,
                                                  rule_only_data)  # fmt: skip
    return copy_states(states)


def apply() -> None:
    DialogueStateTracker.past_states = past_states_once
