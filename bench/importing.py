"""Figure 4: `triage import` of a generated JSONL file: reviews/s and the child's peak memory.

The import runs the real model (as `triage import` does). Its progress bar goes
to this process's stderr; the child's own resource usage comes from `wait4`, so
the peak memory is the import's alone, not that of earlier children.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.processes import child_env


def run_import(
    url: str, cache_dir: Path, file: Path, *, load_model: bool = True, progress: bool = True
) -> dict[str, Any]:
    env = child_env(
        TRIAGE_DATABASE_URL=url,
        TRIAGE_DATA_DIR=str(cache_dir),
        TRIAGE_LOAD_MODEL="true" if load_model else "false",
    )
    command = [sys.executable, "-m", "triage_cli.main", "import", str(file)]
    if not progress:
        command.append("--quiet")
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    assert process.stdout is not None
    output = process.stdout.read()  # one summary line; read before waiting
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"triage import exited with status {process.returncode}")
    summary = json.loads(output.decode().strip().splitlines()[-1])
    from bench.serving import model_read_share

    read = model_read_share(url)
    records = sum(summary.values())
    return {
        "reviews": records,
        "created": summary["created"],
        "failed": summary["failed"],
        "seconds": round(seconds, 1),
        "reviews_per_s": round(records / seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        **read,
    }
