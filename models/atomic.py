"""Replace a directory atomically: readers see the old one or the new one, never half."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def replace_directory(built: Path, dest: Path) -> None:
    """Move the fully written `built` directory to `dest`, replacing what was there."""
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(dest, old)
        os.replace(built, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(built, dest)
