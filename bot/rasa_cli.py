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
from typing import List, Tuple


def endpoints_file(argv: List[str]) -> Tuple[Path | None, bool]:
    """The endpoints file this Rasa command line reads, parsed as Rasa parses it (abbreviations, repeats and
    defaults included), and whether it was named explicitly; ``None`` for a command that reads none."""
    from rasa.__main__ import create_argument_parser

    try:
        arguments, _ = create_argument_parser().parse_known_args(argv)
    except SystemExit:
        return None, False  # Rasa reports the bad command line itself
    path = getattr(arguments, "endpoints", None)
    if not isinstance(path, str):
        return None, False
    explicit = any(a.startswith("--end") for a in argv)  # argparse takes any unambiguous prefix
    return Path(path), explicit


def endpoints_problems(path: Path | None, explicit: bool) -> List[str]:
    from bot.endpoint_classes import import_problems, read_endpoints, stock_types

    if path is None:
        return []
    if not path.exists():
        # Rasa logs "file not found" and runs with an in-memory tracker store and no event broker.
        return [f"{path} does not exist"] if explicit else []
    endpoints = read_endpoints(path)
    for section, kind in stock_types(endpoints).items():
        print(f"warning: {path} names Rasa's own {section} type {kind!r}, without the project's fixes "
              "(docs/rasa-upgrade.md)", file=sys.stderr)  # fmt: skip
    return import_problems(endpoints)


def main(argv: List[str] | None = None) -> None:
    from bot.rasa_guard import PatchMismatch
    from bot.rasa_patches import apply_all

    arguments = sys.argv[1:] if argv is None else argv
    try:
        apply_all()
    except PatchMismatch as mismatch:
        print(f"error: {mismatch}", file=sys.stderr)
        sys.exit(2)
    endpoints, explicit = endpoints_file(arguments)
    problems = endpoints_problems(endpoints, explicit)
    if problems:
        print(f"error: {endpoints} names classes that do not load, so Rasa would run without them:\n  "
              + "\n  ".join(problems), file=sys.stderr)  # fmt: skip
        sys.exit(2)
    from rasa.__main__ import main as rasa_main

    sys.argv = [sys.argv[0], *arguments]
    rasa_main()


if __name__ == "__main__":
    main()
