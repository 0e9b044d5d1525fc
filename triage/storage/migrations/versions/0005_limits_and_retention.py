"""limits and retention: rate-limit windows, failed sign-ins, anonymised reviews

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23 22:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import triage.storage.db

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_windows",
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("window_start", triage.storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("caller", "window_start", name=op.f("pk_rate_windows")),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", triage.storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(
        "ix_sign_in_failures_account_at", "sign_in_failures", ["account", "at"], unique=False
    )
    op.create_index(
        "ix_sign_in_failures_address_at", "sign_in_failures", ["address", "at"], unique=False
    )
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(
            sa.Column("anonymised_at", triage.storage.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("anonymised_at")
    op.drop_index("ix_sign_in_failures_address_at", table_name="sign_in_failures")
    op.drop_index("ix_sign_in_failures_account_at", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    op.drop_table("rate_windows")
