"""``state_memo``: ``DialogueStateTracker.past_states``, the call every policy makes before predicting, gives
Rasa's states on every prefix of real and rewritten conversations, computed once per version of the tracker
and resumed from the last version instead of replayed from the start. Rasa's own is the original captured
before any patch went in."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

import pytest
from rasa.core.agent import Agent
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from bot.launcher import ROOT
from bot.rasa_guard import original
from bot.rasa_patches import state_memo

TARGET = "rasa.shared.core.trackers:DialogueStateTracker.past_states"


def rasas_past_states(tracker: Any, domain: Domain, **arguments: Any) -> Any:
    return original(TARGET)(tracker, domain, **arguments)


def rule_policy(agent: Agent) -> RulePolicy:
    runner = agent.processor.graph_runner  # type: ignore[union-attr]
    return next(node._component for node in runner._instantiated_nodes.values()
                if isinstance(node._component, RulePolicy))  # fmt: skip


@pytest.fixture(scope="module")
def agent(trained_model: Path) -> Agent:
    return Agent.load(str(trained_model))


def story_trackers(domain: Domain) -> List[Any]:
    importer = TrainingDataImporter.load_from_dict(domain_path=str(ROOT / "domain.yml"),
                                                   training_data_paths=[str(ROOT / "data")])  # fmt: skip
    return TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0).generate()


def as_served(tracker: Any, domain: Domain) -> DialogueStateTracker:
    """The generator's trackers cache states their own way (``TrackerWithCachedStates``); a served
    conversation is a plain ``DialogueStateTracker``."""
    return DialogueStateTracker.from_events(tracker.sender_id, list(tracker.events), domain.slots)


def test_past_states_are_rasas_and_each_caller_gets_its_own_copy(agent):
    domain = agent.domain
    rule_only = rule_policy(agent)._get_rule_only_data()
    variants = [{}, {"omit_unset_slots": True}, {"ignore_rule_only_turns": True, "rule_only_data": rule_only}]
    compared = 0
    for tracker in story_trackers(domain)[:40]:
        for generated, _ in tracker.generate_all_prior_trackers():
            prior = as_served(generated, domain)
            for arguments in variants:
                expected = rasas_past_states(prior, domain, **arguments)
                first = prior.past_states(domain, **arguments)
                assert first == expected
                if first and first[-1]:
                    first[-1].clear()  # a featurizer editing its states ...
                assert prior.past_states(domain, **arguments) == expected  # ... changes no one else's
                compared += 1
    assert compared > 100


def test_an_unchanged_tracker_is_not_replayed_again(agent, monkeypatch):
    """Rasa's own replays the whole conversation on every call: Memoization, then Rule twice, per prediction."""
    tracker = DialogueStateTracker.from_events("someone", rewritten_history(agent.domain), agent.domain.slots)
    tracker.past_states(agent.domain)
    replayed: List[int] = []
    real = Domain.states_for_tracker_history

    def counted(self: Domain, *args: Any, **kwargs: Any) -> Any:
        replayed.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Domain, "states_for_tracker_history", counted)
    for _ in range(3):
        assert tracker.past_states(agent.domain) == rasas_past_states(tracker, agent.domain)
    assert len(replayed) == 3  # Rasa's three replays in the comparison, none in the calls compared


def rewritten_history(domain) -> List:
    """Events whose replay Rasa rewrites: a form's next run, rewinds, an undo, a restart, a new session."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        ActiveLoop,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )  # fmt: skip

    def said(text: str, intent: str) -> UserUttered:
        return UserUttered(text, {"name": intent, "confidence": 0.9})

    return [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        said("hi", "greet"), ActionExecuted("utter_greet"), ActionExecuted("action_listen"),
        said("where is my order", "order_status"), ActionExecuted("order_lookup_form"),
        ActiveLoop("order_lookup_form"), SlotSet("requested_slot", "order_number"), ActionExecuted("action_listen"),
        said("10023", "inform"), ActionExecuted("order_lookup_form"), SlotSet("order_number", "10023"),
        SlotSet("requested_slot", "customer_contact"), ActionExecuted("action_listen"),
        said("blah", "nlu_fallback"), UserUtteranceReverted(), ActionExecuted("action_listen"),
        said("a@b.example", "inform"), ActionExecuted("order_lookup_form"), SlotSet("requested_slot", None),
        ActiveLoop(None), ActionExecuted("action_order_status"), ActionReverted(), ActionExecuted("action_listen"),
        said("thanks", "thank"), ActionExecuted("utter_goodbye"), Restarted(), ActionExecuted("action_listen"),
        said("hello again", "greet"), ActionExecuted("utter_greet"), ActionExecuted("action_session_start"),
        SessionStarted(), ActionExecuted("action_listen"), said("bye", "goodbye"),
    ]  # fmt: skip


def test_each_new_event_resumes_the_replay_and_gives_rasa_s_states(agent, monkeypatch):
    """Every prefix of real conversations (stories with forms, rules) and of a history Rasa rewrites, grown one
    event at a time as a turn grows its tracker: the resumed replay gives exactly Rasa's full replay."""

    domain = agent.domain
    stories = story_trackers(domain)
    histories = [list(tracker.events) for tracker in stories[:60]] + [rewritten_history(domain)]
    rule_only = rule_policy(agent)._get_rule_only_data()
    variants = [{}, {"omit_unset_slots": True}, {"ignore_rule_only_turns": True, "rule_only_data": rule_only}]
    replays_started = []
    real_replay = state_memo.Replay

    def counted_replay(*args):
        replays_started.append(args)
        return real_replay(*args)

    monkeypatch.setattr(state_memo, "Replay", counted_replay)
    compared = 0
    started_per_history = []
    for events in histories:
        before = len(replays_started)
        growing = DialogueStateTracker("someone", domain.slots)
        for event in events:
            growing.update(event)
            for arguments in variants:
                assert growing.past_states(domain, **arguments) == rasas_past_states(growing, domain, **arguments)
                compared += 1
        started_per_history.append(len(replays_started) - before)
    assert compared > 1000
    assert len(replays_started) < compared / 3  # most versions resumed the replay
    # the rewritten history started over at its rewinds, undo, restart and sessions, beyond its first replays
    assert started_per_history[-1] > 3 * len(variants)
