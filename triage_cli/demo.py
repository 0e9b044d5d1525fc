"""The demo set-up `triage serve --demo` prints: a property, an API key, a user."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.access import accounts
from triage.storage.tables import Property, Review, User

DEMO_PROPERTY = "demo-hotel"
DEMO_EMAIL = "demo@demo-hotel.example"
#: Stored unrouted; the service routes them at start-up, so `make run` shows a queue.
DEMO_REVIEWS = (
    "The room was dirty and the staff at reception were rude. Breakfast was cold.",
    "Wonderful stay, friendly staff and a clean, comfortable room. We recommend it!",
    "Das Zimmer war leider schmutzig und laut. Das Frühstück war kalt.",
    "There was mould in the shower. Disappointing.",
    "Super Lage, sehr freundliches Personal und ein sauberes Zimmer.",
    "The conference room was fine, but the projector was broken.",
)


@dataclass(frozen=True)
class Demo:
    property_id: str
    api_key: str
    email: str
    password: str
    token: str


def ensure_demo(session: Session, actor: str) -> Demo:
    """Create the demo property and user once; a fresh key, password and token every start
    (audited as `actor`'s)."""
    if session.get(Property, DEMO_PROPERTY) is None:
        accounts.add_property(session, DEMO_PROPERTY, "Demo Hotel")
    _, key = accounts.create_api_key(session, actor, [DEMO_PROPERTY], name="demo key")
    password = secrets.token_urlsafe(12)
    if session.scalar(select(User.id).where(User.email == DEMO_EMAIL)) is None:
        accounts.add_user(session, actor, DEMO_EMAIL, password, "admin", [DEMO_PROPERTY])
    else:
        accounts.set_password(session, DEMO_EMAIL, password)
    _, token = accounts.create_user_token(session, actor, DEMO_EMAIL)
    if session.scalar(select(Review.id).where(Review.property_id == DEMO_PROPERTY)) is None:
        for n, text in enumerate(DEMO_REVIEWS):
            session.add(
                Review(
                    property_id=DEMO_PROPERTY, source="survey", external_id=f"demo-{n}", text=text
                )
            )
        session.flush()
    return Demo(DEMO_PROPERTY, key, DEMO_EMAIL, password, token)
