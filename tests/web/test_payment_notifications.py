"""The providers' refund notifications over HTTP (Flask's test client), on SQLite and PostgreSQL:
the SDKs verify the signature (and WeChat Pay's resource decrypts); a verified one records the
refund, anything else is refused and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.config import Settings
from aftersales.entrypoints.web.app import create_app
from tests.integration.alipay_stub import AlipayStub
from tests.integration.alipay_stub import refund_notification as alipay_notification
from tests.integration.fixtures import add_order, service
from tests.integration.wechat_pay_stub import WeChatPayStub, private_pem, public_pem, refund_notification

APIV3_KEY = "v" * 32
URL = "/api/v1/payments/wechat-pay/notifications"


@pytest.fixture
def stub():
    return WeChatPayStub()


def configured_client(database_url, monkeypatch, tmp_path, env: dict[str, str], keys: dict[str, str]):
    """The web app with a provider configured as in production: settings in the environment, keys
    as PEM files (``keys``: variable name → PEM)."""
    for name, pem in keys.items():
        path = tmp_path / f"{name.lower()}.pem"
        path.write_text(pem)
        monkeypatch.setenv(name, str(path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app(Settings.from_env({"DATABASE_URL": database_url, "AFTERSALES_ENV": "test"})).test_client()


@pytest.fixture
def client(database_url, stub, tmp_path, monkeypatch):
    return configured_client(database_url, monkeypatch, tmp_path,
                             {"WECHATPAY_MCHID": "1900000109", "WECHATPAY_APPID": "wx1",
                              "WECHATPAY_CERT_SERIAL_NO": "5157", "WECHATPAY_APIV3_KEY": APIV3_KEY,
                              "WECHATPAY_PUBLIC_KEY_ID": stub.public_key_id},
                             {"WECHATPAY_PRIVATE_KEY_FILE": private_pem(stub.merchant_key),
                              "WECHATPAY_PUBLIC_KEY_FILE": public_pem(stub.platform_key)})


def requested_refund(database_url, channel: str = "wechat_pay") -> str:
    factory = session_factory(database_url)
    add_order(factory, "P1000000001", channel=channel)
    return service(factory).submit("alice", "P1000000001", "cancel_refund", "changed_mind",
                                   conversation_id="chat-1")["refund"]["refund_no"]


def status_of(database_url, refund_no):
    with session_factory(database_url)() as session:
        return session.scalars(select(t.Refund.status).where(t.Refund.refund_no == refund_no)).one()


def test_a_verified_notification_records_the_refund_once(client, stub, database_url):
    refund_no = requested_refund(database_url)
    headers, body = refund_notification(stub, APIV3_KEY, {"out_refund_no": refund_no, "refund_id": "5001",
                                                          "refund_status": "SUCCESS"})
    answer = client.post(URL, data=body, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["code"] == "SUCCESS"
    assert status_of(database_url, refund_no) == "succeeded"
    assert client.post(URL, data=body, headers=headers).status_code == 200  # sent again: nothing more
    with session_factory(database_url)() as session:
        assert [n.kind for n in session.scalars(select(t.Notification))] == ["refund_completed"]


@pytest.mark.parametrize("tamper", ["forged-signature", "wrong-key", "edited-body"])
def test_an_unverified_notification_changes_nothing(client, stub, database_url, tamper):
    refund_no = requested_refund(database_url)
    resource = {"out_refund_no": refund_no, "refund_status": "SUCCESS"}
    headers, body = refund_notification(stub, "w" * 32 if tamper == "wrong-key" else APIV3_KEY, resource,
                                        sign=tamper != "forged-signature")
    if tamper == "edited-body":
        body = body.replace('"create_time": "2026-12-02T10:00:00+08:00"', '"create_time": "2026-12-02T10:00:01+08:00"')
    answer = client.post(URL, data=body, headers=headers)
    assert answer.status_code == 401 and status_of(database_url, refund_no) == "requested"


def test_a_notification_for_a_refund_we_never_issued_is_refused(client, stub, database_url):
    headers, body = refund_notification(stub, APIV3_KEY, {"out_refund_no": "RFNOTOURS", "refund_status": "SUCCESS"})
    assert client.post(URL, data=body, headers=headers).status_code == 404


def test_without_wechat_pay_configured_the_route_refuses(database_url, stub):
    plain = create_app(Settings.from_env({"DATABASE_URL": database_url, "AFTERSALES_ENV": "test"})).test_client()
    headers, body = refund_notification(stub, APIV3_KEY, {"out_refund_no": "RF1", "refund_status": "SUCCESS"})
    assert plain.post(URL, data=body, headers=headers).status_code == 404


ALIPAY_APPID = "2021000000000001"


@pytest.fixture
def alipay_stub():
    return AlipayStub()


@pytest.fixture
def alipay_client(database_url, alipay_stub, tmp_path, monkeypatch):
    return configured_client(database_url, monkeypatch, tmp_path, {"ALIPAY_APPID": ALIPAY_APPID},
                             {"ALIPAY_APP_PRIVATE_KEY_FILE": private_pem(alipay_stub.app_key),
                              "ALIPAY_PUBLIC_KEY_FILE": public_pem(alipay_stub.alipay_key)})


def alipay_refund(database_url) -> str:
    return requested_refund(database_url, channel="alipay")


ALIPAY_URL = "/api/v1/payments/alipay/notifications"


def test_a_verified_alipay_notification_records_the_refund(alipay_client, alipay_stub, database_url):
    refund_no = alipay_refund(database_url)
    answer = alipay_client.post(ALIPAY_URL, data=alipay_notification(alipay_stub, ALIPAY_APPID, refund_no))
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "success")
    assert status_of(database_url, refund_no) == "succeeded"


@pytest.mark.parametrize("tamper", ["wrong-key", "edited", "other-app"])
def test_an_unverified_alipay_notification_changes_nothing(alipay_client, alipay_stub, database_url, tamper):
    refund_no = alipay_refund(database_url)
    form = alipay_notification(alipay_stub, "2021999999999999" if tamper == "other-app" else ALIPAY_APPID, refund_no,
                               sign=tamper != "wrong-key")
    if tamper == "edited":
        form["refund_fee"] = "3600.00"
    answer = alipay_client.post(ALIPAY_URL, data=form)
    assert answer.status_code == 401 and status_of(database_url, refund_no) == "requested"
