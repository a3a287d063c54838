"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL (the test
databases are made by `upgrade`), and step down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from aftersales.adapters.db.engine import make_engine
from aftersales.adapters.db.migrate import downgrade, upgrade
from aftersales.adapters.db.tables import Base


def test_the_migrated_schema_is_the_models_schema(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def test_the_newest_migrations_step_down_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'steps.sqlite3'}"
    upgrade(url)
    downgrade(url, "0002")
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()
