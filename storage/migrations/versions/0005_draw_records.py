"""draw records: each event's public record, frozen at close and completed by the draw

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "draw_records",
        sa.Column("event_id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("beacon", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="frozen", nullable=False),
        sa.Column("ballot_count", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("frozen_at", sa.BigInteger(), nullable=False),
        sa.Column("delay_seconds", sa.Integer(), nullable=False),
        sa.Column("beacon_round", sa.BigInteger(), nullable=False),
        sa.Column("draw_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chain_position", sa.Integer(), nullable=False),
        sa.Column("previous_record_hash", sa.String(length=64), nullable=True),
        sa.Column("commitment", sa.String(length=64), nullable=True),
        sa.Column("committed_at", sa.String(length=16), nullable=True),
        sa.Column("secret", sa.String(length=64), nullable=True),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.Column("randomness", sa.String(length=64), nullable=True),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("winning_number", sa.Integer(), nullable=True),
        sa.Column("bls_checked", sa.Boolean(), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('frozen', 'drawn')", name=op.f("ck_draw_records_state_known")),
        sa.CheckConstraint("beacon IN ('drand', 'local')", name=op.f("ck_draw_records_beacon_known")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_draw_records_event_id_events")),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_draw_records")),
        sa.UniqueConstraint("day", name=op.f("uq_draw_records_day")),
        sa.UniqueConstraint("chain_position", name=op.f("uq_draw_records_chain_position")),
    )
    op.create_index("ix_draw_records_state_draw_after", "draw_records", ["state", "draw_after"])
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("draw_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("draw_commitment", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy: rebuilding a table that others reference
    # is refused by SQLite's foreign keys once the tables hold rows.
    op.drop_column("events", "draw_commitment")
    op.drop_column("events", "draw_secret")
    op.drop_index("ix_draw_records_state_draw_after", table_name="draw_records")
    op.drop_table("draw_records")
