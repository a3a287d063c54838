from datetime import UTC, datetime, timedelta

import jwt
import pytest

from aftersales.adapters.customer_tokens import InvalidToken, mint, verify
from aftersales.config import ConfigError, Settings

SECRET = "s" * 40


def test_a_minted_token_verifies_to_its_customer():
    assert verify(SECRET, mint(SECRET, "c_1001")) == "c_1001"


@pytest.mark.parametrize("token", [
    None, "", "not-a-jwt", "x" * 5000,
    mint("another-secret-that-is-long-enough-000", "c_1001"),
    mint(SECRET, "c_1001", now=datetime.now(UTC) - timedelta(days=1), ttl_minutes=60),
    jwt.encode({"sub": "c_1001", "aud": "aftersales-chat", "iss": "aftersales"}, SECRET, algorithm="HS256"),
    jwt.encode({"sub": "c_1001", "exp": 9999999999, "iat": 0}, SECRET, algorithm="HS256"),  # no audience
])
def test_anything_but_a_valid_token_is_refused(token):
    with pytest.raises(InvalidToken):
        verify(SECRET, token)


def test_a_token_accepted_once_is_refused_by_jwt_again_once_past_its_expiry(monkeypatch):
    from aftersales.adapters import customer_tokens

    token = mint(SECRET, "c_7001", ttl_minutes=5)
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    decoded = []
    real_decode = jwt.decode
    monkeypatch.setattr(customer_tokens.jwt, "decode", lambda *a, **k: decoded.append(1) or real_decode(*a, **k))
    assert verify(SECRET, token) == verify(SECRET, token) == "c_7001"
    assert len(decoded) == 1  # the second time from memory
    monkeypatch.setattr(customer_tokens.time, "time", lambda: expires + 1.0)
    assert verify(SECRET, token) == "c_7001"  # jwt's own clock says it is still valid
    assert len(decoded) == 2  # past its exp by our clock: jwt is asked again
    with pytest.raises(InvalidToken):
        verify("another-secret-that-is-long-enough-000", token)


def test_a_refused_token_is_refused_every_time():
    expired = mint(SECRET, "c_7002", now=datetime.now(UTC) - timedelta(days=1), ttl_minutes=60)
    for _ in range(2):
        with pytest.raises(InvalidToken):
            verify(SECRET, expired)


def test_alg_none_is_refused():
    forged = jwt.encode({"sub": "c_1002", "aud": "aftersales-chat", "iss": "aftersales", "exp": 9999999999,
                         "iat": 0}, None, algorithm="none")
    with pytest.raises(InvalidToken):
        verify(SECRET, forged)


def test_development_defaults_work_without_configuration():
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///") and not settings.production


def test_production_refuses_development_secrets_and_sqlite():
    with pytest.raises(ConfigError, match="CUSTOMER_TOKEN_SECRET"):
        Settings.from_env({"AFTERSALES_ENV": "production", "DATABASE_URL": "postgresql://db/x"})
    strong = {"CUSTOMER_TOKEN_SECRET": "a" * 40, "WEB_SECRET_KEY": "b" * 40, "RASA_API_TOKEN": "c" * 40,
              "HELPDESK_API_TOKEN": "d" * 40}
    with pytest.raises(ConfigError, match="PostgreSQL"):
        Settings.from_env({"AFTERSALES_ENV": "production", **strong})
    with pytest.raises(ConfigError, match="CHAT_ALLOWED_ORIGINS"):
        Settings.from_env({"AFTERSALES_ENV": "production", "DATABASE_URL": "postgresql://db/x", **strong})
    with pytest.raises(ConfigError, match="CHAT_ALLOWED_ORIGINS"):
        Settings.from_env({"AFTERSALES_ENV": "production", "DATABASE_URL": "postgresql://db/x", **strong,
                           "CHAT_ALLOWED_ORIGINS": "http://shop.example"})
    production = Settings.from_env({"AFTERSALES_ENV": "production", "DATABASE_URL": "postgresql://db/x", **strong,
                                    "CHAT_ALLOWED_ORIGINS": "https://shop.example, https://m.shop.example/"})
    assert production.production
    assert production.chat_allowed_origins == ("https://shop.example", "https://m.shop.example")


def test_the_chat_is_open_to_the_configured_origins_only():
    assert Settings.from_env({"WEB_PORT": "8100"}).chat_allowed_origins == ("http://127.0.0.1:8100",
                                                                            "http://localhost:8100")
    assert Settings.from_env({"CHAT_ALLOWED_ORIGINS": ""}).chat_allowed_origins[0].startswith("http://127.0.0.1")
    with pytest.raises(ConfigError, match="any web page"):
        Settings.from_env({"CHAT_ALLOWED_ORIGINS": "https://a.example *"})


@pytest.mark.parametrize("env", [{"AFTERSALES_ENV": "prod"}, {"WEB_PORT": "eighty"}])
def test_bad_settings_are_named(env):
    with pytest.raises(ConfigError):
        Settings.from_env(env)


@pytest.mark.parametrize("raw", ["0", "-5", "600"])
def test_a_webhook_timeout_outside_one_second_to_a_minute_is_refused(raw):
    # Zero fails every attempt; beyond a minute one slow receiver outlasts the outbox's lease.
    with pytest.raises(ConfigError, match="WEBHOOK_TIMEOUT_SECONDS"):
        Settings.from_env({"WEBHOOK_TIMEOUT_SECONDS": raw})
    assert Settings.from_env({"WEBHOOK_TIMEOUT_SECONDS": "30"}).webhook_timeout_seconds == 30.0
