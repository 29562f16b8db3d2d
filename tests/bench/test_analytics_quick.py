"""``python -m bench.analytics --quick`` for real (SQLite files, RabbitMQ on loopback, the consumer as a process).

Its figures are worth reading only if what it measures is right: every event published reaches the store
exactly once, the load stores every event it generated, and the report counts what the generator meant.
Timings are the benchmark's business, never asserted here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.analytics import main

# The report's repeat contact misses customers whose conversations got different identities (one verified, one
# not): a known limitation the benchmark reports beside the figure, not a fault of the benchmark.
KNOWN_DIFFERENCES = {"repeat_contact_24h"}


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work: Path = tmp_path_factory.mktemp("bench-analytics")
    return main(["--quick", "--reload", "--work", str(work), "--results", str(work / "analytics.json")])


def test_every_generated_event_is_stored_once_and_every_conversation_reported(quick: dict) -> None:
    load = quick["load"]
    assert load["events_stored"] == load["events_kept"] == load["events_in_store"] > 0
    for label in ("whole_period", "channel_sms"):
        assert quick["report"][label]["runs_s"], label
    assert quick["report"]["whole_period"]["conversations"] == load["conversations"] == 2_000
    assert quick["report"]["channel_sms"]["conversations"] == load["expected"]["channels"]["sms"]


def test_the_report_counts_what_the_generator_meant(quick: dict) -> None:
    differing = {name for name, check in quick["report"]["checks"].items() if not check["ok"]}
    assert differing <= KNOWN_DIFFERENCES, {name: quick["report"]["checks"][name] for name in differing}


def test_every_message_published_to_the_consumer_is_stored_exactly_once(quick: dict) -> None:
    live = quick["consumer"]
    assert live["received"] == live["published"]
    assert live["stored"] == live["distinct_events"] == live["in_store"] > 0
    assert live["rejected"] == 0
    assert live["steady"]["drained"]
