"""Database fixtures: every integration test runs on SQLite and on PostgreSQL.

PostgreSQL tests are skipped on a machine without a server, except where AFTERSALES_REQUIRE_POSTGRES=1
(`make test` and CI set it): there a missing server is a failure, never a silent skip."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import make_engine
from aftersales.adapters.db.migrate import upgrade

# Runs with the bot runtime's Python, which has Rasa and not the app (tests/bot_runtime/pytest.ini).
collect_ignore = ["bot_runtime"]

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("AFTERSALES_REQUIRE_POSTGRES") == "1"


@contextlib.contextmanager
def fresh_postgres_database(prefix: str = "aftersales_test") -> Iterator[str]:
    """A new, migrated database on the test server, dropped afterwards (with any database whose
    name starts with it, such as the scaled profile's `<name>_tracker`)."""
    # pre-ping: the fault tests restart the server while this engine's connection sits in its pool.
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server here"
        admin.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            names = connection.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :n"),
                                       {"n": f"{name}%"}).scalars().all()
            for each in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{each}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'aftersales.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated, empty database of each kind."""
    url = request.getfixturevalue(f"{request.param}_url")
    yield url
    _empty(url)


@pytest.fixture
def postgres_only_url(postgres_url: str) -> Iterator[str]:
    yield postgres_url
    _empty(postgres_url)


def _empty(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(table.name for table in t.Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("UPDATE order_items SET refund_id = NULL"))
            for table in reversed(t.Base.metadata.sorted_tables):
                connection.execute(table.delete())
    engine.dispose()
