"""The benchmark measures the processes it started, as scripts/run.py starts them: the rasa server
(`python -m bot_extensions.serve run …`), the action server, the web app and the worker found by
their command lines, and all of them together, only in the bench's own process tree (other engineers
run the same servers on the machine)."""

from __future__ import annotations

import contextlib
import importlib.util
import json
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
from bench.report import LevelResult, Turn, write_report

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
    app = {service.name: service.command for service in run.app_services(settings)}
    assert set(app) == {"web app", "worker"}  # a new process of ours needs a column of its own
    assert all(word in app["web app"] for word in bench.WEB_APP_COMMAND), app["web app"]
    assert all(word in app["worker"] for word in bench.WORKER_COMMAND), app["worker"]
    commands = (bench.OUR_RASA_COMMAND, bench.ACTION_SERVER_COMMAND, bench.WEB_APP_COMMAND, bench.WORKER_COMMAND)
    for command in [rasa, actions, *app.values()]:  # each process is counted in one column only
        assert sum(all(word in command for word in words) for words in commands) == 1, command


SLEEP = "import sys, time; time.sleep(60)"
# A launcher like scripts/run.py: a rasa server with a child of its own, and an action server.
TREE = f"""
import subprocess, sys, time
rasa = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                         "subprocess.Popen([sys.executable, '-c', {SLEEP!r}]); time.sleep(60)",
                         "-m", "bot_extensions.serve", "run", "--port", "1"])
actions = subprocess.Popen([sys.executable, "-c", {SLEEP!r}, "-m", "rasa_sdk", "--actions", "actions"])
web = subprocess.Popen([sys.executable, "-c", {SLEEP!r}, "--workers", "2", "aftersales.entrypoints.web.wsgi:app"])
worker = subprocess.Popen([sys.executable, "-c", {SLEEP!r}, "worker", "--interval", "2"])
time.sleep(60)
"""


def test_only_the_servers_of_the_bench_s_own_tree_are_counted():
    outsider = subprocess.Popen([sys.executable, "-c", SLEEP, "-m", "bot_extensions.serve", "run", "--port", "1"])
    root = subprocess.Popen([sys.executable, "-c", TREE])
    try:
        deadline = time.monotonic() + 30
        # root, rasa, rasa's child, action server, web app, worker
        while len(with_descendants([root.pid])) < 6:
            assert time.monotonic() < deadline, "the process tree did not start"
            time.sleep(0.05)
        everyone = with_descendants([root.pid])
        rasa = tree_matching(root.pid, *bench.OUR_RASA_COMMAND)
        actions = tree_matching(root.pid, *bench.ACTION_SERVER_COMMAND)
        web = tree_matching(root.pid, *bench.WEB_APP_COMMAND)
        worker = tree_matching(root.pid, *bench.WORKER_COMMAND)
        assert len(rasa) == 2 and outsider.pid not in rasa  # the server and its child, once each
        assert "bot_extensions.serve" in command_line(rasa[0])
        assert len(actions) == 1 and "rasa_sdk" in command_line(actions[0])
        assert len(web) == 1 and "aftersales.entrypoints.web.wsgi:app" in command_line(web[0])
        assert len(worker) == 1 and "worker" in command_line(worker[0])
        groups = [set(rasa), set(actions), set(web), set(worker)]
        assert sum(len(g) for g in groups) == len(set().union(*groups))  # no process in two columns
        # "all" is the whole tree: the four servers and the launcher itself
        assert set().union(*groups) | {root.pid} == set(everyone)
        ours = bench.Bot("aftersales", "http://127.0.0.1:1", root, 0.0, 1, 2, bench.OUR_RASA_COMMAND)
        assert set(ours.all_pids()) == set(everyone) and outsider.pid not in ours.all_pids()
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
        assert starter.rasa_pids() == [process.pid] == starter.all_pids()
        assert starter.action_pids() == starter.web_pids() == starter.worker_pids() == []
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


def level(system: str, concurrency: int, turns: int, **cpu_s: float) -> LevelResult:
    result = LevelResult(system, concurrency, [Turn("c", i, 0.02, True) for i in range(turns)], wall_seconds=1.0)
    for name, seconds in cpu_s.items():
        setattr(result, name, seconds)
    return result


def test_the_report_gives_each_process_s_cpu_per_turn_and_all_of_ours_against_the_starter(tmp_path):
    ours = level("aftersales", 1, 10, rasa_cpu_s=0.12, actions_cpu_s=0.08, web_cpu_s=0.01, worker_cpu_s=0.03,
                 total_cpu_s=0.25)
    starter = level("starter", 1, 10, rasa_cpu_s=0.40, total_cpu_s=0.40)
    extras = {"when": "now", "machine": "2 cores", "profile": "SQLite", "ours": "aftersales", "load_ours": 1.0,
              "load_starter": 2.0, "parse_ours": 7.0, "parse_starter": 14.0, "long_early": 20.0, "long_late": 21.0}
    text = write_report(tmp_path, [ours, starter], extras)
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["levels"][0]
    assert saved["rasa_cpu_ms_per_turn"] == pytest.approx(12.0)
    assert saved["actions_cpu_ms_per_turn"] == pytest.approx(8.0)
    assert saved["web_cpu_ms_per_turn"] == pytest.approx(1.0)
    assert saved["worker_cpu_ms_per_turn"] == pytest.approx(3.0)
    assert saved["total_cpu_ms_per_turn"] == pytest.approx(25.0)
    assert "| aftersales | 1 | 10 | 0 | 20 | 20 | 20 | 10.0 | 0 | 0 | 12.0 | 8.0 | 1.0 | 3.0 | 25.0 |" in text
    assert "| 1 | 1.00 | 1.00 | 0.62 |" in text  # 25 ms against the starter's 40


def test_a_starter_that_used_no_measurable_cpu_gives_no_ratio(tmp_path):
    extras = {"when": "now", "machine": "2 cores", "profile": "SQLite", "ours": "aftersales", "load_ours": 1.0,
              "load_starter": 2.0, "parse_ours": 7.0, "parse_starter": 14.0, "long_early": 20.0, "long_late": 21.0}
    text = write_report(tmp_path, [level("aftersales", 1, 10, total_cpu_s=0.25), level("starter", 1, 10)], extras)
    assert "| 1 | 1.00 | 1.00 | — |" in text


def test_the_readmes_performance_table_is_the_latest_runs():
    from bench.readme import BEGIN, END, latest_results, targets_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme[readme.index(BEGIN) + len(BEGIN):readme.index(END)].strip()
    assert shown == targets_table(latest_results(ROOT / "bench" / "results"))


def test_the_targets_table_says_which_target_a_run_met(tmp_path):
    from bench.readme import targets_table, write_readme

    def row(system, n, cpu, p50, rate, rss):
        return {"system": system, "concurrency": n, "total_cpu_ms_per_turn": cpu, "p50_ms": p50,
                "messages_per_s": rate, "rasa_rss_mb": rss}

    results = {"ours": "aftersales", "when": "now", "machine": "2 cores", "profile": "SQLite", "long_early": 10.0,
               "long_late": 12.0, "load_ours": 4.0, "load_starter": 30.0, "train_ours": 20.0, "train_starter": 50.0,
               "levels": [*(row("aftersales", n, 10.0, 10.0, 50.0, 300) for n in (1, 10, 50)),
                          *(row("starter", n, 24.0, 25.0, 20.0, 1000) for n in (1, 10, 50))]}
    table = targets_table(results)
    assert "| ×0.42 / ×0.42 / ×0.42 | ≤ ×0.5 | met |" in table  # CPU: 10 against 24 ms
    assert "| ×1.20 | ≤ ×1.1 | **not met** |" in table  # the long conversation: 12 against 10 ms
    readme = tmp_path / "README.md"
    readme.write_text("before\n<!-- bench-table -->\nold\n<!-- /bench-table -->\nafter\n", encoding="utf-8")
    write_readme(readme, results)
    assert readme.read_text(encoding="utf-8") == f"before\n<!-- bench-table -->\n{table}\n<!-- /bench-table -->\nafter\n"
