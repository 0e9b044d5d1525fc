"""A review that breaks its schema gets a 422 naming the field and the rule; nothing is stored.

Every case runs on SQLite and on PostgreSQL: PostgreSQL refuses things SQLite takes
(NUL in text, Infinity in JSON), and those must be refused by the schema, not by the
database with a 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.api.problems import (
    NOTHING,
    problem_body,
    review,
    schema_problem,
    send,
    stored,
)
from tests.conftest import World


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"down": value}
    return value


INVALID_REVIEWS: list[Any] = [
    pytest.param(
        review(text=12345),
        [("text", "string_type", "Input should be a valid string")],
        id="text-as-number",
    ),
    pytest.param(
        review(rating="five"),
        [
            (
                "rating",
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
            )
        ],
        id="rating-as-string",
    ),
    pytest.param(
        review(rating={"value": "high", "scale": 5}),
        [
            (
                "rating.value",
                "float_parsing",
                "Input should be a valid number, unable to parse string as a number",
            )
        ],
        id="rating-value-as-text",
    ),
    pytest.param(
        review(rating={"value": 4, "scale": 5.5}),
        [
            (
                "rating.scale",
                "int_from_float",
                "Input should be a valid integer, got a number with a fractional part",
            )
        ],
        id="rating-scale-fractional",
    ),
    pytest.param(
        review(stars=5),
        [("stars", "extra_forbidden", "Extra inputs are not permitted")],
        id="unknown-top-level-field",
    ),
    pytest.param(
        review(guest={"room": "101", "nights": 3}),
        [("guest.nights", "extra_forbidden", "Extra inputs are not permitted")],
        id="unknown-nested-field",
    ),
    pytest.param(
        review(rating={"value": 4, "scale": 5, "best": 5}),
        [("rating.best", "extra_forbidden", "Extra inputs are not permitted")],
        id="unknown-field-in-rating",
    ),
    pytest.param(
        {"text": "Only text"},
        [
            ("property_id", "missing", "Field required"),
            ("external_id", "missing", "Field required"),
            ("source", "missing", "Field required"),
        ],
        id="required-fields-missing",
    ),
    pytest.param(
        review(text=""),
        [("text", "string_too_short", "String should have at least 1 character")],
        id="empty-text",
    ),
    pytest.param(
        review(text=" \t\n\u00a0\u2003 "),
        [("text", "value_error", "text must contain more than white space")],
        id="whitespace-only-text",
    ),
    pytest.param(
        review(text="word " * 4_000 + "x"),
        [("text", "string_too_long", "String should have at most 20000 characters")],
        id="text-20001-characters",
    ),
    pytest.param(
        review(text="a" * 100_000),
        [("text", "string_too_long", "String should have at most 20000 characters")],
        id="text-100000-character-single-word",
    ),
    pytest.param(
        review(text="Great stay\u0000 and more"),
        [("text", "value_error", "text must not contain NUL characters")],
        id="nul-in-text",
    ),
    pytest.param(
        review(external_id="ext\u0000"),
        [("external_id", "value_error", "external_id must be printable text")],
        id="nul-in-external-id",
    ),
    pytest.param(
        review(property_id="hotel-a\u0000"),
        [("property_id", "value_error", "property_id must not contain NUL characters")],
        id="nul-in-property-id",
    ),
    pytest.param(
        review(
            guest={
                "room": "1\u00001",
                "booking_reference": "B\u0000",
                "email": "guest\u0000@example.com",
            }
        ),
        [
            ("guest.room", "value_error", "room must not contain NUL characters"),
            (
                "guest.booking_reference",
                "value_error",
                "booking_reference must not contain NUL characters",
            ),
            ("guest.email", "value_error", "email must not contain NUL characters"),
        ],
        id="nul-in-guest-fields",
    ),
    pytest.param(
        review(rating={"value": 6, "scale": 5}),
        [("rating", "value_error", "value must not exceed scale")],
        id="rating-above-scale",
    ),
    pytest.param(
        review(rating={"value": float("nan"), "scale": 5}),
        [("rating.value", "greater_than_equal", "Input should be greater than or equal to 0")],
        id="rating-nan",
    ),
    pytest.param(
        review(rating={"value": -1, "scale": 5}),
        [("rating.value", "greater_than_equal", "Input should be greater than or equal to 0")],
        id="rating-negative",
    ),
    pytest.param(
        review(guest={"stay_from": "2024-05-10", "stay_to": "2024-05-09"}),
        [("guest", "value_error", "stay_to must not be before stay_from")],
        id="stay-to-before-stay-from",
    ),
    pytest.param(
        review(submitted_at="2024-05-10T12:00:00"),
        [("submitted_at", "timezone_aware", "Input should have timezone info")],
        id="naive-submitted-at",
    ),
    pytest.param(
        review(submitted_at="0001-01-01T00:00:00+05:00"),
        [("submitted_at", "value_error", "must be a time that can be expressed in UTC")],
        id="submitted-at-before-year-1-in-utc",
    ),
    pytest.param(
        review(metadata=nested(5)),
        [("metadata", "value_error", "metadata may nest at most 4 levels")],
        id="metadata-too-deep",
    ),
    pytest.param(
        review(metadata=nested(800)),
        [("metadata", "value_error", "metadata may nest at most 4 levels")],
        id="metadata-800-levels-deep",
    ),
    pytest.param(
        review(metadata={f"k{i}": i for i in range(51)}),
        [("metadata", "value_error", "metadata may have at most 50 keys")],
        id="metadata-too-many-keys",
    ),
    pytest.param(
        review(metadata={"note": "x" * 8_200}),
        [("metadata", "value_error", "metadata may take at most 8192 bytes as JSON")],
        id="metadata-too-large",
    ),
    pytest.param(
        review(metadata={"score": float("inf")}),
        [("metadata", "value_error", "metadata must not contain NaN or Infinity")],
        id="metadata-infinity",
    ),
    pytest.param(
        review(metadata={"k\u0000": 1}),
        [("metadata", "value_error", "metadata must not contain NUL characters")],
        id="metadata-nul",
    ),
    pytest.param(
        review(source="Google Maps!"),
        [
            (
                "source",
                "string_pattern_mismatch",
                "String should match pattern '^[a-z0-9][a-z0-9_.-]*$'",
            )
        ],
        id="bad-source-pattern",
    ),
    pytest.param(
        review(language="english"),
        [
            (
                "language",
                "string_pattern_mismatch",
                "String should match pattern '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$'",
            )
        ],
        id="bad-language-pattern",
    ),
    pytest.param(
        review(guest={"segment": "vip"}),
        [
            (
                "guest.segment",
                "literal_error",
                "Input should be 'leisure', 'business', 'meetings_events', 'group' or 'other'",
            )
        ],
        id="unknown-segment",
    ),
]


@pytest.mark.parametrize(("body", "errors"), INVALID_REVIEWS)
def test_invalid_review_is_refused_naming_field_and_rule(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    body: dict[str, Any],
    errors: list[tuple[str, str, str]],
) -> None:
    response = send(client, "/v1/reviews", body, world.auth(world.key_a))

    assert problem_body(response, 422) == schema_problem(*errors)
    assert stored(sessions) == NOTHING


#: The batch validates each item from Python objects, where pydantic words this one differently.
BATCH_ERRORS = {
    "rating-as-string": [
        ("rating", "model_type", "Input should be a valid dictionary or instance of Rating")
    ],
}


def test_invalid_reviews_in_a_batch_fail_one_by_one(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    bodies = [p.values[0] for p in INVALID_REVIEWS]
    response = send(client, "/v1/reviews/batch", {"reviews": bodies}, world.auth(world.key_a))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "created": 0,
        "existing": 0,
        "failed": len(bodies),
        "results": [
            {
                "index": index,
                "status": 422,
                "review": None,
                "accepted": None,
                "error": {
                    **schema_problem(*BATCH_ERRORS.get(str(p.id), p.values[1])),
                    "detail": "invalid review",
                },
            }
            for index, p in enumerate(INVALID_REVIEWS)
        ],
        "status": "routed",
    }
    assert stored(sessions) == NOTHING
