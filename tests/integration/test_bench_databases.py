"""`bench --replicas N` runs on PostgreSQL databases of its own (orders, and the replicas' tracker
store) and drops both when it ends, however it ends."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from aftersales.adapters.db.migrate import create_database_if_missing
from bench import run as bench
from tests.conftest import POSTGRES_ADMIN_URL

pytestmark = pytest.mark.postgres


def existing(names: list[str]) -> list[str]:
    engine = create_engine(POSTGRES_ADMIN_URL)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT datname FROM pg_database WHERE datname = ANY(:names)"),
                                      {"names": names}).scalars().all()
    finally:
        engine.dispose()


class Started:
    """What start_ours leaves behind before `fails` happens: both databases, with a connection open."""

    def __init__(self) -> None:
        self.databases: tuple[str, str | None] = ("", None)
        self.name, self.stopped = "aftersales ×2", False

    def start_ours(self, workdir, databases, orders_needed, replicas=1):
        self.databases = databases
        for url in databases:
            create_database_if_missing(url)
        self.connection = create_engine(databases[0]).connect()  # a server still connected
        return self, {"paid": [], "shipped": [], "delivered": []}

    def stop(self) -> None:
        self.stopped = True


@pytest.mark.parametrize("fails", ["start_ours", "start_starter"])
def test_the_scaled_bench_drops_its_databases_when_it_ends(monkeypatch, tmp_path, fails):
    monkeypatch.setenv("BENCH_POSTGRES_URL", make_url(POSTGRES_ADMIN_URL).set(database="")
                       .render_as_string(hide_password=False))
    started = Started()

    def broken(*args, **kwargs):
        if fails == "start_ours":
            started.start_ours(*args, **kwargs)
        raise RuntimeError(f"{fails} failed")

    monkeypatch.setattr(bench, "start_ours", broken if fails == "start_ours" else started.start_ours)
    monkeypatch.setattr(bench, "start_starter", broken)
    with pytest.raises(RuntimeError, match=f"{fails} failed"):
        bench.main(["--replicas", "2", "--no-training", "--soak-minutes", "0", "--levels", "1",
                    "--out", str(tmp_path)])
    names = [make_url(url).database for url in started.databases if url]
    assert len(names) == 2 and names[1] == f"{names[0]}_tracker"
    assert existing(names) == []
    assert started.stopped == (fails == "start_starter")  # a bot that came up is stopped too
