"""learned thresholds: the score each decision compared with its threshold, and the
thresholds learned per property, language and threshold group

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import triage.storage.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("auto_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("threshold_group", sa.String(length=16), nullable=True))
    op.create_index(
        "ix_reviews_property_id_language_threshold_group",
        "reviews",
        ["property_id", "language", "threshold_group"],
        unique=False,
    )
    op.create_table(
        "learned_thresholds",
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("threshold_group", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("model_version", sa.String(length=128), nullable=True),
        sa.Column("start", sa.Float(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("misses", sa.Integer(), nullable=False),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("labelled", sa.Integer(), nullable=False),
        sa.Column("last_label_id", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("changed_at", triage.storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pinned_value", sa.Float(), nullable=True),
        sa.Column("pinned_by", sa.String(length=320), nullable=True),
        sa.Column("pinned_at", triage.storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", triage.storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_learned_thresholds_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "property_id", "language", "threshold_group", name=op.f("pk_learned_thresholds")
        ),
    )


def downgrade() -> None:
    op.drop_table("learned_thresholds")
    op.drop_index("ix_reviews_property_id_language_threshold_group", table_name="reviews")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("threshold_group")
        batch.drop_column("auto_score")
