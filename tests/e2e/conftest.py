"""The whole system as `make run` starts it — scripts/run.py with the trained model, the rasa
server, the action server and the web app — on free loopback ports, once on SQLite and once on
PostgreSQL, each with freshly seeded demo data."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from aftersales.adapters.customer_tokens import mint
from aftersales.adapters.db.engine import session_factory
from aftersales.service.after_sales import AfterSalesService
from aftersales.service.importing import import_orders
from tests.conftest import fresh_postgres_database

ROOT = Path(__file__).resolve().parents[2]
# Where the browser tests leave their pictures: results/pictures, so a test run leaves the tree clean;
# `AFTERSALES_UPDATE_PICTURES=1` writes them over the README's own in docs/ instead.
PICTURES = ROOT / "docs" if os.environ.get("AFTERSALES_UPDATE_PICTURES") else ROOT / "results" / "pictures"
MODEL = ROOT / "models" / "aftersales.tar.gz"
REQUIRE_E2E = os.environ.get("AFTERSALES_REQUIRE_E2E") == "1"
TOKEN_SECRET = "e2e-" + "k" * 40


@dataclass
class System:
    rasa_url: str
    web_url: str
    actions_url: str
    database_url: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    startup_output: list[str] = field(default_factory=list)
    service: AfterSalesService = field(init=False)
    # Per conversation, the session key the channel issued (X-Chat-Session), sent back as a
    # well-behaved REST client does: without it a phone check does not carry over.
    session_keys: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.service = AfterSalesService(session_factory(self.database_url))

    def say(self, sender: str, text: str, customer: str | None = None, token: str | None = None,
            **metadata: str) -> list[dict]:
        if customer is not None:
            metadata["customer_token"] = mint(TOKEN_SECRET, customer)
        if token is not None:
            metadata["customer_token"] = token
        known_key = self.session_keys.get(sender)
        response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text, "metadata": metadata}, timeout=60,
                                 headers={"X-Chat-Session": known_key} if known_key else {})
        response.raise_for_status()
        self.session_keys[sender] = response.headers["X-Chat-Session"]
        return response.json()

    def chat(self, customer: str | None, *messages: str, **metadata: str) -> tuple[str, list[list[dict]]]:
        """A new conversation: every message in turn; returns its id and every reply."""
        sender = f"e2e-{uuid.uuid4().hex[:10]}"
        return sender, [self.say(sender, m, customer=customer, **metadata) for m in messages]


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_system(workdir: Path, database_url: str, *args: str, **extra_env: str) -> System:
    if not MODEL.exists():
        message = f"no trained model at {MODEL}: run `make train`"
        if REQUIRE_E2E:
            pytest.fail(message)
        pytest.skip(message)
    ports = {"RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "WEB_PORT": free_port()}
    env = {
        **os.environ,
        **{k: str(v) for k, v in ports.items()},
        "DATABASE_URL": database_url,
        "RASA_TRACKER_DB": str(workdir / "tracker.sqlite3"),
        "CUSTOMER_TOKEN_SECRET": TOKEN_SECRET,
        "RASA_URL": f"http://127.0.0.1:{ports['RASA_PORT']}",
        **extra_env,
    }
    cli = [str(ROOT / ".venv/bin/aftersales")]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "demo", "seed"], env=env, check=True, capture_output=True)
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "run.py"), *args], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output.append(line)
        if "Press Ctrl-C" in line:
            return System(f"http://127.0.0.1:{ports['RASA_PORT']}", f"http://127.0.0.1:{ports['WEB_PORT']}",
                          f"http://127.0.0.1:{ports['ACTIONS_PORT']}", database_url, env, process, output)
    process.kill()
    pytest.fail("the system did not start:\n" + "".join(output))


def stop_system(system: System) -> None:
    """Ctrl-C, as a person stops `make run`: every process must be gone afterwards."""
    system.process.send_signal(signal.SIGINT)
    assert system.process.wait(timeout=60) == 0
    for url in (system.rasa_url, system.web_url, system.actions_url):
        try:
            requests.get(url, timeout=2)
        except requests.ConnectionError:
            continue
        raise AssertionError(f"{url} still answers after Ctrl-C")


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def system(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """A database of the system's own: its worker keeps working the refunds it finds there, and must
    never find the integration tests' rows (they share the session's PostgreSQL server)."""
    workdir = tmp_path_factory.mktemp(f"system-{request.param}")
    with contextlib.ExitStack() as stack:
        url = (f"sqlite:///{workdir / 'aftersales.sqlite3'}" if request.param == "sqlite"
               else stack.enter_context(fresh_postgres_database("aftersales_e2e")))
        running = start_system(workdir, url)
        yield running
        stop_system(running)


@pytest.fixture(scope="session")
def system_without_actions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The rasa server pointed at an action server that is not there."""
    workdir = tmp_path_factory.mktemp("system-no-actions")
    running = start_system(workdir, f"sqlite:///{workdir / 'aftersales.sqlite3'}",
                           ACTION_SERVER_URL=f"http://127.0.0.1:{free_port()}/webhook")
    yield running
    stop_system(running)


CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's notes advise for a sandboxed root user on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (the distribution's) driven by Playwright; no browser download."""
    if not os.path.exists(CHROMIUM):
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_E2E:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# -- helpers shared by the end-to-end tests ----------------------------------------------------

FRESH_SHOP_MERCHANT = ("fresh@demo.shop", "demo-password-2")  # demo seed (aftersales.demo)
LIFESTYLE_MERCHANT = ("lifestyle@demo.shop", "demo-password-1")


def own_order(system, state: str = "shipped", channel: str = "alipay",
              customer: tuple[str, str] = ("c_1001", "13800001001"), current_price: str | None = None) -> str:
    """An order of its own for each test, so tests sharing a system never meet. Tests that guess
    phone digits pass a customer of their own too: the limits count per customer."""
    order_no = f"KS{datetime.now(UTC):%Y%m%d}{uuid.uuid4().int % 10**8:08d}"
    now = datetime.now(UTC)
    shipped = {"shipped_at": (now - timedelta(hours=1)).isoformat(), "carrier": "韵达快递",
               "tracking_no": "YD0000001"} if state in ("shipped", "delivered") else {}
    if state == "delivered":
        shipped = {**shipped, "shipped_at": (now - timedelta(days=3)).isoformat(),
                   "delivered_at": (now - timedelta(days=1)).isoformat()}
    import_orders(session_factory(system.database_url), [(1, {
        "order_no": order_no, "shop": {"id": "shop_fresh", "name": "快手鲜选小店", "policy_profile": "short_video"},
        "customer": {"id": customer[0], "name": "Demo", "phone": customer[1]}, "state": state,
        "payment_channel": channel, "currency": "CNY", "created_at": (now - timedelta(hours=8)).isoformat(),
        "paid_at": (now - timedelta(hours=7)).isoformat(), **shipped,
        "items": [{"sku": "KS-E2E", "title": "手工红糖", "goods_type": "physical", "quantity": 1,
                   "unit_price": "36.00", **({"current_unit_price": current_price} if current_price else {})}]})])
    return order_no


def tracker(system, sender: str) -> dict:
    token = system.env.get("RASA_API_TOKEN") or "dev-only-rasa_api_token-not-for-production"
    response = requests.get(f"{system.rasa_url}/conversations/{sender}/tracker", params={"token": token}, timeout=10)
    response.raise_for_status()
    return response.json()


def bot_texts(system, sender: str) -> list[str]:
    return [e["text"] for e in tracker(system, sender)["events"] if e["event"] == "bot" and e.get("text")]


def merchant_session(system, email: str, password: str) -> requests.Session:
    session = requests.Session()
    login = session.get(f"{system.web_url}/inbox/login", timeout=10).text
    session.post(f"{system.web_url}/inbox/login", timeout=10,
                 data={"email": email, "password": password, "csrf_token": csrf(login)}).raise_for_status()
    return session


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def wait_for(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    return condition()


def paid_out_refunds(system, customer: str, order_no: str) -> list[dict]:
    """The order's refunds once the worker has had them paid (immediate channels: within seconds)."""
    def settled():
        refunds = system.service.lookup_order(customer, order_no)["refunds"]
        return refunds if refunds and all(r["status"] == "succeeded" for r in refunds) else None

    return wait_for(settled) or system.service.lookup_order(customer, order_no)["refunds"]
