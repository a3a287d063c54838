"""The rasa server as scripts/run.py starts it (`python -m bot_extensions.serve run …`) answers without
ever importing TensorFlow (bot_extensions/lazy_tensorflow.py); with the patches switched off it imports
it, as Rasa does. The served process itself reports its `sys.modules`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import bot_extensions

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "aftersales.tar.gz"
START_TIMEOUT_S = 300  # the machine may be busy; a load takes ~10 s on a quiet one

# The served process: a thread writes, once asked (a file next to the report appears), which of the
# modules asked about it has imported; the rest is the rasa server, started as scripts/run.py starts it.
SERVE_AND_REPORT = """
import json, os, runpy, sys, threading, time
def report(path):
    while not os.path.exists(path + ".ask"):
        time.sleep(0.1)
    modules = {name: name in sys.modules for name in ("tensorflow", "rasa.utils.tensorflow.callback", "skops", "slack_sdk",
                                                       "aiogram")}
    with open(path + ".tmp", "w") as out:
        json.dump(modules, out)
    os.replace(path + ".tmp", path)
threading.Thread(target=report, args=(sys.argv[1],), daemon=True).start()
sys.argv = ["bot_extensions.serve", *sys.argv[2:]]
runpy.run_module("bot_extensions.serve", run_name="__main__", alter_sys=True)
"""


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict) -> list:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.loads(reply.read())


@pytest.mark.skipif(not MODEL.exists(), reason="no trained model in models/ (make train)")
@pytest.mark.parametrize(("setting", "tensorflow_imported"), [("on", False), ("off", True)])
def test_the_served_bot_answers_without_importing_tensorflow(tmp_path, setting, tensorflow_imported):
    port, actions_port = _unused_port(), _unused_port()  # no action server: a greeting needs none
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{actions_port}/webhook\n"
                         "tracker_store:\n  type: bot_extensions.tracker_store.RecentTurnsSQLTrackerStore\n"
                         f"  dialect: sqlite\n  db: {tmp_path / 'tracker.sqlite3'}\n")
    report = tmp_path / "modules.json"
    env = {**os.environ, bot_extensions.PATCHES_SETTING: setting}
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE_AND_REPORT, str(report), "run", "--interface", "127.0.0.1", "--port", str(port),
         "--model", str(MODEL), "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert server.poll() is None, "the rasa server exited"
            try:
                answer = _post(f"http://127.0.0.1:{port}/webhooks/rest/webhook", {"sender": "tf-probe", "message": "你好"})
                break
            except OSError:
                assert time.monotonic() < deadline, "the rasa server did not answer"
                time.sleep(1)
        assert answer and answer[0].get("text"), answer
        (tmp_path / "modules.json.ask").touch()
        for _ in range(300):
            if report.exists():
                break
            time.sleep(0.1)
        modules = json.loads(report.read_text())
        # skops neither way: the linear NLU's model files are read without it (bot_extensions/estimator_files.py);
        # the SDKs of channels we do not use only without the patches (bot_extensions/lazy_channels.py).
        patched_out = tensorflow_imported  # what the patches keep out comes back with them off
        assert modules == {"tensorflow": patched_out, "rasa.utils.tensorflow.callback": patched_out,
                           "skops": False, "slack_sdk": patched_out, "aiogram": patched_out}
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _fresh_python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, bot_extensions.PATCHES_SETTING: "on"}, check=True)
    return result.stdout.strip().splitlines()[-1]


def test_the_training_utilities_run_on_their_first_real_use_only():
    verdict = _fresh_python(
        "import sys, bot_extensions, rasa.utils.train_utils as tu\n"
        "from bot_extensions.lazy_tensorflow import is_deferred\n"
        "before = is_deferred(); missing = hasattr(tu, 'erf')\n"  # pickle's whichmodule asks like this
        "still = is_deferred() and 'tensorflow' not in sys.modules\n"
        "callbacks = tu.create_common_callbacks\n"  # a real use: the real module, TensorFlow with it
        "print(before, missing, still, is_deferred(), callable(callbacks), 'tensorflow' in sys.modules)")
    assert verdict == "True False True False True True"


@pytest.mark.skipif(not MODEL.exists(), reason="no trained model in models/ (make train)")
def test_a_loaded_model_keeps_its_training_schema_the_same():
    verdict = _fresh_python(
        "import json, sys, tarfile, bot_extensions\n"
        "from rasa.engine.graph import GraphSchema\n"
        "from rasa.engine.storage.storage import ModelMetadata\n"
        f"archive = tarfile.open({str(MODEL)!r})\n"
        "raw = json.load(archive.extractfile([m for m in archive.getmembers() if m.name.endswith('metadata.json')][0]))\n"
        "metadata = ModelMetadata.from_dict(json.loads(json.dumps(raw)))\n"
        "loaded_without = 'tensorflow' not in sys.modules\n"
        "same_dict = metadata.as_dict()['train_schema'] == raw['train_schema']\n"
        "same_nodes = metadata.train_schema == GraphSchema.from_dict(json.loads(json.dumps(raw['train_schema'])))\n"
        "print(loaded_without, same_dict, same_nodes, metadata.predict_schema.as_dict() == raw['predict_schema'])")
    assert verdict == "True True True True"
