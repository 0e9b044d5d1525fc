"""`triage bench`: the performance suite in `bench/` (a checkout's folder)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from triage.core.settings import Settings

if TYPE_CHECKING:
    from triage_cli.commands.context import Subcommands


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    """The performance suite in `bench/` (a checkout's folder, not an installed package)."""
    root = Path(__file__).resolve().parents[2]
    if (root / "bench" / "__init__.py").is_file() and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from bench.cli import run_command

    return run_command(args, settings.data_dir)


def register(commands: Subcommands) -> None:
    bench = commands.add_parser("bench", help="run the performance suite (from a checkout)")
    bench.add_argument("--quick", action="store_true", help="the short smoke mode (CI)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument(
        "--write-readme", action="store_true", help="also write the table into README.md"
    )
    bench.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    bench.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server to create throwaway databases on ('' for SQLite only)",
    )
    bench.set_defaults(func=cmd_bench)
