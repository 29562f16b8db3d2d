"""Run Rasa's prediction graphs in a fixed, precomputed order instead of through dask.

Rasa 3.6 runs the NLU and policy graphs - several times per message - with
``dask.get``, dask's synchronous scheduler: every run recomputes the needed
subgraph, builds a dask task graph and schedules it node by node. That
bookkeeping was 8.5 % of the Rasa process's CPU in our profile, for graphs
whose shape never changes after the model is loaded. Here the node order for
each set of targets is computed once and the nodes are called in that order
with exactly the arguments dask would pass: ``(node_name, output)`` pairs, an
input's ``(name, value)``, or the bare name of something nothing provides.
"""

from __future__ import annotations

from graphlib import TopologicalSorter
from typing import Any, Dict, List, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

from bot.rasa_guard import RASA_3_6, Patch

_rasa_run = DaskGraphRunner.run

Plan = List[Tuple[str, Tuple[str, ...]]]  # (node, names of what it needs), dependencies first


def execution_plan(runner: DaskGraphRunner, targets: Tuple[str, ...]) -> Plan:
    cache: Dict[Tuple[str, ...], Plan] = runner.__dict__.setdefault("_triage_plans", {})
    plan = cache.get(targets)
    if plan is None:
        schema = runner._graph_schema.minimal_graph_schema(list(targets))
        order = TopologicalSorter({name: set(node.needs.values()) for name, node in schema.nodes.items()})
        plan = [(name, tuple(schema.nodes[name].needs.values())) for name in order.static_order()
                if name in schema.nodes]  # fmt: skip
        cache[targets] = plan
    return plan


def run_in_order(self: DaskGraphRunner, inputs: Dict[str, Any] | None = None,
                 targets: List[str] | None = None) -> Dict[str, Any]:  # fmt: skip
    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    plan = execution_plan(self, run_targets)
    outputs: Dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and any(name_ == value for name_, _ in plan):
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the input names "
                "passed to the `run` method are the same as node names in the graph schema."
            )
        outputs[name] = (name, value)
    try:
        for name, needs in plan:
            if name not in outputs:  # an input given under a node's name replaces that node, as in dask
                outputs[name] = self._instantiated_nodes[name](*(outputs.get(need, need) for need in needs))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    return dict(outputs.get(target, target) for target in run_targets)


def apply() -> None:
    DaskGraphRunner.run = run_in_order


PATCH = Patch(
    name="graph_runner",
    rasa_versions=RASA_3_6,
    replaces={
        "rasa.engine.runner.dask:DaskGraphRunner.run": "45f0f52f574f3aa9",
    },
    apply=apply,
)
