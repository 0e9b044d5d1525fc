"""`triage import`, `erase` and `retention`: reviews in from CSV or JSONL, personal data out."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.cli.helpers import JSONL_REVIEWS, run, write_jsonl
from triage.storage.db import unit_of_work, utcnow
from triage.storage.tables import QueueItem, Review


def stored_reviews(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    with sessions() as s:
        rows = s.execute(
            select(
                Review.property_id,
                Review.source,
                Review.external_id,
                Review.text,
                Review.status,
                Review.route,
            ).order_by(Review.id)
        ).all()
    return [tuple(r) for r in rows]


def test_import_jsonl_twice_creates_then_finds_existing(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    path = write_jsonl(tmp_path / "reviews.jsonl", [json.dumps(r) for r in JSONL_REVIEWS])

    first = run(capsys, "import", str(path), "--quiet")
    second = run(capsys, "import", str(path), "--quiet")

    assert first == (0, ['{"created": 3, "existing": 0, "failed": 0}'], [])
    assert second == (0, ['{"created": 0, "existing": 3, "failed": 0}'], [])
    # Without a model every review goes to a person, and says why.
    assert stored_reviews(sessions) == [
        (r["property_id"], r["source"], r["external_id"], r["text"], "queued", "human")
        for r in JSONL_REVIEWS
    ]
    with sessions() as s:
        second_review = s.scalars(select(Review).where(Review.external_id == "j-2")).one()
        assert (
            second_review.rating_value,
            second_review.submitted_at.isoformat(),  # type: ignore[union-attr]
            str(second_review.stay_from),
            str(second_review.stay_to),
            second_review.room,
            second_review.extra,
            second_review.language,
        ) == (
            None,
            "2024-05-01T08:00:00+00:00",
            "2024-04-28",
            "2024-04-30",
            "204",
            {"channel": "app"},
            "de",
        )
        assert [r["code"] for r in second_review.reasons or []] == ["model_unavailable"]
        assert (
            s.scalar(select(QueueItem.review_id).where(QueueItem.review_id == second_review.id))
            == second_review.id
        )


def test_import_reports_bad_lines_with_their_numbers(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    good = JSONL_REVIEWS[0]
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            json.dumps(good),  # 1
            "",  # 2
            "{not json",  # 3
            json.dumps([good]),  # 4
            json.dumps({**good, "external_id": "x-5", "text": "   "}),  # 5
            json.dumps({**good, "external_id": "x-6", "property_id": "nowhere"}),  # 6
            json.dumps({**good, "external_id": "x-7", "rating": {"value": 9, "scale": 5}}),  # 7
            json.dumps({**good, "external_id": "x-8", "stars": 5}),  # 8
            json.dumps({**good, "external_id": "x-9"}),  # 9
        ],
    )
    with path.open("ab") as handle:
        handle.write(b'{"property_id": "hotel-a", "text": "caf\xe9"}\n')  # 10

    code, out, err = run(capsys, "import", str(path), "--quiet")

    assert code == 1
    assert out == ['{"created": 2, "existing": 0, "failed": 7}']
    assert err == [
        "line 3: not JSON: Expecting property name enclosed in double quotes",
        "line 4: not a JSON object",
        "line 5: text: text must contain more than white space",
        "line 7: rating: value must not exceed scale",
        "line 8: stars: Extra inputs are not permitted",
        "line 10: not UTF-8",
        "line 6: property 'nowhere' not found",
    ]
    assert [r[2] for r in stored_reviews(sessions)] == ["j-1", "x-9"]


CSV_TEXT = (
    "property_id,external_id,source,text,rating,rating_scale,stay_from,stay_to,room,"
    "guest_email,language\n"
    'hotel-a,c-1,booking,"Great stay, friendly staff.",9,10,2024-05-01,2024-05-03,101,'
    "guest@example.com,en\n"
    'hotel-b,c-2,website,"First line of the review.\nSecond line, still the same review.",'
    ",,,,,,en\n"
    "hotel-a,c-3,booking,Fine,lots,5,,,,,\n"
    "hotel-a,c-4,booking,,4,5,,,,,\n"
    "hotel-a,c-5,booking,Quiet room,4,5,2024-05-03,2024-05-01,,,\n"
    "hotel-b,c-6,email,Nice pool,3,,,,,,\n"
)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["utf8", "utf8-with-bom"])
def test_import_csv_maps_columns_and_is_idempotent(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    sessions: sessionmaker[Session],
    tmp_path: Path,
    bom: bytes,
) -> None:
    path = tmp_path / "reviews.csv"
    path.write_bytes(bom + CSV_TEXT.encode())

    first = run(capsys, "import", str(path), "--quiet")
    second = run(capsys, "import", str(path), "--quiet")

    # A quoted field spans lines 3-4, so the rows after it start one line later.
    problems = [
        "line 5: bad rating: could not convert string to float: 'lots'",
        "line 6: text: Field required",
        "line 7: guest: stay_to must not be before stay_from",
    ]
    assert first == (1, ['{"created": 3, "existing": 0, "failed": 3}'], problems)
    assert second == (1, ['{"created": 0, "existing": 3, "failed": 3}'], problems)
    with sessions() as s:
        rows = s.execute(
            select(
                Review.external_id,
                Review.text,
                Review.rating_value,
                Review.rating_scale,
                Review.stay_from,
                Review.stay_to,
                Review.room,
                Review.guest_email,
                Review.language_hint,
            ).order_by(Review.id)
        ).all()
    assert [tuple(map(lambda v: None if v is None else str(v), r)) for r in rows] == [
        (
            "c-1",
            "Great stay, friendly staff.",
            "9.0",
            "10",
            "2024-05-01",
            "2024-05-03",
            "101",
            "guest@example.com",
            "en",
        ),
        (
            "c-2",
            "First line of the review.\nSecond line, still the same review.",
            None,
            None,
            None,
            None,
            None,
            None,
            "en",
        ),
        ("c-6", "Nice pool", "3.0", "5", None, None, None, None, None),
    ]


def test_import_of_a_missing_file_fails_cleanly(
    two_hotels: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.jsonl"

    code, out, err = run(capsys, "import", str(missing), "--quiet")

    assert (code, out) == (2, [])
    assert err == [
        f"error: cannot read {missing}: [Errno 2] No such file or directory: '{missing}'"
    ]


def test_erase_and_retention_commands(
    two_hotels: None, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    from triage.storage.tables import AuditEvent

    with unit_of_work(sessions) as s:
        for n, (booking, email, age) in enumerate(
            [("BK-1", "a@example.com", 1), ("BK-1", None, 1), ("BK-2", "b@example.com", 400)]
        ):
            s.add(
                Review(
                    property_id="hotel-a",
                    source="survey",
                    external_id=f"r{n}",
                    text="Private words",
                    booking_reference=booking,
                    guest_email=email,
                    received_at=utcnow() - timedelta(days=age),
                    status="received",
                )
            )

    assert run(capsys, "erase", "--property", "hotel-a", "--booking", "BK-1") == (
        0,
        ['{"property_id": "hotel-a", "anonymised_review_ids": [1, 2]}'],
        [],
    )
    code, _, err = run(capsys, "erase", "--property", "hotel-x", "--email", "a@example.com")
    assert (code, err) == (2, ["error: property 'hotel-x' not found"])
    code, _, err = run(capsys, "retention", "run")
    assert (code, err) == (
        2,
        ["error: no retention period: set TRIAGE_RETENTION_DAYS or pass --days"],
    )
    assert run(capsys, "retention", "run", "--days", "365") == (
        0,
        ['{"anonymised": 1, "days": 365}'],
        [],
    )
    with sessions() as s:
        texts = s.scalars(select(Review.text).order_by(Review.id)).all()
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert texts == [None, None, None]
    assert actions == ["guest.erase", "retention.anonymise"]
