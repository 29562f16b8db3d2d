"""``IndexedRulePolicy``, the RulePolicy config.yml names: the trained model predicts with it, it finds exactly
the rule keys Rasa's RulePolicy finds on every turn of the training data, and looks at far fewer to do so."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Tuple

import pytest
import yaml
from rasa.core.agent import Agent
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.shared.core.domain import Domain, InvalidDomain
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.importers.importer import TrainingDataImporter

from bot.launcher import ROOT
from bot.policies.indexed_rule_policy import IndexedRulePolicy


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


def test_config_names_it_and_the_trained_model_predicts_with_it(agent_and_trackers):
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    names = [policy["name"] for policy in config["policies"]]
    assert "bot.policies.indexed_rule_policy.IndexedRulePolicy" in names and "RulePolicy" not in names
    assert type(rule_policy(agent_and_trackers[0])) is IndexedRulePolicy


def test_it_finds_the_keys_rasas_rule_policy_finds_on_every_turn(agent_and_trackers):
    agent, trackers = agent_and_trackers
    policy, domain = rule_policy(agent), agent.domain
    checked = matched = 0
    for tracker in trackers:
        for prior, _ in tracker.generate_all_prior_trackers():
            states = policy._prediction_states(prior, domain, rule_only_data=policy._get_rule_only_data())
            for lookup in (policy.lookup[RULES], policy.lookup[RULES_FOR_LOOP_UNHAPPY_PATH]):
                expected = RulePolicy._get_possible_keys(policy, lookup, states)
                assert policy._get_possible_keys(lookup, states) == expected
                checked += 1
                matched += bool(expected)
    assert checked > 500 and matched > 100  # the comparison covered real rule matches, not only empty sets


def test_it_checks_far_fewer_keys_than_rasas(agent_and_trackers, monkeypatch):
    """Rasa's checks every rule key against the newest turn, then the survivors turn by turn back to the start."""
    agent, trackers = agent_and_trackers
    policy, domain = rule_policy(agent), agent.domain
    checks: List[int] = []
    real = RulePolicy._is_rule_applicable

    def counted(self: RulePolicy, *args: Any) -> bool:
        checks.append(1)
        return real(self, *args)

    monkeypatch.setattr(RulePolicy, "_is_rule_applicable", counted)
    counts = {}
    for name, find in (
        ("ours", policy._get_possible_keys),
        ("rasa", lambda lookup, states: RulePolicy._get_possible_keys(policy, lookup, states)),
    ):
        checks.clear()
        for tracker in trackers[:30]:
            for prior, _ in tracker.generate_all_prior_trackers():
                find(policy.lookup[RULES], policy._prediction_states(prior, domain))
        counts[name] = len(checks)
    assert counts["ours"] * 3 < counts["rasa"], counts


def test_training_still_checks_the_fallback_action_against_the_domain(tmp_path):
    """Rasa's validator makes that check only for RulePolicy itself, not for a subclass; RulePolicy's training
    makes it again, and must go on doing so for this subclass."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    config = {**IndexedRulePolicy.get_default_config(), "core_fallback_action_name": "action_missing"}
    policy = IndexedRulePolicy.create(config, LocalModelStorage(tmp_path), Resource("rules"),
                                      ExecutionContext(GraphSchema({}), "test"))  # fmt: skip
    with pytest.raises(InvalidDomain, match="action_missing"):
        policy.train([], Domain.from_dict({"intents": ["greet"], "actions": ["action_x"]}))
