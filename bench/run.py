"""Benchmark: simulated shoppers against the whole system, beside Rasa's starter bot.

    make bench                      # or: .venv/bin/python bench/run.py [--levels 1 10 50] [--no-training]

Starts the full system (rasa + action server + web app + worker, SQLite, fresh database, demo seed
plus one order per simulated conversation) exactly as `make run` does, and Rasa's `rasa init` bot
beside it, both on loopback. Simulated shoppers hold whole conversations over the REST channel —
cancel, intercept, return, refund status, FAQ — at each concurrency level; the starter bot gets the
same number of turns of its own conversation. Reported: per-turn p50/p95/p99 latency, messages/s,
errors, peak RSS of the rasa and action-server processes, CPU time per turn of each of our processes
(rasa, action server, web app, worker) and of all of them together against the starter bot's, model
training and load time, latency at turns 1–10 against turns 91–100 of five long conversations
(measured interleaved), and our figures as ratios to the starter bot's.

Then a soak: whole conversations at moderate concurrency for a few minutes (it stops by itself), with
errors and the RSS drift of both servers. `--replicas 2` runs all of it against the production-like
profile (PostgreSQL, Redis locks, replicas behind nginx) instead.

Writes bench/results/<timestamp>/results.md, results.json and latency.png, and bench/results/latest.md
(bench/results/scaled.md for --replicas).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aftersales.adapters.customer_tokens import mint  # noqa: E402
from aftersales.adapters.db.engine import session_factory  # noqa: E402
from aftersales.adapters.db.migrate import drop_database_if_exists  # noqa: E402
from aftersales.service.importing import import_orders  # noqa: E402
from bench.load import long_conversation, soak, under_long_messages  # noqa: E402
from bench.processes import (  # noqa: E402
    PeakRss,
    cpu_seconds,
    free_port,
    tree_matching,
    wait_until,
    with_descendants,  # noqa: E402
)
from bench.readme import LEVELS, write_readme  # noqa: E402
from bench.report import LevelResult, Turn, write_report  # noqa: E402
from bench.scenarios import STARTER_TURNS, Scenarios  # noqa: E402

BOT_RASA = ROOT / ".venv-bot" / "bin" / "rasa"
DEFAULT_OUT = ROOT / "bench" / "results"
TOKEN_SECRET = "bench-token-secret-" + "x" * 20
API_TOKEN = "bench-api-token-" + "x" * 20
CUSTOMER = {"id": "c_bench", "name": "压测顾客", "phone": "13800009999"}
# Words of the command lines scripts/run.py starts our servers with (tests/unit/test_bench.py).
OUR_RASA_COMMAND = ("bot_extensions.serve", "run")
ACTION_SERVER_COMMAND = ("rasa_sdk", "--actions")
WEB_APP_COMMAND = ("aftersales.entrypoints.web.wsgi:app",)
WORKER_COMMAND = ("worker", "--interval")
# Conversations each bot holds before the first level: one of each of ours.
WARM_UP = 5
SHOPS = {"general": {"id": "shop_lifestyle", "name": "小红薯生活馆", "policy_profile": "general"},
         "short_video": {"id": "shop_fresh", "name": "快手鲜选小店", "policy_profile": "short_video"}}


class Bot:
    """One running Rasa (ours or the starter) and how to talk to it."""

    def __init__(self, name: str, url: str, process: subprocess.Popen[bytes], load_seconds: float,
                 rasa_port: int, actions_port: int | None, rasa_command: tuple[str, ...], replicas: int = 1,
                 api_token: str | None = None):
        self.name, self.url, self.process, self.load_seconds = name, url, process, load_seconds
        self.rasa_port, self.actions_port, self.replicas = rasa_port, actions_port, replicas
        self.api_token = api_token
        self.rasa_command = rasa_command  # words of its rasa processes' command lines

    def parse_ms(self, texts: list[str], rounds: int) -> float:
        """Median time of the NLU alone (POST /model/parse: no conversation, no policy, no action),
        one request at a time."""
        params = {"token": self.api_token} if self.api_token else {}
        times = []
        for _ in range(rounds):
            for text in texts:
                started = time.perf_counter()
                requests.post(f"{self.url}/model/parse", params=params, json={"text": text},
                              timeout=60).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    def say(self, sender: str, text: str, metadata: dict[str, str]) -> tuple[float, bool]:
        started = time.perf_counter()
        try:
            response = requests.post(f"{self.url}/webhooks/rest/webhook", timeout=60,
                                     json={"sender": sender, "message": text, "metadata": metadata})
            replies = response.json() if response.ok else []
            ok = response.ok and bool(replies) and not any("系统暂时出了点问题" in (r.get("text") or "")
                                                            for r in replies)
        except (requests.RequestException, ValueError):
            ok = False
        return time.perf_counter() - started, ok

    def rasa_pids(self) -> list[int]:
        """Every rasa process this bot runs (each replica, on ports of the launcher's choosing)."""
        return tree_matching(self.process.pid, *self.rasa_command)

    def action_pids(self) -> list[int]:
        return tree_matching(self.process.pid, *ACTION_SERVER_COMMAND) if self.actions_port else []

    def web_pids(self) -> list[int]:
        return tree_matching(self.process.pid, *WEB_APP_COMMAND) if self.actions_port else []

    def worker_pids(self) -> list[int]:
        return tree_matching(self.process.pid, *WORKER_COMMAND) if self.actions_port else []

    def all_pids(self) -> list[int]:
        """Every process this bot runs: for ours the launcher and everything it started (rasa, action
        server, web app, worker, and in the scaled profile nginx); for the starter its rasa."""
        return with_descendants([self.process.pid])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def bench_databases(workdir: Path, replicas: int) -> tuple[str, str | None]:
    """This run's own databases: SQLite in the work folder, or with replicas > 1 two new PostgreSQL
    databases (orders, and the replicas' shared tracker store) that drop_databases removes."""
    if replicas == 1:
        return f"sqlite:///{workdir / 'aftersales.sqlite3'}", None
    server = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432").rstrip("/")
    name = f"aftersales_bench_{uuid.uuid4().hex[:8]}"
    return f"{server}/{name}", f"{server}/{name}_tracker"


def drop_databases(databases: tuple[str, str | None]) -> None:
    for url in databases:
        if url is not None:
            drop_database_if_exists(url)


def start_ours(workdir: Path, databases: tuple[str, str | None], orders_needed: int,
               replicas: int = 1) -> tuple[Bot, dict[str, list[str]]]:
    """`make run` (SQLite), or with replicas > 1 `make run-scaled` (PostgreSQL, Redis locks, nginx),
    on `databases` (bench_databases)."""
    ports = {"RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "WEB_PORT": free_port()}
    database_url, tracker_url = databases
    env = {**os.environ, **{k: str(v) for k, v in ports.items()},
           "DATABASE_URL": database_url, **({"RASA_TRACKER_URL": tracker_url} if tracker_url else {}),
           "RASA_TRACKER_DB": str(workdir / "tracker.sqlite3"), "CUSTOMER_TOKEN_SECRET": TOKEN_SECRET,
           "RASA_API_TOKEN": API_TOKEN,
           "RASA_URL": f"http://127.0.0.1:{ports['RASA_PORT']}", "RASA_TELEMETRY_ENABLED": "false",
           # The long conversation sends 100 turns back to back, faster than any person: the
           # per-conversation rate limit would answer most of them "slow down" and measure nothing.
           "CHAT_MESSAGE_RATE": "100000/30"}
    cli = [str(ROOT / ".venv/bin/aftersales")]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "demo", "seed"], env=env, check=True, capture_output=True)
    orders = seed_bench_orders(env["DATABASE_URL"], orders_needed)
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "run.py"), "--replicas", str(replicas)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    name = "aftersales" if replicas == 1 else f"aftersales ×{replicas}"
    bot = Bot(name, f"http://127.0.0.1:{ports['RASA_PORT']}", process, 0.0, ports["RASA_PORT"],
              ports["ACTIONS_PORT"], OUR_RASA_COMMAND, replicas, API_TOKEN)
    try:
        bot.load_seconds = wait_until(f"http://127.0.0.1:{ports['RASA_PORT']}/", process)
        wait_until(f"http://127.0.0.1:{ports['WEB_PORT']}/healthz", process)
        wait_until(f"http://127.0.0.1:{ports['ACTIONS_PORT']}/health", process)
    except BaseException:
        bot.stop()  # not left running when it never came up
        raise
    return bot, orders


def seed_bench_orders(database_url: str, per_kind: int) -> dict[str, list[str]]:
    """Fresh orders for every simulated conversation, so each one acts on its own order."""
    now = datetime.now(UTC)
    records, orders = [], {"paid": [], "shipped": [], "delivered": []}
    for n in range(per_kind):
        for state, profile, prefix in (("paid", "general", "P"), ("shipped", "short_video", "KS"),
                                       ("delivered", "general", "P")):
            order_no = f"{prefix}{now:%Y%m%d}{len(records):010d}"
            orders[state].append(order_no)
            record = {"order_no": order_no, "shop": SHOPS[profile], "customer": CUSTOMER, "state": state,
                      "payment_channel": "alipay", "currency": "CNY",
                      "created_at": (now - timedelta(days=3)).isoformat(),
                      "paid_at": (now - timedelta(days=3)).isoformat(),
                      "items": [{"sku": f"B{n}", "title": "压测商品", "goods_type": "physical", "quantity": 1,
                                 "unit_price": "50.00"}]}
            if state in ("shipped", "delivered"):
                record["shipped_at"] = (now - timedelta(days=2)).isoformat()
            if state == "delivered":
                record["delivered_at"] = (now - timedelta(days=1)).isoformat()
            records.append((len(records) + 1, record))
    import_orders(session_factory(database_url), records)
    return orders


def start_starter(workdir: Path, train: bool) -> tuple[Bot, float | None]:
    project = workdir / "starter"
    project.mkdir()
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "RASA_CACHE_DIRECTORY": str(workdir / "starter-cache")}
    subprocess.run([str(BOT_RASA), "init", "--no-prompt", "--init-dir", str(project)], cwd=workdir, env=env,
                   check=True, capture_output=True)
    training = None
    if train:
        shutil.rmtree(project / "models", ignore_errors=True)
        shutil.rmtree(workdir / "starter-cache", ignore_errors=True)
        started = time.monotonic()
        subprocess.run([str(BOT_RASA), "train"], cwd=project, env=env, check=True, capture_output=True)
        training = time.monotonic() - started
    port = free_port()
    process = subprocess.Popen([str(BOT_RASA), "run", "--port", str(port), "--interface", "127.0.0.1",
                                "--enable-api", "--model", "models"], cwd=project, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    load = wait_until(f"http://127.0.0.1:{port}/status", process)
    return Bot("starter", f"http://127.0.0.1:{port}", process, load, port, None, ("run",)), training


def train_ours(workdir: Path) -> float:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "RASA_CACHE_DIRECTORY": str(workdir / "ours-cache")}
    started = time.monotonic()
    subprocess.run([str(BOT_RASA), "train", "--out", str(workdir / "ours-models")], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return time.monotonic() - started


def run_level(bot: Bot, concurrency: int, conversations: int, script: Callable[[], list[str]],
              metadata: dict[str, str]) -> LevelResult:
    result = LevelResult(bot.name, concurrency)
    lock = threading.Lock()

    def converse(_: int) -> None:
        sender = f"bench-{uuid.uuid4().hex[:12]}"
        for index, text in enumerate(script(), start=1):
            seconds, ok = bot.say(sender, text, metadata)
            with lock:
                result.turns.append(Turn(sender, index, seconds, ok))

    # Taken before the level starts: a process that starts during it (a replica started again) is not
    # counted, one that ends during it counts as 0 (what it used is lost with it).
    groups = (bot.rasa_pids(), bot.action_pids(), bot.web_pids(), bot.worker_pids(), bot.all_pids())
    cpu_before = [sum(cpu_seconds(p) for p in group) for group in groups]
    with PeakRss(bot.rasa_pids) as rasa_rss, PeakRss(bot.action_pids) as actions_rss:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(converse, range(conversations)))
        result.wall_seconds = time.perf_counter() - started
    result.rasa_rss_mb, result.actions_rss_mb = rasa_rss.peak, actions_rss.peak
    (result.rasa_cpu_s, result.actions_cpu_s, result.web_cpu_s, result.worker_cpu_s,
     result.total_cpu_s) = (sum(cpu_seconds(p) for p in group) - before
                            for group, before in zip(groups, cpu_before, strict=True))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--conversations", type=int, default=0, help="per level (default: max(30, 2×level))")
    parser.add_argument("--long-turns", type=int, default=100)
    parser.add_argument("--no-training", action="store_true", help="skip the two training-time measurements")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--soak-minutes", type=float, default=5.0, help="0 skips the soak")
    parser.add_argument("--soak-concurrency", type=int, default=5)
    parser.add_argument("--replicas", type=int, default=1,
                        help="run the scaled profile (PostgreSQL, Redis locks, N rasa replicas behind nginx)")
    args = parser.parse_args(argv)
    # At least 30 conversations (90 turns) a level: at 10, the figures of one conversation at a time
    # (30 turns, under a second) moved by a fifth from run to run.
    plan = {level: args.conversations or max(30, 2 * level) for level in args.levels}
    workdir = Path(tempfile.mkdtemp(prefix="aftersales-bench-"))
    extras: dict[str, object] = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                                 "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
                                 "plan": plan}
    if not args.no_training:
        print("training our model with an empty cache …", flush=True)
        extras["train_ours"] = train_ours(workdir)
    # The soak needs fresh orders too: enough for ~2 conversations per second.
    soak_orders = int(args.soak_minutes * 60 * 2)
    databases = bench_databases(workdir, args.replicas)
    ours: Bot | None = None
    starter: Bot | None = None
    try:
        needed = WARM_UP + sum(plan.values()) + args.long_turns + soak_orders
        ours, orders = start_ours(workdir, databases, orders_needed=needed, replicas=args.replicas)
        extras["ours"] = ours.name
        extras["profile"] = ("SQLite, one rasa process, one action server" if args.replicas == 1 else
                             f"PostgreSQL + Redis locks, {args.replicas} rasa replicas and {args.replicas} action "
                             "servers behind nginx")
        print("starting Rasa's starter bot …", flush=True)
        starter, extras["train_starter"] = start_starter(workdir, train=not args.no_training)
        extras["load_ours"], extras["load_starter"] = ours.load_seconds, starter.load_seconds
        metadata = {"customer_token": mint(TOKEN_SECRET, CUSTOMER["id"], 600)}
        levels = []
        scenarios = Scenarios(orders)
        # Neither bot is measured cold: its first answers pay for what loads on first use (the
        # starter's TensorFlow graphs, our actions' imports and statement caches), not per turn.
        run_level(ours, 1, WARM_UP, scenarios.next, metadata)
        run_level(starter, 1, WARM_UP, lambda: list(STARTER_TURNS), {})
        for level, conversations in plan.items():
            ours_level = run_level(ours, level, conversations, scenarios.next, metadata)
            # The same number of turns for the starter bot.
            starter_conversations = -(-len(ours_level.turns) // len(STARTER_TURNS))
            starter_level = run_level(starter, level, starter_conversations, lambda: list(STARTER_TURNS), {})
            levels += [ours_level, starter_level]
            for result in (ours_level, starter_level):
                s = result.summary()
                print(f"{s['system']:>10} ×{level:<3} p50 {s['p50_ms']:.0f} ms  p95 {s['p95_ms']:.0f} ms  "
                      f"{s['messages_per_s']:.1f} msg/s  errors {s['errors']}", flush=True)
        extras["parse_ours"] = ours.parse_ms(["我要取消订单 P202611210000102", "拍错了", "确认", "退货运费谁出"], 25)
        extras["parse_starter"] = starter.parse_ms(STARTER_TURNS, 20)
        early, late = long_conversation(ours, args.long_turns, metadata, ["退款多久能到账", "我的订单到哪了", "谢谢"])
        extras["long_early"], extras["long_late"] = statistics.median(early), statistics.median(late)
        print("latency for others while one client sends long messages …", flush=True)
        extras["long_messages"] = under_long_messages(ours, metadata)
        if args.soak_minutes > 0:
            print(f"soak: {args.soak_minutes:g} min at {args.soak_concurrency} concurrent …", flush=True)
            extras["soak"] = soak(ours, args.soak_minutes, args.soak_concurrency, scenarios, metadata)
    finally:
        for bot in (ours, starter):
            if bot is not None:
                bot.stop()
        drop_databases(databases)  # the scaled profile's PostgreSQL databases; SQLite goes with workdir
        shutil.rmtree(workdir, ignore_errors=True)
    out = args.out / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    report = write_report(out, levels, extras)
    latest = args.out / ("latest.md" if args.replicas == 1 else "scaled.md")
    latest.write_text(report.replace("](latency.png)", f"]({out.name}/latency.png)"), encoding="utf-8")
    if args.replicas == 1 and set(LEVELS) <= set(args.levels) and args.out == DEFAULT_OUT:
        write_readme(ROOT / "README.md", json.loads((out / "results.json").read_text(encoding="utf-8")))
    print(report)
    print(f"\nwritten to {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
