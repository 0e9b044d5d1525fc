"""The environment of the benchmark's child processes."""

from __future__ import annotations

import os
from pathlib import Path

#: The checkout holding `bench/` (not an installed package): children must find it too.
CHECKOUT = Path(__file__).resolve().parents[1]


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment, with the checkout on PYTHONPATH and `extra` set."""
    paths = [str(CHECKOUT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **extra}
