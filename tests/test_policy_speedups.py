"""RulePolicy's shortcut and the past-states memo give what Rasa gives, on every turn of the training data."""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import pytest
from rasa.core.agent import Agent
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.importers.importer import TrainingDataImporter

from bot.launcher import ROOT
from bot.rasa_patches import apply_all, rule_lookup, state_memo
from bot.rasa_patches.guard import original


def rasa_possible_keys():
    """Rasa's own ``_get_possible_keys``, as it was before the patches (this process has them applied)."""
    apply_all()
    return original("rasa.core.policies.rule_policy:RulePolicy._get_possible_keys")


def rule_policy(agent: Agent) -> RulePolicy:
    runner = agent.processor.graph_runner  # type: ignore[union-attr]
    return next(node._component for node in runner._instantiated_nodes.values()
                if isinstance(node._component, RulePolicy))  # fmt: skip


@pytest.fixture(scope="module")
def agent_and_trackers(trained_model: Path) -> Tuple[Agent, List]:
    """The trained model, and a tracker for every story and rule of the training data."""
    agent = Agent.load(str(trained_model))
    importer = TrainingDataImporter.load_from_dict(domain_path=str(ROOT / "domain.yml"),
                                                   training_data_paths=[str(ROOT / "data")])  # fmt: skip
    return agent, TrainingDataGenerator(importer.get_stories(), agent.domain, augmentation_factor=0).generate()


def test_the_shortcut_finds_the_keys_rasa_finds(agent_and_trackers):
    agent, trackers = agent_and_trackers
    policy, domain = rule_policy(agent), agent.domain
    checked = matched = 0
    rasas = rasa_possible_keys()
    assert rasas is not rule_lookup.possible_keys  # compared with Rasa's, not with itself
    for tracker in trackers:
        for prior, _ in tracker.generate_all_prior_trackers():
            states = policy._prediction_states(prior, domain, rule_only_data=policy._get_rule_only_data())
            for lookup in (policy.lookup[RULES], policy.lookup[RULES_FOR_LOOP_UNHAPPY_PATH]):
                expected = rasas(policy, lookup, states)
                assert rule_lookup.possible_keys(policy, lookup, states) == expected
                checked += 1
                matched += bool(expected)
    assert checked > 500 and matched > 100  # the comparison covered real rule matches, not only empty sets


def test_past_states_are_computed_once_per_event_and_each_caller_gets_its_own_copy(trained_model: Path):
    agent = Agent.load(str(trained_model))
    domain = agent.domain
    importer = TrainingDataImporter.load_from_dict(domain_path=str(ROOT / "domain.yml"),
                                                   training_data_paths=[str(ROOT / "data")])  # fmt: skip
    trackers = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0).generate()
    rule_only = rule_policy(agent)._get_rule_only_data()
    variants = [{}, {"omit_unset_slots": True}, {"ignore_rule_only_turns": True, "rule_only_data": rule_only}]
    compared = 0
    for tracker in trackers[:40]:
        for prior, _ in tracker.generate_all_prior_trackers():
            for arguments in variants:
                expected = state_memo._rasa_past_states(prior, domain, **arguments)
                first = state_memo.past_states_once(prior, domain, **arguments)
                assert first == expected
                if first and first[-1]:
                    first[-1].clear()  # a featurizer editing its states ...
                assert state_memo.past_states_once(prior, domain, **arguments) == expected  # ... changes no one else's
                compared += 1
    assert compared > 100


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


def test_each_new_event_resumes_the_replay_and_gives_rasa_s_states(trained_model: Path, monkeypatch):
    """Every prefix of real conversations (stories with forms, rules) and of a history Rasa rewrites, grown one
    event at a time as a turn grows its tracker: the resumed replay gives exactly Rasa's full replay."""
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = Agent.load(str(trained_model))
    domain = agent.domain
    importer = TrainingDataImporter.load_from_dict(domain_path=str(ROOT / "domain.yml"),
                                                   training_data_paths=[str(ROOT / "data")])  # fmt: skip
    stories = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0).generate()
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
                assert state_memo.past_states_once(growing, domain, **arguments) == state_memo._rasa_past_states(
                    growing, domain, **arguments
                )
                compared += 1
        started_per_history.append(len(replays_started) - before)
    assert compared > 1000
    assert len(replays_started) < compared / 3  # most versions resumed the replay
    # the rewritten history started over at its rewinds, undo, restart and sessions, beyond its first replays
    assert started_per_history[-1] > 3 * len(variants)
