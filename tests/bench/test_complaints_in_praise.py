"""The complaints-in-praise check reads what the service stored: its verdict per review."""

from __future__ import annotations

from typing import Any

from bench.complaints_in_praise import check

ROW = {
    "id": "m-1",
    "lang": "de",
    "text": "Der Beamer fiel zweimal aus, das Catering war hervorragend.",
    "complaint": "Der Beamer fiel zweimal aus",
    "touchpoint": "meetings_events",
}


def answer(
    label: str, touchpoints: list[str], departments: list[str], route: str
) -> dict[str, Any]:
    return {
        "route": route,
        "language": "de",
        "reasons": [{"code": "mixed_signals" if route == "human" else "confident_positive"}],
        "departments": departments,
        "sentences": [
            {"start": 0, "end": 27, "label": label, "touchpoints": touchpoints},
            {"start": 29, "end": 59, "label": "positive", "touchpoints": ["breakfast"]},
        ],
    }


def test_a_caught_complaint_passes_every_check() -> None:
    result = check(answer("negative", ["meetings_events"], ["events"], "human"), ROW)
    assert result == {
        "id": "m-1",
        "lang": "de",
        "route": "human",
        "language": "de",
        "complaint_negative": True,
        "complaint_touchpoint": True,
        "departments_only_negative": True,
        "complaint_department": True,
        "reasons": ["mixed_signals"],
    }


def test_a_missed_complaint_and_a_stray_department_are_reported() -> None:
    result = check(answer("neutral", ["meetings_events"], ["housekeeping"], "auto"), ROW)
    assert result["route"] == "auto"
    assert not result["complaint_negative"]
    assert not result["complaint_touchpoint"]
    assert not result["departments_only_negative"]
    assert not result["complaint_department"]
