"""refunds that settle and payments nobody could be credited for

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("refund_requested_at", sa.DateTime(timezone=True), nullable=True))
    # A refund left "refunding" by the code before this column existed is old: its call is long over,
    # so reconciliation must settle it (a NULL here would never be judged old enough).
    op.execute("UPDATE payments SET refund_requested_at = created_at WHERE status = 'refunding'")
    op.create_table(
        "orphan_payments",
        sa.Column("id", ID, nullable=False),
        sa.Column("charge_id", sa.String(length=255), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("payload", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orphan_payments")),
        sa.UniqueConstraint("charge_id", name=op.f("uq_orphan_payments_charge_id")),
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy: rebuilding a table that others reference
    # is refused by SQLite's foreign keys once the tables hold rows.
    op.drop_table("orphan_payments")
    op.drop_column("payments", "refund_requested_at")
