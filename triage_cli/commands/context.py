"""What every command works with: sessions on the migrated database, and who is acting."""

from __future__ import annotations

import argparse
import functools
import getpass
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

from sqlalchemy.orm import Session, sessionmaker

from triage.core.settings import Settings
from triage.storage import migrate
from triage.storage.db import make_engine, make_session_factory

if TYPE_CHECKING:
    #: The `commands` object of the top-level parser, which each area adds its commands to.
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

#: A command: parsed arguments and settings in, exit code out.
Command: TypeAlias = Callable[[argparse.Namespace, Settings], int]
#: A command that also takes the sessions (see `with_sessions`).
SessionCommand: TypeAlias = Callable[[argparse.Namespace, Settings, sessionmaker[Session]], int]


def open_sessions(settings: Settings) -> sessionmaker[Session]:
    """Sessions on the configured database, migrated to the newest schema first."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    migrate.upgrade(engine)
    return make_session_factory(engine)


def with_sessions(command: SessionCommand) -> Command:
    """A command that is handed the sessions as a third argument."""

    @functools.wraps(command)
    def run(args: argparse.Namespace, settings: Settings) -> int:
        return int(command(args, settings, open_sessions(settings)))

    return run


def actor() -> str:
    """The audit trail's name for the person running the command."""
    return f"cli:{getpass.getuser()}"
