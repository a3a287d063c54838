"""How long a fresh clone takes from `make run` to the bot's first answer, as a shop's engineer trying
the project would wait for it.

    .venv/bin/python bench/first_answer.py [--keep-cache] [--out bench/results/first-answer.md]

Clones this repository's HEAD into a new folder, and runs `make run` there with an empty uv cache
of its own (so every package is downloaded from the registry, as on a machine that never installed
them; `--keep-cache` uses the machine's cache instead) and no trained model. Then it says 你好 to the
REST channel every second until a reply comes back, and reports the time to it, with the time each
step of `make run` took as its output shows them. The ports of `make run` (5005, 5055, 8000) must be
free. Everything it started is stopped and its folder removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK = "http://127.0.0.1:5005/webhooks/rest/webhook"
LIMIT_S = 1800.0
# Lines of `make run`'s output that mark the end of a step: (step, the words that end it).
STEPS = (("environments installed", "rasa train --skip-validation"),
         ("model trained", "Your Rasa model is trained"),
         ("servers starting", "starting rasa"))


def first_reply() -> bool:
    try:
        response = requests.post(WEBHOOK, json={"sender": "first-answer", "message": "你好"}, timeout=10)
        return response.ok and bool(response.json())
    except (requests.RequestException, ValueError):
        return False


def measure(keep_cache: bool) -> tuple[float | None, list[tuple[str, float]]]:
    workdir = Path(tempfile.mkdtemp(prefix="aftersales-first-answer-"))
    clone = workdir / "aftersales"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if not keep_cache:
        env["UV_CACHE_DIR"] = str(workdir / "uv-cache")
    log = (workdir / "make-run.log").open("w+", encoding="utf-8")
    started = time.monotonic()
    process = subprocess.Popen(["make", "run"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    steps: list[tuple[str, float]] = []
    answered: float | None = None
    try:
        while time.monotonic() - started < LIMIT_S and process.poll() is None:
            log.seek(0)
            output = log.read()
            for step, words in STEPS:
                if step not in dict(steps) and words in output:
                    steps.append((step, time.monotonic() - started))
            if first_reply():
                answered = time.monotonic() - started
                break
            time.sleep(1)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return answered, steps


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep-cache", action="store_true", help="use the machine's uv cache")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "first-answer.md")
    args = parser.parse_args()
    if first_reply():
        print("something already answers on :5005 — stop it first", file=sys.stderr)
        return 2
    answered, steps = measure(args.keep_cache)
    cache = "the machine's uv cache" if args.keep_cache else "an empty uv cache (every package downloaded)"
    lines = [f"# Fresh clone: `make run` → first answer — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {os.cpu_count()} cores; {cache}; no trained model. Made by `bench/first_answer.py`.", "",
             "| step | minutes from `make run` |", "|---|---|"]
    lines += [f"| {step} | {seconds / 60:.1f} |" for step, seconds in steps]
    lines.append(f"| **first answer to 你好** | **{answered / 60:.1f}** |" if answered is not None
                 else f"| first answer to 你好 | none within {LIMIT_S / 60:.0f} minutes |")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0 if answered is not None else 1


if __name__ == "__main__":
    sys.exit(main())
