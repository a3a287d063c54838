"""Every process builds its services through the bootstrap; only the ones that move money build the
payment providers, so a key file the action server cannot read breaks no chat."""

from __future__ import annotations

import pytest

from aftersales import bootstrap
from aftersales.config import Settings


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'b.sqlite3'}")
    monkeypatch.setenv("WECHATPAY_MCHID", "1900000001")  # configured, with a key file that is not there
    for name in ("APPID", "CERT_SERIAL_NO", "APIV3_KEY", "PUBLIC_KEY_ID"):
        monkeypatch.setenv(f"WECHATPAY_{name}", "x")
    monkeypatch.setenv("WECHATPAY_PRIVATE_KEY_FILE", str(tmp_path / "missing.pem"))
    monkeypatch.setenv("WECHATPAY_PUBLIC_KEY_FILE", str(tmp_path / "missing.pem"))
    return Settings.from_env()


def test_the_services_build_without_reading_the_payment_keys(settings):
    services = bootstrap.services(settings)
    assert services.after_sales is not None and services.inbox is not None
    with pytest.raises(FileNotFoundError):
        services.refunds  # noqa: B018 - the first use reads the keys


def test_the_providers_are_built_once_and_shared(settings, monkeypatch):
    monkeypatch.delenv("WECHATPAY_MCHID")
    services = bootstrap.services(settings)
    assert services.refunds is services.refunds and services.wechat_pay is None and services.alipay is None
