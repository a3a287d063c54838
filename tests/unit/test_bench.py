"""The benchmark measures the processes it started, as scripts/run.py starts them: the rasa server
(`python -m bot_extensions.serve run …`) and the action server found by their command lines, only in
the bench's own process tree (other engineers run the same servers on the machine)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench import run as bench
from bench.processes import command_line, tree_matching, with_descendants

ROOT = Path(__file__).resolve().parents[2]


def launcher():
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "scripts" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def test_the_bench_looks_for_the_words_scripts_run_starts_the_servers_with():
    run = launcher()
    settings = SimpleNamespace(rasa_api_token="t" * 32, chat_allowed_origins=["http://127.0.0.1:8000"])
    for endpoints in ("endpoints.yml", "endpoints.scaled.yml"):
        rasa = run.rasa_server("127.0.0.1", 5005, endpoints, settings).command
        assert all(word in rasa for word in bench.OUR_RASA_COMMAND), rasa
        assert not all(word in rasa for word in bench.ACTION_SERVER_COMMAND)
    actions = run.action_server(5055).command
    assert all(word in actions for word in bench.ACTION_SERVER_COMMAND), actions
    assert not all(word in actions for word in bench.OUR_RASA_COMMAND)


SLEEP = "import sys, time; time.sleep(60)"
# A launcher like scripts/run.py: a rasa server with a child of its own, and an action server.
TREE = f"""
import subprocess, sys, time
rasa = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                         "subprocess.Popen([sys.executable, '-c', {SLEEP!r}]); time.sleep(60)",
                         "-m", "bot_extensions.serve", "run", "--port", "1"])
actions = subprocess.Popen([sys.executable, "-c", {SLEEP!r}, "-m", "rasa_sdk", "--actions", "actions"])
time.sleep(60)
"""


def test_only_the_servers_of_the_bench_s_own_tree_are_counted():
    outsider = subprocess.Popen([sys.executable, "-c", SLEEP, "-m", "bot_extensions.serve", "run", "--port", "1"])
    root = subprocess.Popen([sys.executable, "-c", TREE])
    try:
        deadline = time.monotonic() + 30
        while len(with_descendants([root.pid])) < 4:  # root, rasa, rasa's child, action server
            assert time.monotonic() < deadline, "the process tree did not start"
            time.sleep(0.05)
        everyone = with_descendants([root.pid])
        rasa = tree_matching(root.pid, *bench.OUR_RASA_COMMAND)
        actions = tree_matching(root.pid, *bench.ACTION_SERVER_COMMAND)
        assert len(rasa) == 2 and outsider.pid not in rasa  # the server and its child, once each
        assert "bot_extensions.serve" in command_line(rasa[0])
        assert len(actions) == 1 and "rasa_sdk" in command_line(actions[0])
        assert not set(rasa) & set(actions) and set(rasa) | set(actions) < set(everyone)
    finally:
        for pid in [*with_descendants([root.pid]), outsider.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        root.wait()
        outsider.wait()


def test_the_starter_bot_is_its_own_rasa_process():
    process = subprocess.Popen([sys.executable, "-c", SLEEP, "run", "--port", "1"])
    try:
        starter = bench.Bot("starter", "http://127.0.0.1:1", process, 0.0, 1, None, ("run",))
        assert starter.rasa_pids() == [process.pid]
        assert starter.action_pids() == []
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize("replicas", [1, 2])
def test_every_run_gets_databases_of_its_own(tmp_path, replicas):
    first, second = bench.bench_databases(tmp_path, replicas), bench.bench_databases(tmp_path, replicas)
    if replicas == 1:
        assert first == (f"sqlite:///{tmp_path / 'aftersales.sqlite3'}", None)
    else:
        assert first != second and all(url.startswith("postgresql") for url in first)
        assert first[1] == f"{first[0]}_tracker"
