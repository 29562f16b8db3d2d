"""A tracker's past states are computed once per version of the tracker, and each version resumes the last.

Each policy asks ``tracker.past_states`` for the whole conversation's states
before every prediction (Memoization, then Rule twice: for the text and for
the intent of the last message), and each call replays every event of the
conversation into a copy of the tracker: 10 % of the Rasa process's CPU in
our profile. The states depend only on the events, the domain and the
arguments, so they are kept on the tracker until an event is added, and every
caller gets its own copy (Rasa's featurizers edit the states they are given).

When an event is added, Rasa replays the whole conversation again, although
the states before it cannot have changed - unless the new event rewrites the
history Rasa replays (``applied_events``: a restart, a rewind, an undo, a
form's next run dropping its previous one). So the replay is kept on the
tracker too, with its fold's state: a later version whose applied events
start with exactly the events already replayed (the same objects) resumes
from there; any other version is replayed from the start. The fold is
``Domain.states_for_tracker_history``'s, step for step, and
tests/rasa_patches/test_state_memo.py compares the two on every prefix of real and
rewritten conversations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.generator import State
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_guard import RASA_3_6, Patch

_rasa_past_states = DialogueStateTracker.past_states
_MEMO = "_triage_past_states"  # on a tracker: (version, {arguments: states})
_REPLAYS = "_triage_replays"  # on a tracker: {arguments: Replay}

Arguments = Tuple[Any, ...]


def version(tracker: DialogueStateTracker) -> Tuple[int, int]:
    """Changes whenever an event is added (events are only ever appended to a tracker)."""
    events = tracker.events
    return len(events), id(events[-1]) if events else 0


def copy_states(states: List[State]) -> List[State]:
    """States are dicts of dicts of immutable values: two levels copy all that callers change."""
    return [{kind: dict(features) for kind, features in state.items()} for state in states]


@dataclass
class Fold:
    """What ``states_for_tracker_history`` carries from one prior tracker to the next."""

    states: List[State] = field(default_factory=list)
    last_ml_action_sub_state: Any = None
    turn_was_hidden: bool = False

    def take(self, domain: Domain, tracker: DialogueStateTracker, hide_rule_turn: bool, omit_unset_slots: bool,
             ignore_rule_only_turns: bool, rule_only_data: Dict[str, Any] | None) -> None:  # fmt: skip
        """One step of Rasa's loop: the state of ``tracker``, the tracker before an action (or the last)."""
        if ignore_rule_only_turns:
            if not self.turn_was_hidden:  # the previous ML action, from the last turn not hidden
                self.last_ml_action_sub_state = domain._get_prev_action_sub_state(tracker)
            if not tracker.followup_action and tracker.latest_action_name != tracker.active_loop_name:
                self.turn_was_hidden = hide_rule_turn
            if self.turn_was_hidden:
                return
        state = domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, rule_only_data)
            if self.states:
                domain._substitute_rule_only_user_input(state, self.states[-1])
            if self.last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = self.last_ml_action_sub_state
        self.states.append(domain._clean_state(state))


@dataclass
class Replay:
    """The conversation replayed so far: the applied events, the tracker they built, the fold over them."""

    domain: Domain  # held, so its id in the arguments cannot be reused by another domain
    applied: List[Event]
    tracker: DialogueStateTracker
    fold: Fold

    def continues(self, applied: List[Event]) -> bool:
        done = self.applied
        return len(applied) >= len(done) and all(old is new for old, new in zip(done, applied, strict=False))


def replayed_states(tracker: DialogueStateTracker, domain: Domain, key: Arguments, omit_unset_slots: bool,
                    ignore_rule_only_turns: bool, rule_only_data: Dict[str, Any] | None) -> List[State]:  # fmt: skip
    """``domain.states_for_tracker_history(tracker, ...)``, resuming this tracker's replay where it can."""
    replays: Dict[Arguments, Replay] = tracker.__dict__.setdefault(_REPLAYS, {})
    applied = tracker.applied_events()
    replay = replays.get(key)
    if replay is None or not replay.continues(applied):
        replay = replays[key] = Replay(domain, [], tracker.init_copy(), Fold())
    arguments = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    for event in applied[len(replay.applied) :]:
        if isinstance(event, ActionExecuted):
            replay.fold.take(domain, replay.tracker, event.hide_rule_turn, *arguments)
        replay.tracker.update(event)
    replay.applied = applied
    # The tracker after the last event is one more step, taken on a copy of the fold: the next version
    # resumes before it (that tracker then gets more events).
    last = Fold(list(replay.fold.states), replay.fold.last_ml_action_sub_state, replay.fold.turn_was_hidden)
    last.take(domain, replay.tracker, False, *arguments)
    return last.states


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
        states = memo[1][key] = replayed_states(self, domain, key, omit_unset_slots, ignore_rule_only_turns,
                                                rule_only_data)  # fmt: skip
    return copy_states(states)


def apply() -> None:
    DialogueStateTracker.past_states = past_states_once


PATCH = Patch(
    name="state_memo",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.shared.core.trackers:DialogueStateTracker.past_states": "5463eefb5c69d27f",
    },
    apply=apply,
)
