"""`triage properties | keys | users | tokens`: who and what the service serves."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import TYPE_CHECKING

from sqlalchemy import select

from triage.access import accounts, audit
from triage.core.errors import InvalidInput, NotFound
from triage.core.settings import Settings
from triage.storage.db import unit_of_work
from triage.storage.tables import Property
from triage_cli.commands.context import actor, open_sessions

if TYPE_CHECKING:
    from triage_cli.commands.context import Subcommands


def cmd_properties_add(args: argparse.Namespace, settings: Settings) -> int:
    with unit_of_work(open_sessions(settings)) as s:
        prop = accounts.add_property(s, args.id, args.name or args.id)
        print(f"property {prop.id} added")
    return 0


def cmd_properties_list(_args: argparse.Namespace, settings: Settings) -> int:
    with unit_of_work(open_sessions(settings)) as s:
        for prop in s.scalars(select(Property).order_by(Property.id)):
            print(f"{prop.id}\t{prop.name}")
    return 0


def cmd_properties_policy(args: argparse.Namespace, settings: Settings) -> int:
    from triage.decisions.policy import validate_overrides

    with unit_of_work(open_sessions(settings)) as s:
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
                actor(),
                "policy.set",
                property_id=prop.id,
                details={"before": before, "after": prop.policy},
            )
        print(json.dumps(prop.policy, indent=2, sort_keys=True))
    return 0


def cmd_keys_create(args: argparse.Namespace, settings: Settings) -> int:
    with unit_of_work(open_sessions(settings)) as s:
        key, secret = accounts.create_api_key(s, actor(), args.property, name=args.name or "")
        print(f"API key {key.id} for {', '.join(args.property)} (shown once, store it now):")
    print(secret)
    return 0


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with unit_of_work(open_sessions(settings)) as s:
        user = accounts.add_user(s, actor(), args.email, password, args.role, args.property)
        print(f"user {user.email} ({user.role}) added")
    return 0


def cmd_tokens_create(args: argparse.Namespace, settings: Settings) -> int:
    with unit_of_work(open_sessions(settings)) as s:
        _token, secret = accounts.create_user_token(s, actor(), args.email)
        print(f"personal token for {args.email} (shown once, store it now):")
    print(secret)
    return 0


def register(commands: Subcommands) -> None:
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
