"""How the lottery is kept: async SQLAlchemy models, repositories and Alembic migrations."""

from storage.database import Database, create_engine
from storage.unit_of_work import UnitOfWork

__all__ = ["Database", "UnitOfWork", "create_engine"]
