"""review ui: web sessions, escalation and pull-back on queue items, page indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import triage.storage.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", triage.storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", triage.storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", triage.storage.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_web_sessions_secret_hash")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"], unique=False)
    with op.batch_alter_table("queue_items") as batch:
        batch.add_column(sa.Column("origin", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("created_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("escalated_to", sa.String(length=96), nullable=True))
        batch.add_column(sa.Column("escalated_by", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("escalated_at", triage.storage.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_foreign_key(
            batch.f("fk_queue_items_created_by_users"), "users", ["created_by"], ["id"]
        )
        batch.create_foreign_key(
            batch.f("fk_queue_items_escalated_by_users"), "users", ["escalated_by"], ["id"]
        )
    op.create_index(
        "ix_queue_items_property_id_created_at",
        "queue_items",
        ["property_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_reviews_property_id_route_received_at",
        "reviews",
        ["property_id", "route", "received_at"],
        unique=False,
    )
    op.create_index(
        "ix_reviews_property_id_received_at",
        "reviews",
        ["property_id", "received_at"],
        unique=False,
    )
    op.create_index(
        "ix_reviews_property_id_guest_email",
        "reviews",
        ["property_id", "guest_email"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_reviews_property_id_guest_email", table_name="reviews")
    op.drop_index("ix_reviews_property_id_received_at", table_name="reviews")
    op.drop_index("ix_reviews_property_id_route_received_at", table_name="reviews")
    op.drop_index("ix_queue_items_property_id_created_at", table_name="queue_items")
    with op.batch_alter_table("queue_items") as batch:
        batch.drop_constraint(batch.f("fk_queue_items_escalated_by_users"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_queue_items_created_by_users"), type_="foreignkey")
        batch.drop_column("escalated_at")
        batch.drop_column("escalated_by")
        batch.drop_column("escalated_to")
        batch.drop_column("created_by")
        batch.drop_column("origin")
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
