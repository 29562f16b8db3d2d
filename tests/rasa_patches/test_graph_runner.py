"""``graph_runner``: Rasa's ``DaskGraphRunner.run`` runs prediction graphs in a precomputed order, without
dask, and gives what dask gives. Rasa's own is the original captured before any patch went in."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.engine.runner import dask as rasa_dask_runner

from bot.launcher import ROOT
from bot.rasa_guard import original
from bot.tools.nlu_scores import load_examples

TARGET = "rasa.engine.runner.dask:DaskGraphRunner.run"


@pytest.fixture(scope="module")
def agent(trained_model) -> Agent:
    return Agent.load(str(trained_model))


def held_out_texts() -> list:
    examples = load_examples(sorted(ROOT.joinpath("tests", "nlu", "heldout").glob("*.yml")))
    return [example.text for example in examples][:60]


def test_graphs_run_in_order_parse_as_dask_does(agent, monkeypatch):
    texts = held_out_texts()
    in_order = [asyncio.run(agent.parse_message(text)) for text in texts]
    monkeypatch.setattr(rasa_dask_runner.DaskGraphRunner, "run", original(TARGET))
    with_dask = [asyncio.run(agent.parse_message(text)) for text in texts]
    assert in_order == with_dask
    assert len({parse["intent"]["name"] for parse in in_order}) > 5


def test_a_prediction_does_not_go_through_dask(agent, monkeypatch):
    """Rasa's own builds a dask task graph and schedules it node by node on every parse and prediction."""

    def no_dask(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("dask.get was called")

    monkeypatch.setattr(rasa_dask_runner.dask, "get", no_dask)
    parse = asyncio.run(agent.parse_message("where is my order 10023"))
    assert parse["intent"]["name"]
