"""The production-like profile (scripts/run.py --replicas 2: PostgreSQL, Redis locks, two rasa
replicas and two action servers behind nginx) on its own database, for breaking things on purpose.

These tests stop PostgreSQL itself, so they run on their own after every other test
(`make test-faults`, which `make test` calls last)."""

from __future__ import annotations

import os
import re
import shutil
import signal
from collections.abc import Iterator

import pytest

from tests.conftest import fresh_postgres_database
from tests.e2e.conftest import REQUIRE_E2E, System, start_system, stop_system


@pytest.fixture(scope="module")
def scaled_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    if shutil.which("nginx") is None:
        message = "no nginx (apt-get install nginx)"
        if REQUIRE_E2E:
            pytest.fail(message)
        pytest.skip(message)
    with fresh_postgres_database("aftersales_faults") as url:
        running = start_system(tmp_path_factory.mktemp("scaled"), url, "--replicas", "2")
        yield running
        stop_system(running)


def replicas(system: System, kind: str) -> dict[str, int]:
    """The process group of each replica of a kind ("rasa replica", "action server"), by the
    host:port it serves on, from the launcher's own start-up lines."""
    found = {}
    for line in system.startup_output:
        match = re.match(rf"starting {kind} \d+ \(pid (\d+), http://([\d.]+:\d+)/", line)
        if match:
            found[match.group(2)] = int(match.group(1))
    return found


def kill(pid: int) -> None:
    os.killpg(pid, signal.SIGKILL)
