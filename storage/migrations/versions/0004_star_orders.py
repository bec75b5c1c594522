"""star orders: the invoices sent for Telegram Stars

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "star_orders",
        sa.Column("id", ID, nullable=False),
        sa.Column("payload", sa.String(length=64), nullable=False),
        sa.Column("player_id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payment_id", ID, nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_star_orders_quantity_positive")),
        sa.CheckConstraint("total > 0", name=op.f("ck_star_orders_total_positive")),
        sa.ForeignKeyConstraint(["player_id"], ["players.id"], name=op.f("fk_star_orders_player_id_players")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_star_orders_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_star_orders_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_star_orders")),
        sa.UniqueConstraint("payload", name=op.f("uq_star_orders_payload")),
    )


def downgrade() -> None:
    op.drop_table("star_orders")
