"""The `triage` command: serve, set up, manage accounts, import and export."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from triage.core.errors import TriageError
from triage.core.settings import Settings
from triage_cli.commands import accounts, bench, learning, registry, reviews, serve, webhooks

__all__ = ["build_parser", "main"]

#: The areas in the order their commands appear in `triage --help`.
AREAS = (serve, accounts, reviews, learning, registry, webhooks, bench)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="triage", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for area in AREAS:
        area.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    settings = Settings()
    try:
        return int(args.func(args, settings))
    except TriageError as error:
        print(f"error: {error.message}", file=sys.stderr)
        for problem in getattr(error, "problems", []):
            print(f"  {problem.field}: {problem.message} ({problem.rule})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
