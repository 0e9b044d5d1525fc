"""The model registry: versions, the gate that protects production, promotion and rollback.

A version is a model directory the service can load, registered by its `version`
(from its model.json). One version is `active`: every API process polls the registry
and switches to it without a restart (see `api.model_watch`). Promotion is gated:
the candidate must be evaluated on the same gold set (adjudicated labels, never
trained on) and public evaluation files as the active version, and it is refused
when its macro-F1 drops on any of them or its negative-miss rate exceeds the target,
unless forced with a recorded reason. Every step is in the audit log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.access import permissions
from triage.access.accounts import Principal
from triage.access.audit import record
from triage.core.errors import Conflict, InvalidInput, NotFound
from triage.events import outbox
from triage.storage.db import utcnow
from triage.storage.tables import Label, ModelVersion, Review

STATES = ("candidate", "active", "retired")


def get(session: Session, version: str) -> ModelVersion:
    found = session.scalar(select(ModelVersion).where(ModelVersion.version == version))
    if found is None:
        raise NotFound(f"model version {version!r} not found")
    return found


def active(session: Session) -> ModelVersion | None:
    return session.scalar(select(ModelVersion).where(ModelVersion.state == "active"))


def shadow(session: Session) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(ModelVersion.shadow.is_(True)).order_by(ModelVersion.id)
    )


def list_versions(session: Session) -> list[ModelVersion]:
    return list(session.scalars(select(ModelVersion).order_by(ModelVersion.id.desc())))


def register(
    session: Session,
    actor: Principal | str,
    version: str,
    path: str,
    *,
    trained_on: Mapping[str, Any] | None = None,
    activate: bool = False,
) -> ModelVersion:
    """Add a version as a candidate (or as the active one, when the registry is empty)."""
    permissions.run_model_registry(actor)
    existing = session.scalar(select(ModelVersion).where(ModelVersion.version == version))
    if existing is not None:
        if existing.path != path:
            raise Conflict(f"model version {version!r} is registered with another directory")
        return existing
    if activate and active(session) is not None:
        raise Conflict("a version is active already: promote instead")
    now = utcnow()
    row = ModelVersion(
        version=version,
        path=path,
        state="active" if activate else "candidate",
        shadow=False,
        metrics={},
        trained_on=dict(trained_on or {}),
        created_at=now,
        activated_at=now if activate else None,
    )
    session.add(row)
    session.flush()
    record(session, actor, "model.register", subject=version, details={"active": activate})
    return row


# ---------------------------------------------------------------- the gold set


@dataclass(frozen=True, slots=True)
class GoldRow:
    review_id: int
    text: str
    label: str
    language: str | None


def gold_rows(session: Session) -> list[GoldRow]:
    """The frozen gold set: each review's latest gold adjudication (text still present)."""
    rows: dict[int, GoldRow] = {}
    query = (
        select(Label, Review)
        .join(Review, Review.id == Label.review_id)
        .where(Label.kind == "adjudication", Label.gold.is_(True), Review.text.is_not(None))
        .order_by(Label.created_at, Label.id)
    )
    for label, review in session.execute(query):
        rows[review.id] = GoldRow(review.id, review.text or "", label.label, review.language)
    return [rows[k] for k in sorted(rows)]


def gold_review_ids(session: Session) -> set[int]:
    """Reviews in the gold set: never exported for training."""
    query = select(Label.review_id).where(Label.kind == "adjudication", Label.gold.is_(True))
    return set(session.scalars(query))


def fingerprint(rows: list[tuple[str, str]]) -> str:
    """Identifies an evaluation set (ids and labels): results compare only on equal sets."""
    digest = hashlib.sha256()
    for key, label in rows:
        digest.update(f"{key}\t{label}\n".encode())
    return digest.hexdigest()[:16]


def record_evaluation(
    session: Session, actor: Principal | str, version: str, sets: Mapping[str, Mapping[str, Any]]
) -> ModelVersion:
    """Store a version's results per evaluation set (name -> macro_f1, negative_miss_rate,
    n, fingerprint, ...), replacing earlier results for the same sets."""
    permissions.run_model_registry(actor)
    row = get(session, version)
    metrics = dict(row.metrics or {})
    stored = dict(metrics.get("sets") or {})
    stored.update({name: dict(values) for name, values in sets.items()})
    metrics["sets"] = stored
    metrics["evaluated_at"] = utcnow().isoformat()
    row.metrics = metrics
    record(
        session,
        actor,
        "model.evaluate",
        subject=version,
        details={
            name: {k: values.get(k) for k in ("n", "macro_f1", "negative_miss_rate")}
            for name, values in sets.items()
        },
    )
    session.flush()
    return row


# ---------------------------------------------------------------- the gate


@dataclass(frozen=True, slots=True)
class GateResult:
    problems: list[str]
    compared: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


def gate(
    candidate: Mapping[str, Any],
    current: Mapping[str, Any] | None,
    *,
    miss_target: float,
    tolerance: float = 0.0,
) -> GateResult:
    """Pure: is the candidate (its metrics) at least as good as the current version?"""
    problems: list[str] = []
    compared: list[str] = []
    sets: Mapping[str, Mapping[str, Any]] = candidate.get("sets") or {}
    baseline: Mapping[str, Mapping[str, Any]] = (current or {}).get("sets") or {}
    gold = sets.get("gold")
    if not gold or not gold.get("n"):
        problems.append("not evaluated on a gold set (adjudicate reviews into it, then evaluate)")
    for name, result in sorted(sets.items()):
        miss = float(result.get("negative_miss_rate") or 0.0)
        if miss > miss_target:
            problems.append(
                f"{name}: negative-miss rate {miss:.3f} is above the target {miss_target:.3f}"
            )
        before = baseline.get(name)
        if before is None:
            continue
        if before.get("fingerprint") != result.get("fingerprint"):
            problems.append(
                f"{name}: the active version was evaluated on another version of this set; "
                "evaluate both again"
            )
            continue
        compared.append(name)
        if float(result["macro_f1"]) < float(before["macro_f1"]) - tolerance:
            problems.append(
                f"{name}: macro-F1 drops from {float(before['macro_f1']):.4f} "
                f"to {float(result['macro_f1']):.4f}"
            )
    if current is not None and baseline and "gold" in sets and "gold" not in baseline:
        problems.append("gold: the active version has no result on the gold set; evaluate it")
    return GateResult(problems, compared)


def promote(
    session: Session,
    actor: Principal | str,
    version: str,
    *,
    miss_target: float,
    force_reason: str | None = None,
) -> tuple[ModelVersion, GateResult]:
    """Make a candidate the active version if it passes the gate (or is forced, with a
    reason). Raises Conflict with the gate's problems when it is refused."""
    permissions.run_model_registry(actor)
    row = get(session, version)
    if row.state == "active":
        raise Conflict(f"{version} is the active version already")
    current = active(session)
    result = gate(row.metrics or {}, current.metrics if current else None, miss_target=miss_target)
    if force_reason is not None and not force_reason.strip():
        raise InvalidInput("a forced promotion needs a reason")
    forced = force_reason is not None
    if not result.passed and not forced:
        # Nothing changes; the caller shows the problems (and the transaction rolls back).
        raise Conflict("promotion refused: " + "; ".join(result.problems))
    now = utcnow()
    if current is not None:
        current.state = "retired"
        current.retired_at = now
    row.state = "active"
    row.activated_at = now
    row.previous_version = current.version if current else None
    row.shadow = False
    record(
        session,
        actor,
        "model.promote",
        subject=version,
        details={
            "previous": current.version if current else None,
            "forced": forced,
            "reason": force_reason.strip() if forced and force_reason else None,
            "problems": result.problems,
        },
    )
    _announce(session, row, current.version if current else None, rollback=False)
    session.flush()
    return row, result


def _announce(session: Session, row: ModelVersion, previous: str | None, *, rollback: bool) -> None:
    """The `model.promoted` event: every property's listeners hear of it."""
    outbox.emit(
        session,
        "model.promoted",
        property_id=None,
        at=row.activated_at,
        data={"version": row.version, "previous_version": previous, "rollback": rollback},
    )


def rollback(session: Session, actor: Principal | str, *, reason: str) -> ModelVersion:
    """Re-activate the version the active one replaced."""
    permissions.run_model_registry(actor)
    if not reason.strip():
        raise InvalidInput("a rollback needs a reason")
    current = active(session)
    if current is None or not current.previous_version:
        raise Conflict("there is no earlier version to roll back to")
    previous = get(session, current.previous_version)
    now = utcnow()
    current.state = "retired"
    current.retired_at = now
    previous.state = "active"
    previous.activated_at = now  # its own `previous_version` stays: a rollback can go on back
    record(
        session,
        actor,
        "model.rollback",
        subject=previous.version,
        details={"from": current.version, "reason": reason.strip()},
    )
    _announce(session, previous, current.version, rollback=True)
    session.flush()
    return previous


def set_shadow(session: Session, actor: Principal | str, version: str, on: bool) -> ModelVersion:
    """Let a candidate score incoming reviews beside the active model (one at a time)."""
    permissions.run_model_registry(actor)
    row = get(session, version)
    if on and row.state == "active":
        raise Conflict(f"{version} is the active version; shadow a candidate")
    if on:
        for other in session.scalars(select(ModelVersion).where(ModelVersion.shadow.is_(True))):
            other.shadow = False
        row.shadow_since = utcnow()
    row.shadow = on
    record(session, actor, "model.shadow_on" if on else "model.shadow_off", subject=version)
    session.flush()
    return row
