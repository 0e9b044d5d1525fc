"""What the trainers' workspace shows beside the queues: how much work waits, the
negative-miss estimate per property, who gave each label, and who agrees with whom.

Read-only helpers over `triage.learning.trainer_queues` and `triage.verdicts.labels`; scoped to the
caller's properties like everything a person sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.access import audit, permissions
from triage.access.accounts import Principal
from triage.learning import registry
from triage.learning.shadow import ShadowComparison, compare
from triage.learning.trainer_queues import (
    adjudication_queue,
    double_label_queue,
    miss_rate_alert,
    model_disagreements,
    negative_miss_estimate,
    spot_check_queue,
)
from triage.storage.sampling import RateEstimate
from triage.storage.tables import AuditEvent, Label, ModelVersion, Review, User
from triage.verdicts.labels import PairAgreement, current_label, labels_by_review, pair_agreements

#: Counts stop here: the overview says "50+" rather than scanning everything.
COUNT_LIMIT = 50


@dataclass(frozen=True, slots=True)
class MissEstimate:
    property_id: str
    estimate: RateEstimate
    #: above the target with at least the minimum number of spot-checks
    alert: bool


@dataclass(frozen=True, slots=True)
class Overview:
    spot_checks: int
    double_labels: int
    adjudications: int
    disagreements: int
    limit: int
    misses: list[MissEstimate]


def miss_estimates(
    session: Session,
    property_ids: Iterable[str],
    *,
    share: float,
    target: float,
    min_checks: int,
) -> list[MissEstimate]:
    found = []
    for property_id in sorted(property_ids):
        estimate = negative_miss_estimate(session, [property_id], share=share)
        alert = miss_rate_alert(estimate, target=target, min_checks=min_checks)
        found.append(MissEstimate(property_id, estimate, alert))
    return found


def overview(
    session: Session,
    principal: Principal,
    *,
    spot_check_share: float,
    double_label_share: float,
    miss_target: float,
    min_checks: int,
) -> Overview:
    """The work waiting for a trainer across their properties (each count capped)."""
    permissions.use_trainer_workspace(principal)
    return Overview(
        spot_checks=len(
            spot_check_queue(session, principal, share=spot_check_share, limit=COUNT_LIMIT)
        ),
        double_labels=len(
            double_label_queue(session, principal, share=double_label_share, limit=COUNT_LIMIT)
        ),
        adjudications=len(adjudication_queue(session, principal, limit=COUNT_LIMIT)),
        disagreements=len(model_disagreements(session, principal, limit=COUNT_LIMIT)),
        limit=COUNT_LIMIT,
        misses=miss_estimates(
            session,
            principal.property_ids,
            share=spot_check_share,
            target=miss_target,
            min_checks=min_checks,
        ),
    )


def emails(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """E-mail of each user id (for provenance lines)."""
    wanted = {u for u in user_ids if u is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(wanted))).all())


@dataclass(frozen=True, slots=True)
class ReviewLabels:
    labels: list[Label]
    current: Label | None
    emails: dict[int, str]


def review_labels(session: Session, review: Review) -> ReviewLabels:
    """Every label of a review (oldest first), the one that counts, and who gave them.
    The caller has checked that the person may see the review."""
    labels = labels_by_review(session, [review.id])[review.id]
    return ReviewLabels(labels, current_label(labels), emails(session, (x.user_id for x in labels)))


@dataclass(frozen=True, slots=True)
class NamedAgreement:
    email_a: str
    email_b: str
    pair: PairAgreement


def agreements(session: Session, principal: Principal) -> list[NamedAgreement]:
    """Cohen's kappa per pair of people over the labels of the caller's properties."""
    permissions.use_trainer_workspace(principal)
    labels: Sequence[Label] = list(
        session.scalars(
            select(Label)
            .join(Review, Review.id == Label.review_id)
            .where(Review.property_id.in_(sorted(principal.property_ids)))
        )
    )
    pairs = pair_agreements(labels)
    names = emails(session, [p.user_a for p in pairs] + [p.user_b for p in pairs])
    return [
        NamedAgreement(
            names.get(p.user_a, f"user {p.user_a}"), names.get(p.user_b, f"user {p.user_b}"), p
        )
        for p in pairs
    ]


@dataclass(frozen=True, slots=True)
class ModelBoard:
    versions: list[ModelVersion]
    active: ModelVersion | None
    comparison: ShadowComparison | None


def model_board(session: Session, principal: Principal) -> ModelBoard:
    """The registry for trainers, with the shadow version's comparison on the caller's
    properties."""
    permissions.use_trainer_workspace(principal)
    candidate = registry.shadow(session)
    comparison = (
        compare(session, sorted(principal.property_ids), candidate.version)
        if candidate is not None
        else None
    )
    return ModelBoard(registry.list_versions(session), registry.active(session), comparison)


def audit_events(session: Session, principal: Principal, *, limit: int = 200) -> list[AuditEvent]:
    """Recent audit events, for admins only (the log spans every property)."""
    permissions.read_audit_log(principal)
    return audit.recent(session, limit=limit)
