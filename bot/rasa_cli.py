"""Rasa's command line, with the project's Rasa patches applied first (``bot/rasa_patches``).

``python -m bot.rasa_cli run ...`` is how the launcher starts every Rasa server, and ``make test-stories`` runs
``python -m bot.rasa_cli test core ...``, so test stories are predicted by the same patched policies and graph
runner that serve customers. Two checks run before Rasa starts: the patch guard (a Rasa these patches were not
written for stops here with the patch's name, docs/rasa-upgrade.md), and every class the endpoints file names
must import (``bot/endpoint_classes.py``: Rasa would otherwise fall back to an in-memory store in silence).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List


def endpoints_file(argv: List[str]) -> Path | None:
    """The endpoints file a Rasa command line reads (``--endpoints`` or Rasa's default), if it exists."""
    for index, argument in enumerate(argv):
        if argument == "--endpoints" and index + 1 < len(argv):
            return Path(argv[index + 1])
        if argument.startswith("--endpoints="):
            return Path(argument.partition("=")[2])
    default = Path("endpoints.yml")  # Rasa's default, relative to where it runs
    return default if default.exists() else None


def main(argv: List[str] | None = None) -> None:
    from bot.endpoint_classes import import_problems
    from bot.rasa_guard import PatchMismatch
    from bot.rasa_patches import apply_all

    arguments = sys.argv[1:] if argv is None else argv
    try:
        apply_all()
    except PatchMismatch as mismatch:
        print(f"error: {mismatch}", file=sys.stderr)
        sys.exit(2)
    endpoints = endpoints_file(arguments)
    problems = import_problems(endpoints) if endpoints is not None and endpoints.exists() else []
    if problems:
        print(f"error: {endpoints} names classes that do not load, so Rasa would run without them:\n  "
              + "\n  ".join(problems), file=sys.stderr)  # fmt: skip
        sys.exit(2)
    from rasa.__main__ import main as rasa_main

    sys.argv = [sys.argv[0], *arguments]
    rasa_main()


if __name__ == "__main__":
    main()
