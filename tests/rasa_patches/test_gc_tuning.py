"""``gc_tuning``: a model loaded through Rasa's ``Agent.load_model`` is moved out of Python's full garbage
collections (which otherwise walk its millions of objects every few seconds under load)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from bot.launcher import ROOT


def test_loading_a_model_through_rasa_moves_it_out_of_garbage_collection(trained_model):
    """In a fresh interpreter, patched as the Rasa server is: nothing else there has frozen anything."""
    probe = f"""
import gc
from bot.rasa_patches import apply_all
apply_all()
from rasa.core.agent import Agent
before = gc.get_freeze_count()
Agent.load({str(trained_model)!r})
print(before, gc.get_freeze_count())
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    before, after = (int(n) for n in done.stdout.split()[-2:])
    assert before == 0 and after > 100_000
    assert gc.isenabled()  # collections of what is created afterwards go on
