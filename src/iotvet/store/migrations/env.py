"""Alembic environment for the project store.

Run programmatically by :func:`iotvet.store.db.upgrade`, which passes an open connection in
``config.attributes["connection"]``; a developer adding a migration runs
``alembic -x url=sqlite:///dev.sqlite revision --autogenerate`` through a Config built the same
way (see the store tests). SQLite needs "batch" mode to alter tables, so it is always on.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from iotvet.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
