"""SQLAlchemy storage: tables, engine, unit of work, migrations."""
