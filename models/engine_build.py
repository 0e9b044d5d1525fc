"""Building a model's engine files in a child process (`models.engines`).

`load_classifier` builds them here when they are missing (the first start on a machine, a
promoted version): the ONNX export and the int8 quantisation hold about 4 GB for half a
minute and import exporter and optimiser libraries that would otherwise stay in the serving
process for good (measured: a promotion built in process left it 200 MB larger, and its
peak at 6.3 GB). The child writes the files and exits; the caller then loads them.

    python -m models.engine_build MODEL_DIR --cache-dir DIR [--encoder E] [--threads N]
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from models.errors import ModelLoadError

logger = logging.getLogger(__name__)

#: Lines of the child's own log kept for the error when it fails.
TAIL_LINES = 20


def build_in_child(model_dir: Path, *, encoder: str | None, cache_dir: Path, threads: int) -> None:
    """Build the engine files of `model_dir` into `cache_dir` in a child process; a
    `ModelLoadError` with the end of its log if it fails."""
    command = [
        sys.executable,
        "-m",
        "models.engine_build",
        str(Path(model_dir).resolve()),
        "--cache-dir",
        str(Path(cache_dir).resolve()),
        "--threads",
        str(threads),
    ]
    if encoder is not None:
        command += ["--encoder", encoder]
    logger.info("building the engine files of %s in a child process", model_dir)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-TAIL_LINES:])
        raise ModelLoadError(
            f"building the engine files failed (exit status {done.returncode}):\n{tail}"
        )
    logger.info("engine files built in a child process in %.0f s", time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.engine_build", description=__doc__)
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--encoder")
    parser.add_argument("--threads", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from models.transformer import prepare_engine_files

    try:
        prepare_engine_files(
            args.model_dir, encoder=args.encoder, cache_dir=args.cache_dir, threads=args.threads
        )
    except ModelLoadError as error:
        logger.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
