"""lean reads: indexes for the hot reads; counts of participants and of each holder's ballots

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch copy of the table: on SQLite a batch rebuild drops `events`,
    # which ballots and registrations reference, and the foreign keys refuse it.
    op.add_column("events", sa.Column("participant_count", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        "UPDATE events SET participant_count = "
        "(SELECT count(*) FROM registrations WHERE registrations.event_id = events.id)"
    )
    op.add_column("registrations", sa.Column("ballots", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        "UPDATE registrations SET ballots = (SELECT count(*) FROM ballots"
        " WHERE ballots.event_id = registrations.event_id AND ballots.player_id = registrations.player_id)"
    )
    op.create_index(
        "ix_registrations_player_event_ballots",
        "registrations",
        ["player_id", "event_id", "ballots"],
        unique=False,
    )
    op.create_index(
        "ix_events_status_day_ballot_count", "events", ["status", "day", "ballot_count"], unique=False
    )
    op.create_index("ix_players_live", "players", ["deleted_at", "id", "balance"], unique=False)
    op.create_index(
        "ix_ballots_player_event_number", "ballots", ["player_id", "event_id", "number"], unique=False
    )
    op.drop_index("ix_ballots_player_event", table_name="ballots")
    op.create_index("ix_payments_status_amount", "payments", ["status", "amount"], unique=False)
    op.create_index("ix_outbox_pending_id", "outbox", ["status", "id", "next_attempt_at"], unique=False)
    op.drop_index("ix_outbox_due", table_name="outbox")


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy: rebuilding a table that others reference
    # is refused by SQLite's foreign keys once the tables hold rows.
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"], unique=False)
    op.drop_index("ix_outbox_pending_id", table_name="outbox")
    op.drop_index("ix_payments_status_amount", table_name="payments")
    op.create_index("ix_ballots_player_event", "ballots", ["player_id", "event_id"], unique=False)
    op.drop_index("ix_ballots_player_event_number", table_name="ballots")
    op.drop_index("ix_players_live", table_name="players")
    op.drop_index("ix_events_status_day_ballot_count", table_name="events")
    op.drop_index("ix_registrations_player_event_ballots", table_name="registrations")
    op.drop_column("registrations", "ballots")
    op.drop_column("events", "participant_count")
