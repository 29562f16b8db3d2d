"""What ``sqlite_wal`` and ``gc_tuning`` do, seen through Rasa's own entry points: each fails without its patch
(``make patch-mutations``)."""

from __future__ import annotations

import gc
import sqlite3
import subprocess
import sys

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.pool import NullPool

from bot.launcher import ROOT
from bot.rasa_patches import apply_all


def test_rasas_sqlite_tracker_store_keeps_pooled_connections_in_write_ahead_logging(tmp_path):
    apply_all()
    database = tmp_path / "trackers.db"
    store = SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(database))
    assert not isinstance(store.engine.pool, NullPool)  # Rasa's own: a new connection for every session
    with store.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    with sqlite3.connect(database) as reader:  # the mode is the file's: any connection sees it
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_loading_a_model_through_rasa_moves_it_out_of_garbage_collection(trained_model):
    """In a fresh interpreter: nothing else there has frozen anything."""
    probe = f"""
import gc, os
from bot.rasa_patches import apply_all
apply_all()
from rasa.core.agent import Agent
before = gc.get_freeze_count()
Agent.load({str(trained_model)!r})
print(before, gc.get_freeze_count())
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    before, after = (int(n) for n in done.stdout.split()[-2:])
    assert before == 0 and after > 100_000
    assert gc.isenabled()  # collections of what is created afterwards go on
