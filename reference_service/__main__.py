"""Run the reference order & billing service.

python -m reference_service --seed seeds/demo.yml --database sqlite:///var/reference.db --port 5100
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from privacy import logs
from reference_service.api import create_app
from reference_service.seed import SeedError, read_seed
from reference_service.store import Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Reference order & billing service")
    parser.add_argument("--seed", type=Path, help="YAML seed file to load (see seeds/demo.yml)")
    parser.add_argument(
        "--database",
        default=os.environ.get("REFERENCE_DATABASE_URL", "sqlite:///var/reference.db"),
        help="SQLAlchemy URL (default: sqlite:///var/reference.db)",
    )
    parser.add_argument("--reset", action="store_true", help="drop all data and reload the seed")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5100)
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logs.install()
    token = os.environ.get("REFERENCE_API_TOKEN") or None
    store = Store(args.database)
    try:
        seed = read_seed(args.seed) if args.seed else None
    except SeedError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if token is None:
        print("error: REFERENCE_API_TOKEN must be set: the service holds customers' orders and payments and never "
              "answers without a credential (`make run` generates one)", file=sys.stderr)  # fmt: skip
        return 2
    store.create_schema()
    if seed is not None and seed.get("policy", {}).get("return_window_days"):
        store.return_window_days = int(seed["policy"]["return_window_days"])
    if seed is not None and (args.reset or store.is_empty()):
        counts = store.reset(seed)
        print("seeded: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()), flush=True)
    create_app(store, token).run(host=args.host, port=args.port, access_log=False, workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
