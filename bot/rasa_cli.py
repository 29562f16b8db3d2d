"""Rasa's command line, with the project's Rasa patches applied first (``bot/rasa_patches``).

``python -m bot.rasa_cli run ...`` is how the launcher starts every Rasa server, and ``make test-stories`` runs
``python -m bot.rasa_cli test core ...``, so test stories are predicted by the same patched policies and graph
runner that serve customers. The guard runs before anything is applied: a Rasa these patches were not written
for stops here with the patch's name (docs/rasa-upgrade.md).
"""

from __future__ import annotations

import sys


def main() -> None:
    from bot.rasa_patches import apply_all
    from bot.rasa_patches.guard import PatchMismatch

    try:
        apply_all()
    except PatchMismatch as mismatch:
        print(f"error: {mismatch}", file=sys.stderr)
        sys.exit(2)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
