"""`triage eval | eval-touchpoints | train-touchpoints | train | calibrate | export`.

Measuring and training models, and exporting the reviews and labels they learn from
(the export is `triage.learning.export`, so it lives here rather than beside `import`).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.finetune import FineTuneConfig
from triage.core.errors import InvalidInput
from triage.core.settings import Settings
from triage.storage.db import unit_of_work
from triage_cli.commands.context import open_sessions

if TYPE_CHECKING:
    from triage_cli.commands.context import Subcommands

log = logging.getLogger("triage")


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from triage_cli.modelling import dumps, evaluate_file, load_for_cli, table

    classifier = load_for_cli(settings, args.model)
    results = [evaluate_file(classifier, Path(f), plots=args.plots) for f in args.data]
    if args.json:
        print(dumps(results[0] if len(results) == 1 else {"files": results}))
    else:
        print("\n\n".join(table(r) for r in results))
        if args.plots:
            print(f"\nplots written to {args.plots}")
    return 0


def cmd_eval_touchpoints(args: argparse.Namespace, settings: Settings) -> int:
    from models.touchpoints import DetectorConfig
    from triage_cli.modelling import load_for_cli
    from triage_cli.touchpoint_eval import evaluate, read_rows, sweep

    rows = [row for path in args.data for row in read_rows(path)]
    classifier = load_for_cli(settings, args.model)
    config = DetectorConfig()
    if args.threshold is not None or args.max_semantic is not None:
        config = DetectorConfig(
            threshold=config.threshold if args.threshold is None else args.threshold,
            max_semantic=config.max_semantic if args.max_semantic is None else args.max_semantic,
        )
    inner = getattr(classifier, "inner", classifier)  # the batching wrapper is not in the way
    result: dict[str, Any] = evaluate(inner, rows, config)
    if args.sweep:
        result["sweep"] = sweep(inner, rows, config)
    print(json.dumps(result, indent=2))
    return 0


def cmd_train_touchpoints(args: argparse.Namespace, settings: Settings) -> int:
    from models.default import default_model_dir
    from triage.journeys.journey import touchpoint_training_rows
    from triage_cli.modelling import load_for_cli
    from triage_cli.touchpoint_eval import read_rows, train_head_dir

    rows = [row for path in args.data or [] for row in read_rows(path)]
    if args.with_labels:
        with unit_of_work(open_sessions(settings)) as s:
            rows += [{"text": t, "touchpoints": c} for t, c in touchpoint_training_rows(s)]
    dev = [row for path in args.dev or [] for row in read_rows(path)]
    source = args.model or settings.model_dir or default_model_dir()
    classifier = load_for_cli(settings, source)
    inner = getattr(classifier, "inner", classifier)
    report = train_head_dir(inner, source, args.out, rows, version=args.version, dev=dev)
    print(json.dumps(report, indent=2))
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from models.data import write_jsonl
    from models.recipe import train_model
    from triage_cli.modelling import default_files, exported_label_rows, verdict_rows

    train, dev = list(args.train or []), list(args.dev or [])
    if args.data_dir is not None:
        default_train, default_dev = default_files(args.data_dir)
        train, dev = train + default_train, dev + default_dev
    if not train or not dev:
        raise InvalidInput("name training and validation files (--train/--dev or --data-dir)")
    missing = [str(p) for p in [*train, *dev] if not p.is_file()]
    if missing:
        raise InvalidInput(f"missing data files: {', '.join(missing)}")
    extra = verdict_rows(settings) if args.with_verdicts else []
    for path in args.labels or []:
        labelled, held_out = exported_label_rows(path)
        extra += labelled
        if held_out:
            dev_path = settings.data_dir / "models" / f".dev-{path.stem}.jsonl"
            write_jsonl(dev_path, held_out)
            dev.append(dev_path)
    config = FineTuneConfig(
        **{
            **_config_overrides(args.set or []),
            "seed": args.seed,
            "epochs": args.epochs,
            "in_domain_weight": args.in_domain_weight,
        }
    )
    version = args.version or "e5s-lora-" + datetime.now(UTC).strftime("%Y%m%d-%H%M")
    out = args.out or settings.data_dir / "models" / version
    train_model(
        train,
        dev,
        out,
        cache_dir=settings.data_dir,
        version=version,
        encoder=settings.encoder or "intfloat/multilingual-e5-small",
        config=config,
        extra_rows=extra,
        max_per_file=args.max_per_file,
        inference_max_length=args.window,
        inference_stride=max(1, args.window * 3 // 4),
        progress=log.info,
    )
    print(out)
    return 0


def _config_overrides(pairs: list[str]) -> dict[str, object]:
    """`KEY=VALUE` pairs for FineTuneConfig, typed like its fields."""
    defaults = FineTuneConfig().as_dict()
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or key not in defaults:
            raise InvalidInput(
                f"--set {pair!r}: use KEY=VALUE with KEY one of {', '.join(sorted(defaults))}"
            )
        kind = type(defaults[key])
        try:
            out[key] = raw.lower() in ("1", "true", "yes") if kind is bool else kind(raw)
        except ValueError:
            raise InvalidInput(f"--set {pair!r}: {key} takes a {kind.__name__}") from None
    return out


def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from models.model_dir import load_model_dir
    from models.recipe import recalibrate

    recalibrate(args.model, args.dev, cache_dir=settings.data_dir, tune_offsets=args.tune_offsets)
    card = load_model_dir(args.model).card
    print(
        json.dumps(
            {
                "version": card.version,
                "temperature": card.temperature,
                "auto_threshold": card.auto_threshold,
                "metrics": card.metrics,
            },
            indent=2,
        )
    )
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from triage.learning.export import export_records, training_records

    if not args.training and (args.redact or args.dev_share):
        raise InvalidInput("--redact and --dev-share go with --training")
    if args.redact_staff and not args.redact:
        raise InvalidInput("--redact-staff goes with --redact")
    if args.redact_rules_only and not args.redact:
        raise InvalidInput("--redact-rules-only goes with --redact")
    names = None
    if args.redact and not args.redact_rules_only:
        from models.name_tagger import load_default

        names = load_default(settings.data_dir)
    found: Counter[str] = Counter()
    if not 0.0 <= args.dev_share < 1.0:
        raise InvalidInput("--dev-share must be at least 0 and below 1")
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    count = 0
    try:
        with unit_of_work(open_sessions(settings)) as s:
            records = (
                training_records(
                    s,
                    args.property or None,
                    redact_text=args.redact,
                    redact_staff=args.redact_staff,
                    names=names,
                    found=found,
                    dev_share=args.dev_share,
                    group_by=args.group_by,
                )
                if args.training
                else export_records(s, args.property or None)
            )
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
    finally:
        if args.output:
            out.close()
    print(f"exported {count} reviews", file=sys.stderr)
    if args.redact:
        # What was found, by kind; never the data itself.
        print(f"redacted: {json.dumps(dict(sorted(found.items())))}", file=sys.stderr)
    return 0


def register(commands: Subcommands) -> None:
    ev = commands.add_parser("eval", help="evaluate a model on labelled JSONL files")
    ev.add_argument(
        "--data",
        type=Path,
        action="append",
        required=True,
        help="JSONL with text, label and optionally lang (repeatable)",
    )
    ev.add_argument("--model", type=Path, help="model directory (default: the served one)")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--plots", type=Path, help="write confusion and reliability PNGs here")
    ev.set_defaults(func=cmd_eval)

    et = commands.add_parser(
        "eval-touchpoints", help="measure touchpoint detection on hand-labelled sentences"
    )
    et.add_argument("--data", type=Path, action="append", required=True)
    et.add_argument("--model", type=Path, help="model directory (default: the served one)")
    et.add_argument("--threshold", type=float, help="similarity threshold (default: the model's)")
    et.add_argument("--max-semantic", type=int, help="most touchpoints from similarity alone")
    et.add_argument(
        "--sweep", action="store_true", help="also try a grid of settings (development data only)"
    )
    et.set_defaults(func=cmd_eval_touchpoints)

    tt = commands.add_parser(
        "train-touchpoints",
        help="train a touchpoint head on labelled sentences; writes a new model version",
    )
    tt.add_argument("--data", type=Path, action="append", help="touchpoint JSONL (repeatable)")
    tt.add_argument(
        "--with-labels", action="store_true", help="add the trainers' touchpoint labels"
    )
    tt.add_argument("--dev", type=Path, action="append", help="report micro-F1 on these files")
    tt.add_argument("--model", type=Path, help="the model to extend (default: the served one)")
    tt.add_argument("--version", required=True)
    tt.add_argument("--out", type=Path, required=True)
    tt.set_defaults(func=cmd_train_touchpoints)

    tr = commands.add_parser("train", help="train a new model version directory")
    tr.add_argument(
        "--data-dir",
        type=Path,
        help="the shared data folder: its standard train and dev files, plus the "
        "hand-written hotel reviews in the repository",
    )
    tr.add_argument("--train", type=Path, action="append", help="training JSONL (repeatable)")
    tr.add_argument("--dev", type=Path, action="append", help="validation JSONL (repeatable)")
    tr.add_argument(
        "--with-verdicts",
        action="store_true",
        help="add the human verdicts stored in the database (in-domain)",
    )
    tr.add_argument(
        "--labels",
        type=Path,
        action="append",
        help="labels exported with `triage export --training` (in-domain; split=dev rows "
        "join the validation data)",
    )
    tr.add_argument("--in-domain-weight", type=float, default=3.0)
    tr.add_argument("--epochs", type=int, default=FineTuneConfig().epochs)
    tr.add_argument("--seed", type=int, default=13)
    tr.add_argument("--max-per-file", type=int, help="cap rows per file (quick runs)")
    tr.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a FineTuneConfig field, e.g. first_trained_layer=6",
    )
    tr.add_argument(
        "--window", type=int, default=256, help="tokens per inference window of the written model"
    )
    tr.add_argument("--version")
    tr.add_argument("--out", type=Path, help="default: <data dir>/models/<version>")
    tr.set_defaults(func=cmd_train)

    cal = commands.add_parser(
        "calibrate", help="refit a model's temperature and auto threshold on validation files"
    )
    cal.add_argument("--model", type=Path, required=True)
    cal.add_argument("--dev", type=Path, action="append", required=True)
    cal.add_argument(
        "--tune-offsets",
        action="store_true",
        help="also shift the class biases to maximise validation macro-F1",
    )
    cal.set_defaults(func=cmd_calibrate)

    exp = commands.add_parser("export", help="export reviews with decisions and labels (JSONL)")
    exp.add_argument("--output", "-o")
    exp.add_argument("--property", action="append")
    exp.add_argument(
        "--training",
        action="store_true",
        help="labelled reviews only, as training rows (current label and its provenance; "
        "gold-set reviews left out)",
    )
    exp.add_argument(
        "--redact",
        action="store_true",
        help="replace personal data (names, e-mail, phone, address, booking and room numbers, "
        "IBAN, card, date of birth) with typed placeholders; staff names are kept",
    )
    exp.add_argument(
        "--redact-staff", action="store_true", help="with --redact: replace staff names too"
    )
    exp.add_argument(
        "--redact-rules-only",
        action="store_true",
        help="with --redact: the rules alone, without the name tagger (about 30 times faster, "
        "misses more names)",
    )
    exp.add_argument(
        "--dev-share", type=float, default=0.0, help="share of groups marked split=dev"
    )
    exp.add_argument(
        "--group-by",
        choices=["booking", "property"],
        default="booking",
        help="what stays on one side of the split (a booking/guest, or a whole property)",
    )
    exp.set_defaults(func=cmd_export)
