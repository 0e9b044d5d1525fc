"""The command line's shape: which commands exist, in which order, and where they live."""

from __future__ import annotations

import argparse

from triage_cli.main import build_parser

#: Every command and command group, in the order `triage --help` lists them.
COMMANDS: dict[str, list[str]] = {
    "serve": [],
    "setup": [],
    "db": ["upgrade"],
    "properties": ["add", "list", "policy"],
    "keys": ["create"],
    "users": ["add"],
    "tokens": ["create"],
    "retention": ["run"],
    "erase": [],
    "import": [],
    "eval-redaction": [],
    "train-name-tagger": [],
    "eval": [],
    "eval-touchpoints": [],
    "train-touchpoints": [],
    "train": [],
    "calibrate": [],
    "export": [],
    "models": ["list", "register", "evaluate", "promote", "rollback", "shadow"],
    "webhooks": ["list", "add", "remove", "deliveries", "resend"],
    "bench": [],
}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_the_parser_exposes_exactly_these_commands_in_this_order() -> None:
    top = _subcommands(build_parser())

    assert {name: list(_subcommands(sub)) for name, sub in top.items()} == COMMANDS
    assert list(top) == list(COMMANDS)


def test_every_command_has_a_function_from_its_area_module() -> None:
    top = _subcommands(build_parser())
    leaves = [
        (f"{name} {sub}".strip(), parser)
        for name, group in top.items()
        for sub, parser in (_subcommands(group).items() or [("", group)])
    ]

    modules = {name: parser.get_default("func").__module__ for name, parser in leaves}
    assert modules == {
        "serve": "triage_cli.commands.serve",
        "setup": "triage_cli.commands.serve",
        "db upgrade": "triage_cli.commands.serve",
        "properties add": "triage_cli.commands.accounts",
        "properties list": "triage_cli.commands.accounts",
        "properties policy": "triage_cli.commands.accounts",
        "keys create": "triage_cli.commands.accounts",
        "users add": "triage_cli.commands.accounts",
        "tokens create": "triage_cli.commands.accounts",
        "retention run": "triage_cli.commands.reviews",
        "erase": "triage_cli.commands.reviews",
        "import": "triage_cli.commands.reviews",
        "eval-redaction": "triage_cli.commands.reviews",
        "train-name-tagger": "triage_cli.commands.reviews",
        "eval": "triage_cli.commands.learning",
        "eval-touchpoints": "triage_cli.commands.learning",
        "train-touchpoints": "triage_cli.commands.learning",
        "train": "triage_cli.commands.learning",
        "calibrate": "triage_cli.commands.learning",
        "export": "triage_cli.commands.learning",
        "models list": "triage_cli.commands.registry",
        "models register": "triage_cli.commands.registry",
        "models evaluate": "triage_cli.commands.registry",
        "models promote": "triage_cli.commands.registry",
        "models rollback": "triage_cli.commands.registry",
        "models shadow": "triage_cli.commands.registry",
        "webhooks list": "triage_cli.commands.webhooks",
        "webhooks add": "triage_cli.commands.webhooks",
        "webhooks remove": "triage_cli.commands.webhooks",
        "webhooks deliveries": "triage_cli.commands.webhooks",
        "webhooks resend": "triage_cli.commands.webhooks",
        "bench": "triage_cli.commands.bench",
    }
