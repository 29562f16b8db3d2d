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
from bot.rasa_patches import rule_lookup, state_memo

_rasa_possible_keys = RulePolicy._get_possible_keys


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
    for tracker in trackers:
        for prior, _ in tracker.generate_all_prior_trackers():
            states = policy._prediction_states(prior, domain, rule_only_data=policy._get_rule_only_data())
            for lookup in (policy.lookup[RULES], policy.lookup[RULES_FOR_LOOP_UNHAPPY_PATH]):
                expected = _rasa_possible_keys(policy, lookup, states)
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
