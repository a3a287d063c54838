"""Starts the whole system — action server, web app, notification worker, rasa server — waits until each answers,
prints the URLs, and stops all of them cleanly on Ctrl-C (or when any one of them dies).

Run by `make run` after install, migrations, demo seed and training; logs go to var/log/."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "log"
HOST = os.environ.get("BIND_HOST") or "127.0.0.1"
RASA_PORT = int(os.environ.get("RASA_PORT") or 5005)
ACTIONS_PORT = int(os.environ.get("ACTIONS_PORT") or 5055)
WEB_PORT = int(os.environ.get("WEB_PORT") or 8000)
STARTUP_TIMEOUT_S = 300


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from aftersales.config import ConfigError, Settings

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    LOGS.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "ACTION_SERVER_URL": os.environ.get("ACTION_SERVER_URL") or f"http://127.0.0.1:{ACTIONS_PORT}/webhook",
        "RASA_TRACKER_DIALECT": os.environ.get("RASA_TRACKER_DIALECT") or "sqlite",
        "RASA_TRACKER_DB": os.environ.get("RASA_TRACKER_DB") or str(ROOT / "var" / "rasa-tracker.sqlite3"),
        "RASA_URL": settings.rasa_url,
        "PYTHONUNBUFFERED": "1",
        # The rasa server imports bot_extensions (its REST channel) from the project.
        "PYTHONPATH": str(ROOT),
        # Rasa reports telemetry and crashes to its servers unless told not to.
        "RASA_TELEMETRY_ENABLED": "false",
    }
    services: dict[str, tuple[list[str], str | None]] = {
        "action server": ([str(ROOT / ".venv/bin/python"), "-m", "rasa_sdk", "--actions", "actions",
                           "--port", str(ACTIONS_PORT)], f"http://127.0.0.1:{ACTIONS_PORT}/health"),
        "web app": ([str(ROOT / ".venv/bin/gunicorn"), "--bind", f"{HOST}:{WEB_PORT}", "--workers", "2",
                     "--access-logfile", "-", "aftersales.adapters.web.wsgi:app"],
                    f"http://127.0.0.1:{WEB_PORT}/healthz"),
        # Delivers merchants' decisions and refund notices into the chats; the demo gateway's refunds
        # are paid out by it too.
        "worker": ([str(ROOT / ".venv/bin/aftersales"), "worker", "--interval", "2"]
                   + ([] if settings.production else ["--settle-refunds"]), None),
        "rasa server": ([str(ROOT / ".venv-bot/bin/rasa"), "run", "--interface", HOST, "--port", str(RASA_PORT),
                         "--enable-api", "--auth-token", settings.rasa_api_token, "--cors", "*",
                         "--model", str(ROOT / "models"), "--endpoints", "endpoints.yml",
                         "--credentials", "credentials.yml"], f"http://127.0.0.1:{RASA_PORT}/"),
    }
    running: dict[str, subprocess.Popen[bytes]] = {}

    def stop_all(*_: object) -> None:
        for name, process in running.items():
            if process.poll() is None:
                print(f"stopping {name} …")
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in running.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    # Installed explicitly: a shell that starts us in the background sets SIGINT to "ignore".
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        for name, (command, _) in services.items():
            log = open(LOGS / f"{name.replace(' ', '-')}.log", "ab")  # noqa: SIM115 - lives as long as the child
            running[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                             start_new_session=True)
            print(f"starting {name} (log: var/log/{name.replace(' ', '-')}.log)")
        pending = dict(services)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while pending:
            for name in list(pending):
                if running[name].poll() is not None:
                    print(f"{name} exited with code {running[name].returncode}; see var/log/", file=sys.stderr)
                    stop_all()
                    return 1
                if pending[name][1] is None or _answers(pending[name][1]):
                    print(f"{name} is up")
                    del pending[name]
            if time.monotonic() > deadline:
                print(f"timed out waiting for {', '.join(pending)}", file=sys.stderr)
                stop_all()
                return 1
            time.sleep(1)
        print(f"""
aftersales is running:
  web app (merchant inbox, demo shop)  http://{HOST}:{WEB_PORT}/
  rasa server (REST, socket.io, API)   http://{HOST}:{RASA_PORT}/webhooks/rest/webhook
  action server                        http://127.0.0.1:{ACTIONS_PORT}/webhook
Try it: .venv/bin/aftersales token c_1001  → put it in the chat metadata as customer_token.
Press Ctrl-C to stop everything.""", flush=True)
        while all(p.poll() is None for p in running.values()):
            time.sleep(1)
        dead = [n for n, p in running.items() if p.poll() is not None]
        print(f"{', '.join(dead)} stopped unexpectedly; stopping the rest (see var/log/)", file=sys.stderr)
        stop_all()
        return 1
    except KeyboardInterrupt:
        stop_all()
        print("stopped.")
        return 0


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback health checks
            return response.status < 500
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
