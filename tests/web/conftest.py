"""What the web tests share: a database per test (SQLite and PostgreSQL), the app on it with Rasa
not running (notifications stay queued for the worker), and signing in to the inbox."""

from __future__ import annotations

import re
import socket

import pytest

from aftersales.adapters.db.engine import session_factory
from aftersales.config import Settings
from aftersales.entrypoints.web.app import create_app


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, email: str, password: str):
    token = csrf_from(client.get("/inbox/login").get_data(as_text=True))
    return client.post("/inbox/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


@pytest.fixture
def app(database_url):
    return create_app(Settings.from_env({"DATABASE_URL": database_url, "AFTERSALES_ENV": "test",
                                         "RASA_URL": f"http://127.0.0.1:{closed_port()}"}))
