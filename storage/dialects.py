"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def insert_ignoring_conflicts(
    session: AsyncSession,
    model: type[DeclarativeBase],
    *,
    values: Mapping[str, Any],
    conflict_columns: Sequence[str],
) -> sqlite.Insert | postgresql.Insert:
    """`INSERT … ON CONFLICT (…) DO NOTHING`: the losing side of a race gets no row back, not an error."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if dialect == "postgresql":
        return (
            postgresql.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
        )
    return sqlite.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
