"""`triage import | retention run | erase`: reviews into the database, and anonymised again."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from triage.core.errors import InvalidInput
from triage.core.settings import Settings
from triage.privacy import retention
from triage.storage.db import unit_of_work
from triage.storage.tables import Property
from triage_cli.commands.context import actor, open_sessions

#: The shipped name tagger head (`models/name_tagger_head`), named here so that the parser
#: does not import torch.
DEFAULT_HEAD = Path(__file__).resolve().parents[2] / "models" / "name_tagger_head"

if TYPE_CHECKING:
    from triage_cli.commands.context import Subcommands

log = logging.getLogger("triage")


def cmd_retention_run(args: argparse.Namespace, settings: Settings) -> int:
    """Anonymise reviews older than --days (default TRIAGE_RETENTION_DAYS), in batches."""
    days = args.days or settings.retention_days
    if not days:
        raise InvalidInput("no retention period: set TRIAGE_RETENTION_DAYS or pass --days")
    sessions = open_sessions(settings)
    redact_text = settings.retention_text == "redact"
    names = None
    if redact_text and settings.redaction_names == "tagger":
        from models.name_tagger import load_default

        names = load_default(settings.data_dir)
    total = 0
    while True:
        with unit_of_work(sessions) as s:
            done = retention.apply_retention(s, days, redact_text=redact_text, names=names)
        total += done
        if done < retention.BATCH:
            break
    print(json.dumps({"anonymised": total, "days": days}))
    return 0


def cmd_erase(args: argparse.Namespace, settings: Settings) -> int:
    """Anonymise a guest's reviews (an erasure request), by booking reference or e-mail."""
    with unit_of_work(open_sessions(settings)) as s:
        ids = retention.erase_guest(
            s,
            actor(),
            args.property,
            booking_reference=args.booking,
            email=args.email,
        )
    print(json.dumps({"property_id": args.property, "anonymised_review_ids": ids}))
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from service.model_loading import load_classifier
    from triage.access.accounts import Principal
    from triage.core.metrics import Metrics
    from triage.intake.ingest import Ingestor

    sessions = open_sessions(settings)
    classifier = None
    if settings.load_model:
        try:
            classifier = load_classifier(settings)
        except Exception:
            log.exception("the model could not be loaded; imported reviews go to a person")
    with unit_of_work(sessions) as s:
        everything = frozenset(s.scalars(select(Property.id)))
    principal = Principal(kind="api_key", id=0, role="system", property_ids=everything)
    ingestor = Ingestor(sessions, lambda: classifier, Metrics())
    from triage_cli.importer import import_file

    try:
        report = import_file(
            Path(args.file),
            ingestor,
            principal,
            batch_size=args.batch_size,
            progress=not args.quiet,
        )
    except (OSError, UnicodeDecodeError) as error:
        print(f"error: cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    for problem in report.problems[:50]:
        print(problem, file=sys.stderr)
    if len(report.problems) > 50:
        print(f"... and {len(report.problems) - 50} more problems", file=sys.stderr)
    print(
        json.dumps(
            {"created": report.created, "existing": report.existing, "failed": report.failed}
        )
    )
    return 1 if report.failed else 0


def cmd_eval_redaction(args: argparse.Namespace, settings: Settings) -> int:
    from triage.privacy.redaction_eval import DEFAULT_FILES, evaluate, misses

    files = args.data or list(DEFAULT_FILES)
    reader = None
    if not args.rules_only:
        from models.name_tagger import load_default

        reader = load_default(settings.data_dir, args.names_head or DEFAULT_HEAD)
    result = evaluate(files, reader)
    result["name_reader"] = None if reader is None else str(args.names_head or DEFAULT_HEAD)
    if args.misses:  # the set is invented text, so printing it prints nobody's data
        result["misses"] = misses(files, reader)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def cmd_train_name_tagger(args: argparse.Namespace, settings: Settings) -> int:
    from models.embedding import resolve_encoder
    from models.encoder_build import DEFAULT_ENCODER_NAME
    from models.name_tagger import save_head, train_head
    from triage.privacy.redaction import READER_KINDS
    from triage.privacy.redaction_eval import DEVELOPMENT_FILES, name_examples

    given = args.kinds.split(",") if args.kinds is not None else READER_KINDS
    kinds = tuple(k.strip().upper() for k in given if k.strip())
    if not kinds or not set(kinds) <= set(READER_KINDS):
        raise InvalidInput(f"--kinds must be some of {', '.join(READER_KINDS)}")
    files = args.data or list(DEVELOPMENT_FILES)
    examples = name_examples(files, swaps=args.swaps, seed=args.seed)
    encoder = resolve_encoder(DEFAULT_ENCODER_NAME, cache_dir=settings.data_dir)
    head = train_head(encoder, examples, epochs=args.epochs, seed=args.seed, kinds=kinds)
    card = {
        "encoder": DEFAULT_ENCODER_NAME,
        "trained_on": [f.name for f in files],
        "examples": len(examples),
        "swaps": args.swaps,
        "epochs": args.epochs,
        "seed": args.seed,
    }
    save_head(head, args.out, card)
    print(json.dumps({"head": str(args.out), **card}, indent=2))
    return 0


def register(commands: Subcommands) -> None:

    ret = commands.add_parser("retention", help="data retention").add_subparsers(
        dest="retention", required=True
    )
    ret_run = ret.add_parser(
        "run", help="anonymise reviews older than TRIAGE_RETENTION_DAYS (or --days) now"
    )
    ret_run.add_argument("--days", type=int, help="override TRIAGE_RETENTION_DAYS")
    ret_run.set_defaults(func=cmd_retention_run)

    erase = commands.add_parser(
        "erase", help="anonymise one guest's reviews of a property (an erasure request)"
    )
    erase.add_argument("--property", required=True)
    who = erase.add_mutually_exclusive_group(required=True)
    who.add_argument("--booking", help="the booking reference")
    who.add_argument("--email", help="the guest's e-mail address")
    erase.set_defaults(func=cmd_erase)

    imp = commands.add_parser("import", help="import reviews from CSV or JSONL")
    imp.add_argument("file")
    imp.add_argument("--batch-size", type=int, default=256)
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(func=cmd_import)

    ev = commands.add_parser(
        "eval-redaction",
        help="measure the redaction of personal data on an annotated set (default: the "
        "hand-written German and English sets in triage/privacy/datasets)",
    )
    ev.add_argument("--data", type=Path, action="append", help="an annotated file (repeatable)")
    ev.add_argument("--misses", action="store_true", help="also list every missed or wrong span")
    ev.add_argument(
        "--rules-only", action="store_true", help="the rules alone, without the name tagger"
    )
    ev.add_argument("--names-head", type=Path, help="a name tagger head (default: the shipped one)")
    ev.set_defaults(func=cmd_eval_redaction)
    tr = commands.add_parser(
        "train-name-tagger",
        help="train the name tagger's head on annotated sets (default: every development set "
        "in triage/privacy/datasets; the held-out set is never trained on)",
    )
    tr.add_argument("--data", type=Path, action="append", help="an annotated file (repeatable)")
    tr.add_argument("--out", type=Path, required=True, help="the head's folder")
    tr.add_argument("--epochs", type=int, default=12)
    tr.add_argument("--swaps", type=int, default=2, help="copies of each text with names swapped")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument(
        "--kinds",
        help="the kinds the head reads, comma-separated (default: all a reader may add, as "
        "the shipped head: NAME, STAFF, ADDRESS, BOOKING, ROOM, DOB)",
    )
    tr.set_defaults(func=cmd_train_name_tagger)
