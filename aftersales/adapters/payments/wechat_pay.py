"""WeChat Pay v3 refunds through the provider's own SDK (`wechatpayv3`): the SDK signs every request
with the merchant's key and verifies every answer's signature with WeChat Pay's public key.

Refunds: `POST /v3/refund/domestic/refunds` with our refund number as `out_refund_no` (WeChat Pay's
idempotency key: a repeat returns the refund it already made) and the order number as
`out_trade_no`; `GET /v3/refund/domestic/refunds/{out_refund_no}` to ask after one. Statuses:
SUCCESS → succeeded, PROCESSING → accepted, CLOSED / ABNORMAL → failed. A refusal (4xx with a code)
is a failure with WeChat Pay's message; no answer, 429 and 5xx are unknown outcomes."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from wechatpayv3 import WeChatPay, WeChatPayType

from aftersales.adapters.payments.port import ProviderAnswer, ProviderUnavailable, RefundOrder
from aftersales.domain.refunds import ProviderStatus

_STATUS = {"SUCCESS": ProviderStatus.SUCCEEDED, "PROCESSING": ProviderStatus.ACCEPTED,
           "CLOSED": ProviderStatus.FAILED, "ABNORMAL": ProviderStatus.FAILED}
# Answers that say nothing about the refund itself: try again later.
_RETRY_CODES = {"SYSTEM_ERROR", "FREQUENCY_LIMITED"}


@dataclass(frozen=True)
class WeChatPayConfig:
    mchid: str
    appid: str
    cert_serial_no: str
    private_key: str  # PEM, the merchant's API key
    apiv3_key: str
    public_key: str  # PEM, WeChat Pay's platform public key
    public_key_id: str
    notify_url: str | None = None
    api_url: str = "https://api.mch.weixin.qq.com"
    timeout: tuple[float, float] = (3.05, 10.0)

    @classmethod
    def from_env(cls, env: dict[str, str] | os._Environ[str]) -> WeChatPayConfig | None:
        """WECHATPAY_* variables (keys as PEM files); None when WeChat Pay is not configured."""
        if not env.get("WECHATPAY_MCHID"):
            return None
        return cls(mchid=env["WECHATPAY_MCHID"], appid=env["WECHATPAY_APPID"],
                   cert_serial_no=env["WECHATPAY_CERT_SERIAL_NO"],
                   private_key=Path(env["WECHATPAY_PRIVATE_KEY_FILE"]).read_text(encoding="utf-8"),
                   apiv3_key=env["WECHATPAY_APIV3_KEY"],
                   public_key=Path(env["WECHATPAY_PUBLIC_KEY_FILE"]).read_text(encoding="utf-8"),
                   public_key_id=env["WECHATPAY_PUBLIC_KEY_ID"], notify_url=env.get("WECHATPAY_NOTIFY_URL"),
                   api_url=env.get("WECHATPAY_API_URL") or "https://api.mch.weixin.qq.com")


class WeChatPayProvider:
    name = "wechat_pay"

    def __init__(self, config: WeChatPayConfig):
        self.client = WeChatPay(wechatpay_type=WeChatPayType.NATIVE, mchid=config.mchid,
                                private_key=config.private_key, cert_serial_no=config.cert_serial_no,
                                appid=config.appid, apiv3_key=config.apiv3_key, notify_url=config.notify_url,
                                timeout=config.timeout, public_key=config.public_key,
                                public_key_id=config.public_key_id)
        # The SDK has no setting for its address; the tests (and a sandbox) point it elsewhere.
        self.client._core._gate_way = config.api_url.rstrip("/")

    def submit(self, refund: RefundOrder) -> ProviderAnswer:
        code, body = self._call(lambda: self.client.refund(
            out_refund_no=refund.refund_no, out_trade_no=refund.order_no, reason="售后退款",
            amount={"refund": refund.amount, "total": refund.paid_total, "currency": refund.currency}))
        return self._answer(code, body)

    def query(self, refund: RefundOrder) -> ProviderAnswer | None:
        code, body = self._call(lambda: self.client.query_refund(out_refund_no=refund.refund_no))
        if code == 404:
            return None
        return self._answer(code, body)

    def notification(self, headers: Any, body: str) -> tuple[str, ProviderAnswer] | None:
        """A refund notification WeChat Pay posted to our notify URL: the refund number and what
        became of it, or None unless its signature verifies and its resource decrypts."""
        try:
            message = self.client.callback(headers, body)
        except Exception:  # noqa: BLE001 - the SDK raises a bare Exception for an unknown signature type
            return None
        resource = (message or {}).get("resource")
        if not isinstance(resource, dict) or resource.get("refund_status") not in _STATUS:
            return None
        status = resource["refund_status"]
        return str(resource.get("out_refund_no")), ProviderAnswer(
            _STATUS[status], resource.get("refund_id"), None if status in ("SUCCESS", "PROCESSING") else status)

    @staticmethod
    def _call(request: Any) -> tuple[int, dict[str, Any]]:
        try:
            code, text = request()
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"WeChat Pay: {type(exc).__name__}") from exc
        except Exception as exc:  # the SDK raises a bare Exception when an answer's signature fails
            raise ProviderUnavailable(f"WeChat Pay: {exc}") from exc
        try:
            body = json.loads(text) if text else {}
        except (TypeError, ValueError):
            body = {}
        return code, body if isinstance(body, dict) else {}

    @staticmethod
    def _answer(code: int, body: dict[str, Any]) -> ProviderAnswer:
        if 200 <= code < 300 and body.get("status") in _STATUS:
            return ProviderAnswer(_STATUS[body["status"]], body.get("refund_id"),
                                  None if body["status"] in ("SUCCESS", "PROCESSING") else body["status"])
        if code == 429 or code >= 500 or body.get("code") in _RETRY_CODES or 200 <= code < 300:
            raise ProviderUnavailable(f"WeChat Pay answered {code} {body.get('code') or ''}".strip())
        return ProviderAnswer(ProviderStatus.FAILED, None, f"{body.get('code')}: {body.get('message')}")
