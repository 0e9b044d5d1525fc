"""What `triage bench` runs: options from the command line, output, exit status."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench import report
from bench.suite import Options, run

README = Path(__file__).resolve().parents[1] / "README.md"


def run_command(args: argparse.Namespace, data_dir: Path) -> int:
    """Run the suite; 1 when a figure falls below its target by a wide margin."""
    options = Options(
        quick=args.quick,
        data_dir=args.data_dir,
        cache_dir=data_dir,
        postgres_url=args.postgres or None,
        progress=True,  # the import's bar goes to stderr; stdout stays one JSON object
    )
    result = run(options)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        table = report.markdown(result)
        print(table)
        print(report.plans(result))
        if args.write_readme:
            report.write_readme(README, table)
            print(f"written to {README}", file=sys.stderr)
    for failed in result["failed_checks"]:
        print(
            f"bench: {failed['figure']} = {failed['value']} (limit {failed['target']})",
            file=sys.stderr,
        )
    return 1 if result["failed_checks"] else 0
