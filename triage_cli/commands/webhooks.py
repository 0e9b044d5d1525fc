"""`triage webhooks`: register endpoints, read their deliveries, send one again (an
operator's alternative to the API and the Webhooks page)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from triage.core.settings import Settings
from triage.events.outbox import EVENT_TYPES
from triage.storage.db import unit_of_work
from triage.webhooks import deliveries, endpoints
from triage_cli.commands.context import actor, with_sessions

if TYPE_CHECKING:
    from triage_cli.commands.context import Subcommands


@with_sessions
def cmd_list(args: argparse.Namespace, _settings: Settings, sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as s:
        for e in endpoints.list_for(s, actor(), args.property):
            counts = deliveries.counts(s, [e.id])
            state = "enabled" if e.enabled else "disabled"
            print(
                f"{e.id}\t{e.property_id}\t{e.url}\t{state}\t{','.join(e.events)}\t"
                + " ".join(f"{k}={v}" for k, v in counts.items())
            )
    return 0


@with_sessions
def cmd_add(args: argparse.Namespace, _settings: Settings, sessions: sessionmaker[Session]) -> int:
    change = endpoints.EndpointChange(
        url=args.url,
        events=args.event or list(EVENT_TYPES),
        description=args.description,
        allow_private=args.allow_private,
        redact_notes=args.redact_notes,
    )
    with unit_of_work(sessions) as s:
        endpoint = endpoints.create(s, actor(), args.property, change)
        endpoint_id, secret = endpoint.id, endpoint.secret
    print(f"webhook {endpoint_id} for {args.property}; its signing secret (shown once):")
    print(secret)
    return 0


@with_sessions
def cmd_remove(
    args: argparse.Namespace, _settings: Settings, sessions: sessionmaker[Session]
) -> int:
    with unit_of_work(sessions) as s:
        endpoints.delete(s, actor(), args.id)
    print(f"webhook {args.id} removed")
    return 0


@with_sessions
def cmd_deliveries(
    args: argparse.Namespace, _settings: Settings, sessions: sessionmaker[Session]
) -> int:
    with unit_of_work(sessions) as s:
        for view in deliveries.list_for(s, actor(), args.id, status=args.status, limit=args.limit):
            d = view.delivery
            last = view.attempts[-1] if view.attempts else None
            outcome = (last.error or str(last.status_code)) if last else "-"
            print(
                f"{d.id}\t{view.event.type}\t{view.event.public_id}\t{d.status}\t"
                f"{len(view.attempts)} attempts\t{outcome}"
            )
    return 0


@with_sessions
def cmd_resend(
    args: argparse.Namespace, settings: Settings, sessions: sessionmaker[Session]
) -> int:
    with unit_of_work(sessions) as s:
        deliveries.resend(s, actor(), args.delivery, deliveries.policy_for(settings))
    print(f"delivery {args.delivery} will be sent again now")
    return 0


def register(commands: Subcommands) -> None:
    hooks = commands.add_parser(
        "webhooks", help="webhook endpoints and their deliveries (docs/webhooks.md)"
    ).add_subparsers(dest="webhooks", required=True)
    listing = hooks.add_parser("list", help="endpoints with their deliveries by status")
    listing.add_argument("--property")
    listing.set_defaults(func=cmd_list)
    add = hooks.add_parser("add", help="register an endpoint; prints its secret on the last line")
    add.add_argument("--property", required=True)
    add.add_argument("--url", required=True)
    add.add_argument(
        "--event", action="append", choices=list(EVENT_TYPES), help="repeat; default: all"
    )
    add.add_argument("--description")
    add.add_argument(
        "--allow-private",
        action="store_true",
        help="allow a private, loopback or link-local address (refused otherwise)",
    )
    add.add_argument(
        "--redact-notes",
        action="store_true",
        help="redact personal data (names, staff names too, phone numbers, e-mail, ...) in the "
        "people's notes of every delivery to it",
    )
    add.set_defaults(func=cmd_add)
    remove = hooks.add_parser("remove", help="remove an endpoint with its deliveries")
    remove.add_argument("id", type=int)
    remove.set_defaults(func=cmd_remove)
    shown = hooks.add_parser("deliveries", help="an endpoint's deliveries, newest first")
    shown.add_argument("id", type=int)
    shown.add_argument("--status", choices=deliveries.STATUSES)
    shown.add_argument("--limit", type=int, default=50)
    shown.set_defaults(func=cmd_deliveries)
    resend = hooks.add_parser("resend", help="send a failed or delivered delivery again")
    resend.add_argument("delivery", type=int)
    resend.set_defaults(func=cmd_resend)
