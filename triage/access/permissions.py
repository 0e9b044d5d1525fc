"""Who may do what: one named policy per thing a caller may want to do.

Each policy answers "may this principal do X (to this record)". A refusal raises
`Forbidden` with the sentence people see; a policy that returns nothing allows. Where the
answer depends on the row (which queue items a person may release, resolve or escalate),
the policy is a condition on the queue item, so the change and the check are one UPDATE.

Whether a caller may see a property (else NotFound: we do not say what exists) is
`Principal.can_see`, checked where the record is read.

The roles: a hotel system's API key is `system`; people are `agent`, `trainer` or `admin`.

- system (an API key): ingest reviews of its properties, read their changes feed;
- agent: work the review queue (list, claim, release their own claim, resolve and escalate
  what they hold or nobody holds), read reviews, dashboards and auto-handled reviews, pull
  one back, give spot-checks and double labels;
- trainer: what an agent may, and relabel, adjudicate, label touchpoints, use the trainers'
  workspace and the model registry;
- admin: all of the above, and ingest, release or escalate anyone's item, pin thresholds,
  see them over the API, read the audit log, erase a guest's reviews, manage webhooks and
  read the changes feed.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_

from triage.access.principals import Principal
from triage.core.errors import Forbidden
from triage.storage.tables import QueueItem

PEOPLE = ("agent", "trainer", "admin")
TRAINERS = ("trainer", "admin")
#: The label kinds a person gives directly, and who gives each (a queue verdict comes with
#: resolving an item; see `work_the_queue`).
LABELS_GIVEN_BY: dict[str, tuple[str, ...]] = {
    "spot_check": PEOPLE,
    "relabel": TRAINERS,
    "double_label": PEOPLE,
    "adjudication": TRAINERS,
}


def _person(principal: Principal, roles: tuple[str, ...]) -> bool:
    return principal.kind == "user" and principal.role in roles


def is_admin(principal: Principal) -> bool:
    return principal.role == "admin"


# --- Reviews in -------------------------------------------------------------------------------


def ingest_reviews(principal: Principal) -> None:
    """A hotel system (its API key), or an admin, sends reviews."""
    if principal.role not in ("system", "admin"):
        raise Forbidden("ingest needs a hotel system's API key (or an admin)")


# --- The review queue and what people read beside it ------------------------------------------


def work_the_queue(principal: Principal) -> None:
    """People list, claim and resolve queue items, read reviews with their context and the
    dashboards, and search and pull back auto-handled reviews. A system key may not."""
    if principal.role not in PEOPLE:
        raise Forbidden("the review queue is for people: use a personal token")


def items_to_release(principal: Principal) -> ColumnElement[bool]:
    """The claimed items a person may give back: their own; an admin, anyone's."""
    if is_admin(principal):
        return QueueItem.claimed_by.is_not(None)
    return QueueItem.claimed_by == principal.id


def items_to_resolve(principal: Principal, free: ColumnElement[bool]) -> ColumnElement[bool]:
    """The open items a person may resolve: those they hold, or that nobody holds (`free`).
    An admin too resolves only those: a verdict is given by whoever is working the item."""
    return or_(QueueItem.claimed_by == principal.id, free)


def items_to_escalate(principal: Principal, free: ColumnElement[bool]) -> ColumnElement[bool]:
    """The open items a person may escalate: those they hold or nobody holds (`free`);
    an admin, any open item."""
    if is_admin(principal):
        return QueueItem.state == "open"
    return or_(QueueItem.claimed_by == principal.id, free)


# --- Labels -----------------------------------------------------------------------------------


def give_labels(principal: Principal) -> None:
    """Labels come from people, signed in or with a personal token."""
    if not _person(principal, PEOPLE):
        raise Forbidden("labels are given by people: sign in or use a personal token")


def give_label_of_kind(principal: Principal, kind: str) -> None:
    """Spot-checks and double labels from anyone; relabels and adjudications from trainers."""
    given_by = LABELS_GIVEN_BY[kind]
    if principal.role not in given_by:
        raise Forbidden(f"a {kind.replace('_', ' ')} is given by {' or '.join(given_by)}s")


def give_double_label(principal: Principal, labelled_by: set[int | None]) -> None:
    """A double label is blind: it comes from someone who has not labelled the review."""
    if principal.id in labelled_by:
        raise Forbidden("a double label comes from someone who has not labelled this review")


def see_double_label_queue(principal: Principal) -> None:
    if principal.kind != "user":
        raise Forbidden("double labels are given by people")


def label_touchpoints(principal: Principal) -> None:
    if not _person(principal, TRAINERS):
        raise Forbidden("touchpoints are labelled by trainers and admins")


# --- The trainers' workspace and the model registry -------------------------------------------


def use_trainer_workspace(principal: Principal) -> None:
    if not _person(principal, TRAINERS):
        raise Forbidden("this is the trainers' workspace (role trainer or admin)")


def run_model_registry(actor: Principal | str) -> None:
    """Trainers and admins; the command line (an operator, named by a string) too."""
    if isinstance(actor, Principal) and not _person(actor, TRAINERS):
        raise Forbidden("the model registry is for trainers and admins")


# --- Thresholds -------------------------------------------------------------------------------


def pin_thresholds(principal: Principal) -> None:
    if not _person(principal, ("admin",)):
        raise Forbidden("thresholds are pinned by admins")


def see_thresholds(principal: Principal, *, admins_only: bool = False) -> None:
    """People see thresholds on their pages; over the API (`admins_only`), admins only."""
    if principal.kind != "user":
        raise Forbidden("thresholds are shown to people")
    if admins_only and not is_admin(principal):
        raise Forbidden("thresholds are for admins")


# --- Administration ---------------------------------------------------------------------------


def read_audit_log(principal: Principal) -> None:
    if not _person(principal, ("admin",)):
        raise Forbidden("the audit log is for admins")


def erase_guests(actor: Principal | str) -> None:
    """Admins; the command line (an operator, named by a string) too."""
    if isinstance(actor, Principal) and not is_admin(actor):
        raise Forbidden("erasure requests are for admins")


# --- Webhooks and the changes feed ------------------------------------------------------------


def manage_webhooks(actor: Principal | str) -> None:
    """Admins register, change and re-send webhooks of their properties (and allow a private
    address); the command line (an operator) too."""
    if isinstance(actor, Principal) and not _person(actor, ("admin",)):
        raise Forbidden("webhooks are managed by admins")


def read_events(principal: Principal) -> None:
    """The changes feed is for hotel systems (their API key) and admins."""
    if principal.role not in ("system", "admin"):
        raise Forbidden("the changes feed needs a hotel system's API key (or an admin)")
