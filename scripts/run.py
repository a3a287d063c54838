"""Starts the whole system, waits until each part answers, prints the URLs, and stops all of them
cleanly on Ctrl-C.

    scripts/run.py                 the embedded default (`make run`): one action server, one rasa
                                   server, SQLite unless DATABASE_URL says otherwise
    scripts/run.py --replicas 2    the production-like profile (`make run-scaled`): PostgreSQL for
                                   orders and conversations, Rasa's locks in Redis, N rasa replicas and
                                   N action servers behind nginx, all on loopback

Plus the web app (inbox, demo shop, case API) and the notification worker. A replica that dies is
started again (after a short pause) while the others go on serving, as an orchestrator would; any
other process dying stops everything. Run by `make run` / `make run-scaled` after install,
migrations, demo seed and training; logs go to var/log/."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "log"
HOST = os.environ.get("BIND_HOST") or "127.0.0.1"
RASA_PORT = int(os.environ.get("RASA_PORT") or 5005)
ACTIONS_PORT = int(os.environ.get("ACTIONS_PORT") or 5055)
WEB_PORT = int(os.environ.get("WEB_PORT") or 8000)
STARTUP_TIMEOUT_S = 300
RESTART_PAUSE_S = 2.0


@dataclass
class Service:
    name: str
    command: list[str]
    health: str | None = None
    replica: bool = False  # started again when it dies; the others keep serving meanwhile


def action_server(port: int, name: str = "action server", replica: bool = False) -> Service:
    return Service(name, [str(ROOT / ".venv/bin/python"), "-m", "rasa_sdk", "--actions", "actions",
                          "--port", str(port)], f"http://127.0.0.1:{port}/health", replica)


def rasa_server(host: str, port: int, endpoints: str, settings, name: str = "rasa server",
                replica: bool = False) -> Service:
    # `rasa run`, with bot_extensions' patches in place before Rasa's imports (no TensorFlow loaded).
    return Service(name, [str(ROOT / ".venv-bot/bin/python"), "-m", "bot_extensions.serve", "run",
                          "--interface", host, "--port", str(port),
                          "--enable-api", "--auth-token", settings.rasa_api_token,
                          "--cors", *settings.chat_allowed_origins, "--model", str(ROOT / "models"),
                          "--endpoints", endpoints, "--credentials", "credentials.yml"],
                   f"http://127.0.0.1:{port}/", replica)


def app_services(settings) -> list[Service]:
    return [
        Service("web app", [str(ROOT / ".venv/bin/gunicorn"), "--bind", f"{HOST}:{WEB_PORT}", "--workers", "2",
                            "--access-logfile", "-", "aftersales.entrypoints.web.wsgi:app"],
                f"http://127.0.0.1:{WEB_PORT}/healthz"),
        # Submits refunds to the payment provider and follows them up; delivers merchants' decisions
        # and refund notices into the chats.
        Service("worker", [str(ROOT / ".venv/bin/aftersales"), "worker", "--interval", "2"]),
    ]


def single_profile(settings, env: dict[str, str]) -> list[Service]:
    env["RASA_TRACKER_DIALECT"] = env.get("RASA_TRACKER_DIALECT") or "sqlite"
    env["RASA_TRACKER_DB"] = env.get("RASA_TRACKER_DB") or str(ROOT / "var" / "rasa-tracker.sqlite3")
    return [action_server(ACTIONS_PORT), *app_services(settings),
            rasa_server(HOST, RASA_PORT, "endpoints.yml", settings)]


def scaled_profile(settings, env: dict[str, str], replicas: int) -> list[Service]:
    from sqlalchemy.engine import make_url

    from aftersales.adapters.db.migrate import create_database_if_missing

    if not settings.database_url.startswith("postgresql"):
        raise SystemExit("the scaled profile needs DATABASE_URL=postgresql+psycopg://… (replicas share it)")
    if shutil.which("nginx") is None:
        raise SystemExit("the scaled profile needs nginx: apt-get install nginx")
    orders = make_url(settings.database_url)
    tracker = (make_url(os.environ["RASA_TRACKER_URL"]) if os.environ.get("RASA_TRACKER_URL")
               else orders.set(database=f"{orders.database}_tracker"))
    create_database_if_missing(tracker.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    redis = make_url(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/1")
    env.update({"RASA_TRACKER_URL": tracker.set(drivername="postgresql").render_as_string(hide_password=False),
                "REDIS_HOST": redis.host or "127.0.0.1", "REDIS_PORT": str(redis.port or 6379),
                "REDIS_LOCK_DB": str(redis.database or 1), "SANIC_PROXIES_COUNT": "1"})
    rasa_ports = [_free_port() for _ in range(replicas)]
    action_ports = [_free_port() for _ in range(replicas)]
    _write_nginx_conf(rasa_ports, action_ports)
    nginx = Service("load balancer", ["nginx", "-p", str(ROOT / "var" / "nginx"), "-c", "nginx.conf",
                                      "-g", "daemon off;"], f"http://127.0.0.1:{ACTIONS_PORT}/health")
    return [*(action_server(p, f"action server {i + 1}", True) for i, p in enumerate(action_ports)),
            nginx, *app_services(settings),
            *(rasa_server("127.0.0.1", p, "endpoints.scaled.yml", settings, f"rasa replica {i + 1}",
                          True) for i, p in enumerate(rasa_ports))]


def _write_nginx_conf(rasa_ports: list[int], action_ports: list[int]) -> None:
    """REST and the HTTP API go to the least busy replica (any replica can serve any conversation);
    socket.io sticks to one replica per client, because its session lives in that process. A replica
    that refuses connections is skipped for 10 s; a request already sent is never sent twice. No
    keep-alive to the replicas: a pooled connection to a replica that died fails only after the request
    went out, which nginx (rightly, for POST) will not retry elsewhere; a fresh connection is refused
    before anything is sent, and the next replica gets the request."""
    prefix = ROOT / "var" / "nginx"
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)

    def servers(ports: list[int]) -> str:
        return "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n" for p in ports)

    (prefix / "nginx.conf").write_text(f"""# Written by scripts/run.py --replicas; not edited by hand.
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {LOGS}/load-balancer-error.log warn;
events {{ worker_connections 2048; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/tmp/body;
  proxy_temp_path {prefix}/tmp/proxy;
  fastcgi_temp_path {prefix}/tmp/fastcgi;
  uwsgi_temp_path {prefix}/tmp/uwsgi;
  scgi_temp_path {prefix}/tmp/scgi;
  client_max_body_size 1m;
  client_body_buffer_size 256k;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  upstream rasa {{
    least_conn;
{servers(rasa_ports)}  }}
  upstream rasa_socketio {{
    hash $remote_addr consistent;
{servers(rasa_ports)}  }}
  upstream actions {{
    least_conn;
{servers(action_ports)}  }}
  server {{
    listen {HOST}:{RASA_PORT};
    location /socket.io/ {{
      proxy_pass http://rasa_socketio;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_read_timeout 1h;
    }}
    location / {{
      proxy_pass http://rasa;
      # Which replica answered: for tracing a conversation across replicas (and the fault tests).
      add_header X-Upstream $upstream_addr always;
      # The edge: the client's own X-Forwarded-For is replaced, never passed on, so the replicas
      # (SANIC_PROXIES_COUNT=1) count limits per real client address.
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_read_timeout 120s;
    }}
  }}
  server {{
    listen 127.0.0.1:{ACTIONS_PORT};
    location / {{
      proxy_pass http://actions;
      proxy_read_timeout 60s;
    }}
  }}
}}
""", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=1,
                        help="rasa replicas and action servers behind nginx (default 1: the embedded default)")
    args = parser.parse_args()
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
        "RASA_URL": settings.rasa_url,
        "PYTHONUNBUFFERED": "1",
        # The rasa server imports bot_extensions (its REST channel) from the project.
        "PYTHONPATH": str(ROOT),
        # Rasa reports telemetry and crashes to its servers unless told not to.
        "RASA_TELEMETRY_ENABLED": "false",
    }
    services = (single_profile(settings, env) if args.replicas <= 1
                else scaled_profile(settings, env, args.replicas))
    return Supervisor(services, env).run(settings)


class Supervisor:
    def __init__(self, services: list[Service], env: dict[str, str]) -> None:
        self.services = {s.name: s for s in services}
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        log_name = name.replace(" ", "-")
        log = open(LOGS / f"{log_name}.log", "ab")  # noqa: SIM115 - lives as long as the child
        process = subprocess.Popen(self.services[name].command, cwd=ROOT, env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.running[name] = process
        where = f", {self.services[name].health}" if self.services[name].health else ""
        print(f"starting {name} (pid {process.pid}{where}, log: var/log/{log_name}.log)", flush=True)

    def stop_all(self) -> None:
        for name, process in self.running.items():
            if process.poll() is None:
                print(f"stopping {name} …")
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.running.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def run(self, settings) -> int:
        def interrupt(*_: object) -> None:
            raise KeyboardInterrupt

        # Installed explicitly: a shell that starts us in the background sets SIGINT to "ignore".
        signal.signal(signal.SIGINT, interrupt)
        signal.signal(signal.SIGTERM, interrupt)
        try:
            for name in self.services:
                self.start(name)
            if not self.wait_until_up():
                self.stop_all()
                return 1
            scaled = any(s.replica for s in self.services.values())
            print(f"""
aftersales is running{" (scaled: PostgreSQL, Redis locks, replicas behind nginx)" if scaled else ""}:
  web app (merchant inbox, demo shop)  http://{HOST}:{WEB_PORT}/
  rasa server (REST, socket.io, API)   http://{HOST}:{RASA_PORT}/webhooks/rest/webhook
  action server                        http://127.0.0.1:{ACTIONS_PORT}/webhook
Try it: .venv/bin/aftersales token c_1001  → put it in the chat metadata as customer_token.
Press Ctrl-C to stop everything.""", flush=True)
            return self.supervise()
        except KeyboardInterrupt:
            self.stop_all()
            print("stopped.")
            return 0

    def wait_until_up(self) -> bool:
        pending = set(self.services)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while pending:
            for name in sorted(pending):
                if self.running[name].poll() is not None:
                    print(f"{name} exited with code {self.running[name].returncode}; see var/log/", file=sys.stderr)
                    return False
                health = self.services[name].health
                if health is None or _answers(health):
                    print(f"{name} is up", flush=True)
                    pending.discard(name)
            if time.monotonic() > deadline:
                print(f"timed out waiting for {', '.join(sorted(pending))}", file=sys.stderr)
                return False
            time.sleep(1)
        return True

    def supervise(self) -> int:
        restart_at: dict[str, float] = {}
        while True:
            for name, process in list(self.running.items()):
                if process.poll() is None or name in restart_at:
                    continue
                if not self.services[name].replica:
                    print(f"{name} stopped unexpectedly; stopping the rest (see var/log/)", file=sys.stderr)
                    self.stop_all()
                    return 1
                print(f"{name} exited with code {process.returncode}; starting it again", flush=True)
                restart_at[name] = time.monotonic() + RESTART_PAUSE_S
            for name, when in list(restart_at.items()):
                if time.monotonic() >= when:
                    del restart_at[name]
                    self.start(name)
            time.sleep(0.5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback health checks
            return response.status < 500
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
