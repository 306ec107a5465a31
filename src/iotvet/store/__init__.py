"""The project store: SQLAlchemy models and Alembic migrations (SQLite default, PostgreSQL)."""

from __future__ import annotations

from .db import Store, database_url, open_store

__all__ = ["Store", "database_url", "open_store"]
