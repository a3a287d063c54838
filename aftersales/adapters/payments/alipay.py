"""Alipay refunds through the `python-alipay-sdk` SDK: requests signed RSA2 with the app's key,
answers verified with Alipay's public key.

`alipay.trade.refund` with the order number as `out_trade_no` and our refund number as
`out_request_no` (Alipay's idempotency key for a refund of a trade: a repeat does not pay twice);
`alipay.trade.fastpay.refund.query` to ask after one. Alipay refunds are synchronous: code 10000 is
paid; a business refusal (40004) is a failure with Alipay's words; 20000, timeouts and answers whose
signature fails are unknown outcomes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import URLError

from alipay import AliPay, AliPayConfig
from alipay.exceptions import AliPayException, AliPayValidationError

from aftersales.adapters.payments.port import ProviderAnswer, ProviderUnavailable, RefundOrder
from aftersales.domain.money import format_amount
from aftersales.domain.refunds import ProviderStatus


@dataclass(frozen=True)
class AlipayConfig:
    appid: str
    app_private_key: str  # PEM
    alipay_public_key: str  # PEM
    gateway: str = "https://openapi.alipay.com/gateway.do"
    timeout_s: float = 10.0

    @classmethod
    def from_env(cls, env: dict[str, str] | os._Environ[str]) -> AlipayConfig | None:
        """ALIPAY_* variables (keys as PEM files); None when Alipay is not configured."""
        if not env.get("ALIPAY_APPID"):
            return None
        return cls(appid=env["ALIPAY_APPID"],
                   app_private_key=Path(env["ALIPAY_APP_PRIVATE_KEY_FILE"]).read_text(encoding="utf-8"),
                   alipay_public_key=Path(env["ALIPAY_PUBLIC_KEY_FILE"]).read_text(encoding="utf-8"),
                   gateway=env.get("ALIPAY_GATEWAY") or "https://openapi.alipay.com/gateway.do")


class AlipayProvider:
    name = "alipay"

    def __init__(self, config: AlipayConfig):
        self.appid = config.appid
        self.client = AliPay(appid=config.appid, app_private_key_string=config.app_private_key,
                             alipay_public_key_string=config.alipay_public_key, sign_type="RSA2",
                             config=AliPayConfig(timeout=config.timeout_s))
        # The SDK knows production and its sandbox only; the tests point it at a local stub.
        self.client._gateway = config.gateway

    def submit(self, refund: RefundOrder) -> ProviderAnswer:
        answer = self._call(lambda: self.client.api_alipay_trade_refund(
            refund_amount=format_amount(refund.amount), out_trade_no=refund.order_no,
            out_request_no=refund.refund_no, refund_reason="售后退款"))
        if answer.get("code") == "10000":
            return ProviderAnswer(ProviderStatus.SUCCEEDED, answer.get("trade_no"))
        if answer.get("code") == "40004":
            return ProviderAnswer(ProviderStatus.FAILED, None, f"{answer.get('sub_code')}: {answer.get('sub_msg')}")
        raise ProviderUnavailable(f"Alipay answered {answer.get('code')} {answer.get('sub_code') or ''}".strip())

    def query(self, refund: RefundOrder) -> ProviderAnswer | None:
        answer = self._call(lambda: self.client.api_alipay_trade_fastpay_refund_query(
            out_request_no=refund.refund_no, out_trade_no=refund.order_no))
        if answer.get("code") != "10000":
            raise ProviderUnavailable(f"Alipay answered {answer.get('code')} {answer.get('sub_code') or ''}".strip())
        if answer.get("refund_status") == "REFUND_SUCCESS" or (answer.get("refund_amount") and
                                                                "refund_status" not in answer):
            return ProviderAnswer(ProviderStatus.SUCCEEDED, answer.get("trade_no"))
        return None  # Alipay has no such refund: it was never made

    def notification(self, form: dict[str, str]) -> tuple[str, ProviderAnswer] | None:
        """A refund in Alipay's asynchronous notification (a trade notification carrying `out_biz_no`,
        our refund number, and `refund_fee`): the refund number and its answer, or None unless the
        signature verifies with Alipay's public key and the notification is for our app."""
        data = dict(form)
        signature = data.pop("sign", "")
        if not (signature and data.get("app_id") == self.appid and data.get("out_biz_no") and data.get("refund_fee")):
            return None
        try:
            verified = self.client.verify(data, signature)
        except Exception:  # noqa: BLE001 - a malformed signature or sign type is simply not verified
            return None
        if not verified:
            return None
        return data["out_biz_no"], ProviderAnswer(ProviderStatus.SUCCEEDED, data.get("trade_no"))

    @staticmethod
    def _call(request: Any) -> dict[str, Any]:
        try:
            answer = request()
        except AliPayValidationError as exc:
            raise ProviderUnavailable("Alipay: the answer's signature does not verify") from exc
        except AliPayException as exc:
            raise ProviderUnavailable(f"Alipay: {exc}") from exc
        except (URLError, OSError, TimeoutError) as exc:
            raise ProviderUnavailable(f"Alipay: {type(exc).__name__}") from exc
        return answer if isinstance(answer, dict) else {}
