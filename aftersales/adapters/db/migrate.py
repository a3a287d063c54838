"""Schema migrations with Alembic, driven from Python (the CLI and the tests call these)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    _ensure_sqlite_folder(database_url)
    create_database_if_missing(database_url)
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def new_revision(database_url: str, message: str) -> None:
    command.revision(alembic_config(database_url), message=message, autogenerate=True)


@contextlib.contextmanager
def _server(database_url: str) -> Iterator[tuple[Connection | None, str]]:
    """A connection to the PostgreSQL server of the URL (its `postgres` database, autocommit) and the
    URL's database name; no connection for other dialects."""
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        yield None, str(url.database)
        return
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection, str(url.database)
    finally:
        engine.dispose()


def create_database_if_missing(database_url: str) -> None:
    """On PostgreSQL, create the URL's database when the server has none by that name, connecting to
    the server's `postgres` database to do it (the role needs CREATEDB). Other dialects: nothing."""
    with _server(database_url) as (connection, name):
        if connection is not None and not connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).scalar():
            connection.execute(text(f"CREATE DATABASE {connection.dialect.identifier_preparer.quote(name)}"))


def drop_database_if_exists(database_url: str) -> None:
    """On PostgreSQL, drop the URL's database, closing its connections (WITH FORCE, PostgreSQL 13+);
    connects to the server's `postgres` database to do it. Other dialects: nothing."""
    with _server(database_url) as (connection, name):
        if connection is not None:
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))


def _ensure_sqlite_folder(database_url: str) -> None:
    if database_url.startswith("sqlite:///") and not database_url.endswith(":memory:"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
