"""prizes and public names: an event's own prize and rules line, and how a winner is named in public

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL prize or rules: the configured default (PRIZE_TEXT, PRIZE_RULES) or the translated one.
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prize", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("prize_rules", sa.String(length=300), nullable=True))
    # Every player, old or new, is named by first name only until they choose otherwise under /me.
    with op.batch_alter_table("players", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("public_name", sa.String(length=32), nullable=False, server_default="first_name")
        )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy: rebuilding a table that others reference
    # is refused by SQLite's foreign keys once the tables hold rows.
    op.drop_column("players", "public_name")
    op.drop_column("events", "prize_rules")
    op.drop_column("events", "prize")
