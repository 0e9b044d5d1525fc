"""A property's routing policy: its stored overrides on top of the model's calibrated defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models import SentimentClassifier
from triage.core.errors import FieldProblem, InvalidInput
from triage.decisions.routing import DEFAULT_SLA_HOURS, RoutingPolicy, ThresholdGroup
from triage.decisions.thresholds import GROUPS, Stored, in_force
from triage.journeys.journey import DEPARTMENTS, validate_department_map, validate_terms

#: Used when no model is loaded: nothing can be auto-handled then anyway.
NO_MODEL_THRESHOLD = 1.0

_FLOAT_FIELDS = (
    "auto_threshold",
    "high_priority_confidence",
    "passage_threshold",
    "passage_share",
    "low_rating",
    "high_rating",
)


def policy_for(
    overrides: Mapping[str, Any] | None,
    classifier: SentimentClassifier | None,
    language: str | None = None,
    stored: Mapping[ThresholdGroup, Stored] | None = None,
) -> RoutingPolicy:
    """The policy for a review in `language`.

    The auto-handling thresholds (default and top-rating group) follow
    `triage.decisions.thresholds.in_force`: a pin of this language and group, else the property's
    `auto_threshold` override (a pin of every language), else the value learned for the
    model in use (`stored`: the property's rows for this language), else the model's
    threshold for the language."""
    overrides = overrides or {}
    default_threshold = (
        classifier.info.threshold_for(language) if classifier else NO_MODEL_THRESHOLD
    )
    sla = dict(DEFAULT_SLA_HOURS)
    sla.update({int(k): float(v) for k, v in (overrides.get("sla_hours") or {}).items()})
    floats = {name: float(overrides[name]) for name in _FLOAT_FIELDS if name in overrides}
    thresholds = {
        group: in_force(
            group,
            model_default=default_threshold,
            model_version=classifier.info.version if classifier else None,
            policy_pin=floats.get("auto_threshold"),
            stored=stored or {},
        ).value
        for group in GROUPS
    }
    floats["auto_threshold"] = thresholds["default"]
    floats["top_rating_auto_threshold"] = thresholds["top_rating"]
    if classifier is not None:
        # The model's calibrated passage rule, unless the property set its own.
        for name in ("passage_threshold", "passage_share"):
            value = getattr(classifier.info, name)
            if value is not None:
                floats.setdefault(name, float(value))
    return RoutingPolicy(
        sla_hours=sla,
        safety_terms=tuple(overrides.get("safety_terms") or ()),
        **floats,
    )


def validate_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Check an admin's policy change; returns the cleaned overrides."""
    problems: list[FieldProblem] = []
    clean: dict[str, Any] = {}
    for name, value in overrides.items():
        if name in _FLOAT_FIELDS:
            if not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
                problems.append(FieldProblem(name, "range", "a number from 0 to 1"))
            else:
                clean[name] = float(value)
        elif name == "sla_hours":
            if not isinstance(value, Mapping) or not all(
                str(k) in {"1", "2", "3", "4"} and isinstance(v, int | float) and 0 < v <= 24 * 30
                for k, v in value.items()
            ):
                problems.append(
                    FieldProblem(name, "shape", "hours per priority 1-4, each 0 < h <= 720")
                )
            else:
                clean[name] = {str(k): float(v) for k, v in value.items()}
        elif name == "safety_terms":
            if not isinstance(value, list) or not all(
                isinstance(t, str) and 2 <= len(t.strip()) <= 64 for t in value
            ):
                problems.append(FieldProblem(name, "shape", "a list of terms, 2-64 characters"))
            else:
                clean[name] = sorted({t.strip() for t in value})
        elif name == "departments":
            departments = validate_department_map(value)
            if departments is None:
                problems.append(
                    FieldProblem(
                        name,
                        "shape",
                        "touchpoint -> list of departments "
                        f'({", ".join(DEPARTMENTS)}), e.g. {{"breakfast": ["food_and_beverage"]}}',
                    )
                )
            else:
                clean[name] = departments
        elif name == "touchpoint_terms":
            terms = validate_terms(value)
            if terms is None:
                problems.append(
                    FieldProblem(name, "shape", "touchpoint -> list of terms, 2-64 characters")
                )
            else:
                clean[name] = terms
        else:
            problems.append(FieldProblem(name, "unknown", "not a policy setting"))
    if problems:
        raise InvalidInput("invalid policy", problems)
    return clean
