"""``make report FROM=2026-11-01 TO=2026-11-30``: the support-load report as Markdown, PNG charts and JSON.

python -m analytics --from 2026-11-01 --to 2026-11-30 [--channel sms] [--intent x] [--queue y] --out results/report
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import List

from analytics.charts import draw
from analytics.markdown import render
from analytics.report import BadFilter, compute, parse_filter, to_csv
from analytics.runtime import analytics_store
from analytics.settings import settings
from handoff.settings import settings as handoff_settings


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the support-load report (docs/analytics.md)")
    for name in ("from", "to", "channel", "intent", "queue"):
        parser.add_argument(f"--{name}", default=None)
    parser.add_argument("--out", type=Path, default=Path("results/report"))
    args = parser.parse_args(argv)
    config = settings()
    try:
        where = parse_filter({k: getattr(args, k) for k in ("from", "to", "channel", "intent", "queue")}, config,
                             date.today())  # fmt: skip
    except BadFilter as bad:
        print(f"error: {bad}", file=sys.stderr)
        return 2
    report = compute(analytics_store().engine, where, config, handoff_settings(), time.time())
    args.out.mkdir(parents=True, exist_ok=True)
    charts = draw(report, args.out)
    (args.out / "report.md").write_text(render(report, charts), encoding="utf-8")
    (args.out / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    (args.out / "report.csv").write_text(to_csv(report), encoding="utf-8")
    print(f"{args.out / 'report.md'}: {report['conversations']['total']} conversations, "
          f"{len(charts)} charts, JSON and CSV beside it")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
