"""Settings from environment variables. Every variable, its default and its meaning is listed in
.env.example; production mode refuses to start on a development default for any secret."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'aftersales.sqlite3'}"
_DEV_SECRET_PREFIX = "dev-only-"


class ConfigError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str
    customer_token_secret: str
    customer_token_ttl_minutes: int
    web_secret_key: str
    rasa_url: str
    rasa_api_token: str
    actions_port: int
    web_port: int
    # The shop a chat belongs to when the host app does not say (a bot deployed for one shop).
    default_shop_id: str
    # Where the action server escalates cases (our inbox's JSON API, or another helpdesk's).
    helpdesk_url: str
    helpdesk_api_token: str
    # Web origins (the shop's domains) whose pages may talk to the chat from the browser, with
    # credentials; no other origin gets a CORS header.
    chat_allowed_origins: tuple[str, ...]
    # Rasa's tracker store, read by the worker for the figures' count of conversations (None: not
    # readable from here — a non-SQLite store named without RASA_TRACKER_URL).
    rasa_tracker_url: str | None = None
    # Seconds a shop's webhook may take to answer (each attempt; the worker retries later).
    webhook_timeout_seconds: float = 10.0

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        mode = env.get("AFTERSALES_ENV", "development")
        if mode not in ("development", "test", "production"):
            raise ConfigError(f"AFTERSALES_ENV must be development, test or production, not {mode!r}")
        settings = cls(
            env=mode,
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            customer_token_secret=_secret(env, "CUSTOMER_TOKEN_SECRET"),
            customer_token_ttl_minutes=_int(env, "CUSTOMER_TOKEN_TTL_MINUTES", 120),
            web_secret_key=_secret(env, "WEB_SECRET_KEY"),
            rasa_url=env.get("RASA_URL", "http://127.0.0.1:5005"),
            rasa_api_token=_secret(env, "RASA_API_TOKEN"),
            actions_port=_int(env, "ACTIONS_PORT", 5055),
            web_port=_int(env, "WEB_PORT", 8000),
            default_shop_id=env.get("DEFAULT_SHOP_ID") or "shop_lifestyle",
            helpdesk_url=env.get("HELPDESK_URL") or f"http://127.0.0.1:{_int(env, 'WEB_PORT', 8000)}",
            helpdesk_api_token=_secret(env, "HELPDESK_API_TOKEN"),
            chat_allowed_origins=_origins(env, _int(env, "WEB_PORT", 8000)),
            rasa_tracker_url=_tracker_url(env),
            webhook_timeout_seconds=float(_int(env, "WEBHOOK_TIMEOUT_SECONDS", 10, low=1, high=60)),
        )
        if settings.production:
            settings._check_production()
        return settings

    def _check_production(self) -> None:
        weak = [
            name
            for name, value in (
                ("CUSTOMER_TOKEN_SECRET", self.customer_token_secret),
                ("WEB_SECRET_KEY", self.web_secret_key),
                ("RASA_API_TOKEN", self.rasa_api_token),
                ("HELPDESK_API_TOKEN", self.helpdesk_api_token),
            )
            if value.startswith(_DEV_SECRET_PREFIX) or len(value) < 32
        ]
        if weak:
            raise ConfigError(
                "production mode needs real secrets (at least 32 characters) in: " + ", ".join(weak)
                + ". Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if self.database_url.startswith("sqlite"):
            raise ConfigError("production mode needs DATABASE_URL pointing at PostgreSQL")
        if not self.chat_allowed_origins or any(not o.startswith("https://") for o in self.chat_allowed_origins):
            raise ConfigError("production mode needs CHAT_ALLOWED_ORIGINS: the shop's https:// origins, "
                              "separated by spaces or commas")


def _secret(env: dict[str, str] | os._Environ[str], name: str) -> str:
    """The secret from the environment, else a development default that production refuses."""
    return env.get(name) or f"{_DEV_SECRET_PREFIX}{name.lower()}-not-for-production"


def _int(env: dict[str, str] | os._Environ[str], name: str, default: int, low: int | None = None,
         high: int | None = None) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _tracker_url(env: dict[str, str] | os._Environ[str]) -> str | None:
    """Where Rasa keeps conversations, as scripts/run.py tells the rasa server: RASA_TRACKER_URL, else
    the SQLite file RASA_TRACKER_DB (default var/rasa-tracker.sqlite3)."""
    if env.get("RASA_TRACKER_URL"):
        return env["RASA_TRACKER_URL"]
    if (env.get("RASA_TRACKER_DIALECT") or "sqlite") != "sqlite":
        return None
    return f"sqlite:///{env.get('RASA_TRACKER_DB') or PROJECT_ROOT / 'var' / 'rasa-tracker.sqlite3'}"


def _origins(env: dict[str, str] | os._Environ[str], web_port: int) -> tuple[str, ...]:
    """CHAT_ALLOWED_ORIGINS, else this machine's own web app (the demo shop page); never "*"."""
    raw = env.get("CHAT_ALLOWED_ORIGINS")
    if not raw:
        return (f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}")
    origins = tuple(o.rstrip("/") for o in raw.replace(",", " ").split())
    if "*" in origins:
        raise ConfigError("CHAT_ALLOWED_ORIGINS lists origins; '*' would let any web page use a shopper's chat")
    return origins
