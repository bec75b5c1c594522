"""player language: the language a player chose with /language, and the one Telegram last reported

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Both nullable: no choice means Telegram's language, and players registered before this
    # revision are written to in English until they next use the bot.
    with op.batch_alter_table("players", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("telegram_language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy: rebuilding a table that others reference
    # is refused by SQLite's foreign keys once the tables hold rows.
    op.drop_column("players", "telegram_language")
    op.drop_column("players", "language")
