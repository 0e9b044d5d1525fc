"""guest journey: departments on reviews, touchpoint rows of routed reviews, touchpoint labels

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 22:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import triage.storage.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("departments", sa.JSON(), nullable=True))
    op.create_table(
        "review_touchpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("touchpoint", sa.String(length=32), nullable=False),
        sa.Column("sentiment", sa.String(length=16), nullable=False),
        sa.Column("received_at", triage.storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("route", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_touchpoints_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_touchpoints")),
    )
    op.create_index(
        op.f("ix_review_touchpoints_review_id"), "review_touchpoints", ["review_id"], unique=False
    )
    op.create_index(
        "ix_review_touchpoints_property_id_received_at",
        "review_touchpoints",
        ["property_id", "received_at"],
        unique=False,
    )

    op.create_index(
        "ix_review_touchpoints_property_id_sentiment_received_at",
        "review_touchpoints",
        ["property_id", "sentiment", "received_at"],
        unique=False,
    )
    op.create_table(
        "touchpoint_days",
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("touchpoint", sa.String(length=32), nullable=False),
        sa.Column("sentiment", sa.String(length=16), nullable=False),
        sa.Column("route", sa.String(length=8), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "property_id",
            "day",
            "touchpoint",
            "sentiment",
            "route",
            name=op.f("pk_touchpoint_days"),
        ),
    )
    op.create_table(
        "touchpoint_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("touchpoints", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("created_at", triage.storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_touchpoint_labels_review_id_reviews")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_touchpoint_labels_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_touchpoint_labels")),
    )
    op.create_index(
        op.f("ix_touchpoint_labels_review_id"), "touchpoint_labels", ["review_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_touchpoint_labels_review_id"), table_name="touchpoint_labels")
    op.drop_table("touchpoint_labels")
    op.drop_table("touchpoint_days")
    op.drop_index(
        "ix_review_touchpoints_property_id_sentiment_received_at", table_name="review_touchpoints"
    )
    op.drop_index("ix_review_touchpoints_property_id_received_at", table_name="review_touchpoints")
    op.drop_index(op.f("ix_review_touchpoints_review_id"), table_name="review_touchpoints")
    op.drop_table("review_touchpoints")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("departments")
