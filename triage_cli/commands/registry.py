"""`triage models list | register | evaluate | promote | rollback | shadow`.

Evaluation runs the version's model on the gold set (adjudicated labels in the database,
never trained on) and on the public evaluation files when they are present, and stores
one result per set. The active version is evaluated again whenever its stored result
was made on another version of a set, so the gate compares like with like.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.data import LabelledText, read_jsonl
from models.default import default_model_dir
from models.model_dir import load_model_dir
from models.prediction import SentimentClassifier
from triage.core.errors import InvalidInput
from triage.core.settings import Settings
from triage.learning import registry
from triage.storage.db import unit_of_work
from triage.storage.tables import ModelVersion
from triage_cli.commands.context import actor, with_sessions
from triage_cli.modelling import HOTEL_DATA, evaluate_rows, load_for_cli

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from triage_cli.commands.context import Subcommands

#: Public evaluation files, relative to the shared data folder; used when present.
PUBLIC_EVAL = (
    "eval/de_sb10k_test.jsonl",
    "eval/de_potts_test.jsonl",
    "eval/en_hotel_opspam_truthful.jsonl",
)
HOTEL_TEST = ("de_test.jsonl", "en_test.jsonl")


def evaluation_sets(session: Any, data_dir: Path | None) -> dict[str, list[LabelledText]]:
    """name -> rows: the gold set, the in-repository hotel tests, the public files."""
    sets: dict[str, list[LabelledText]] = {
        "gold": [
            LabelledText(f"review:{row.review_id}", row.text, row.label, row.language or "", "gold")
            for row in registry.gold_rows(session)
        ]
    }
    for name in HOTEL_TEST:
        if (HOTEL_DATA / name).is_file():
            sets[f"hotel_{Path(name).stem}"] = read_jsonl(HOTEL_DATA / name)
    if data_dir is not None:
        for name in PUBLIC_EVAL:
            if (data_dir / name).is_file():
                sets[Path(name).stem] = read_jsonl(data_dir / name)
    return sets


def _results(
    classifier: SentimentClassifier, sets: dict[str, list[LabelledText]]
) -> dict[str, dict[str, Any]]:
    out = {}
    for name, rows in sets.items():
        fingerprint = registry.fingerprint([(r.id, r.label) for r in rows])
        if not rows:
            out[name] = {"n": 0, "fingerprint": fingerprint}
            continue
        result = evaluate_rows(classifier, rows)
        out[name] = {
            "n": result["n"],
            "accuracy": round(result["accuracy"], 4),
            "macro_f1": round(result["macro_f1"], 4),
            "negative_miss_rate": round(result["negative_miss_rate"], 4),
            "automation_rate": round(result["automation_rate"], 4),
            "fingerprint": fingerprint,
        }
    return out


def _row(version: ModelVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "state": version.state,
        "shadow": version.shadow,
        "path": version.path,
        "created_at": version.created_at.isoformat(),
        "activated_at": version.activated_at.isoformat() if version.activated_at else None,
        "previous_version": version.previous_version,
        "results": (version.metrics or {}).get("sets", {}),
    }


def cmd_list(args: argparse.Namespace, settings: Settings, sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as s:
        rows = [_row(v) for v in registry.list_versions(s)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no registered versions (the service uses its configured model)")
    for row in rows:
        flags = row["state"] + (", shadow" if row["shadow"] else "")
        print(f"{row['version']:<40} {flags:<18} {row['path']}")
        for name, result in sorted(row["results"].items()):
            if result.get("n"):
                print(
                    f"    {name:<28} n={result['n']:<5} macro-F1 {result['macro_f1']:.4f}  "
                    f"negative-miss {result['negative_miss_rate']:.4f}"
                )
    return 0


def cmd_register(
    args: argparse.Namespace, settings: Settings, sessions: sessionmaker[Session]
) -> int:
    directory = load_model_dir(args.directory)
    card = directory.card
    with unit_of_work(sessions) as s:
        if registry.active(s) is None and not args.activate:
            # The first candidate: the model served until now becomes the registry's
            # active version, so the gate has a baseline and a rollback has a target.
            served = (settings.model_dir or default_model_dir()).resolve()
            registry.register(
                s, actor(), load_model_dir(served).card.version, str(served), activate=True
            )
            print(f"registered the served model {load_model_dir(served).card.version} as active")
        row = registry.register(
            s,
            actor(),
            card.version,
            str(args.directory.resolve()),
            trained_on={"data_files": [f.name for f in card.data_files]},
            activate=args.activate,
        )
        print(f"registered {row.version} as {row.state}")
    return 0


def cmd_evaluate(
    args: argparse.Namespace, settings: Settings, sessions: sessionmaker[Session]
) -> int:
    with unit_of_work(sessions) as s:
        target = registry.get(s, args.version)
        current = registry.active(s)
        sets = evaluation_sets(s, args.data_dir)
        if args.sets:
            unknown = set(args.sets) - set(sets)
            if unknown:
                raise InvalidInput(
                    f"unknown evaluation set(s) {', '.join(sorted(unknown))}; "
                    f"available: {', '.join(sorted(sets))}"
                )
            sets = {name: rows for name, rows in sets.items() if name in args.sets}
        jobs = [(target.version, target.path)]
        if current is not None and current.version != target.version:
            stored = (current.metrics or {}).get("sets", {})
            fingerprints = {
                name: registry.fingerprint([(r.id, r.label) for r in rows])
                for name, rows in sets.items()
            }
            if any(stored.get(n, {}).get("fingerprint") != f for n, f in fingerprints.items()):
                jobs.append((current.version, current.path))
    report: dict[str, Any] = {}
    for version, path in jobs:
        classifier = load_for_cli(settings, Path(path))
        results = _results(classifier, sets)
        with unit_of_work(sessions) as s:
            registry.record_evaluation(s, actor(), version, results)
        report[version] = results
    with unit_of_work(sessions) as s:
        target = registry.get(s, args.version)
        current = registry.active(s)
        verdict = registry.gate(
            target.metrics or {},
            current.metrics if current and current.version != target.version else None,
            miss_target=settings.miss_rate_target,
        )
    report["gate"] = {"passed": verdict.passed, "problems": verdict.problems}
    print(json.dumps(report, indent=2))
    return 0


def cmd_promote(
    args: argparse.Namespace, settings: Settings, sessions: sessionmaker[Session]
) -> int:
    if args.force is not None and not args.force.strip():
        raise InvalidInput("--force needs a reason")
    with unit_of_work(sessions) as s:
        row, verdict = registry.promote(
            s, actor(), args.version, miss_target=settings.miss_rate_target, force_reason=args.force
        )
        print(f"{row.version} is now active (was {row.previous_version or 'none'})")
        for problem in verdict.problems:
            print(f"  forced past: {problem}")
    return 0


def cmd_rollback(
    args: argparse.Namespace, settings: Settings, sessions: sessionmaker[Session]
) -> int:
    with unit_of_work(sessions) as s:
        row = registry.rollback(s, actor(), reason=args.reason)
        print(f"{row.version} is active again")
    return 0


def cmd_shadow(
    args: argparse.Namespace, settings: Settings, sessions: sessionmaker[Session]
) -> int:
    with unit_of_work(sessions) as s:
        row = registry.set_shadow(s, actor(), args.version, args.state == "on")
        print(f"{row.version}: shadow {'on' if row.shadow else 'off'}")
    return 0


def register(commands: Subcommands) -> None:
    """The `models` command group."""
    group = commands.add_parser(
        "models", help="model registry: list, register, evaluate, promote, rollback, shadow"
    ).add_subparsers(dest="models", required=True)
    listing = group.add_parser("list", help="registered versions with their results")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=with_sessions(cmd_list))
    reg = group.add_parser("register", help="register a model directory as a candidate")
    reg.add_argument("directory", type=Path)
    reg.add_argument("--activate", action="store_true", help="make it active (empty registry only)")
    reg.set_defaults(func=with_sessions(cmd_register))
    ev = group.add_parser(
        "evaluate", help="evaluate on the gold set and public files (and the active version)"
    )
    ev.add_argument("version")
    ev.add_argument("--data-dir", type=Path, help="the shared data folder (public eval files)")
    ev.add_argument(
        "--set",
        dest="sets",
        action="append",
        help="evaluate only on this set (repeatable): gold, hotel_de_test, hotel_en_test, "
        "or a public file's name such as de_sb10k_test",
    )
    ev.set_defaults(func=with_sessions(cmd_evaluate))
    pr = group.add_parser("promote", help="make a candidate active if it passes the gate")
    pr.add_argument("version")
    pr.add_argument("--force", metavar="REASON", help="promote past the gate, recording why")
    pr.set_defaults(func=with_sessions(cmd_promote))
    rb = group.add_parser("rollback", help="re-activate the version the active one replaced")
    rb.add_argument("--reason", required=True)
    rb.set_defaults(func=with_sessions(cmd_rollback))
    sh = group.add_parser("shadow", help="score incoming reviews with a candidate, beside routing")
    sh.add_argument("version")
    sh.add_argument("state", choices=["on", "off"])
    sh.set_defaults(func=with_sessions(cmd_shadow))
