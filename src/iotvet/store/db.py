"""Opening the project store: where it lives, the engine, sessions, and schema migrations.

The store is a SQLite file ``IOTVET_HOME/iotvet.sqlite`` unless ``IOTVET_DATABASE_URL`` names
another database (any SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/iotvet``).
Opening a store always brings its schema to the newest Alembic revision first, so an older
store is upgraded in place and a new one is created from empty by the same migrations.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from ..paths import iotvet_home

STORE_FILENAME = "iotvet.sqlite"
MIGRATIONS = Path(__file__).with_name("migrations")


def database_url() -> str:
    """``$IOTVET_DATABASE_URL``, else the SQLite file under ``IOTVET_HOME``."""
    env = os.environ.get("IOTVET_DATABASE_URL")
    if env:
        return env
    return f"sqlite:///{iotvet_home() / STORE_FILENAME}"


def alembic_config(url: str) -> Config:
    """An Alembic configuration built in code (no alembic.ini: the package carries its scripts)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys are off by default in SQLite; cascades and integrity need them on."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def upgrade(engine: Engine) -> None:
    """Run every pending migration on ``engine``'s database."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


class Store:
    """An open project store: ``with store.session() as s: ...`` commits on success."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(url: str | None = None) -> Store:
    """Open (creating or upgrading) the store at ``url`` or the default location."""
    return Store(url or database_url())
