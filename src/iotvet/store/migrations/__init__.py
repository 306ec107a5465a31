"""Alembic migrations of the project store (run by iotvet.store.db.upgrade)."""
