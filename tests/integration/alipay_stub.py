"""A local stand-in for Alipay's gateway (alipay.trade.refund, alipay.trade.fastpay.refund.query), on
loopback: it checks the app's RSA2 request signature and signs its answers with a key of its own, so
the `python-alipay-sdk` SDK's signing and verification run for real. A refund of a trade is paid at
most once per out_request_no, whatever the client's timeouts."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .wechat_pay_stub import new_key


@dataclass
class AlipayBehaviour:
    refuse: tuple[str, str, str] | None = None  # (code, sub_code, sub_msg) instead of refunding
    delay_after_paying_s: float = 0.0
    sign_with_wrong_key: bool = False


@dataclass
class AlipayStub:
    app_key: rsa.RSAPrivateKey = field(default_factory=new_key)
    alipay_key: rsa.RSAPrivateKey = field(default_factory=new_key)
    behaviour: AlipayBehaviour = field(default_factory=AlipayBehaviour)
    refunds: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    payments: list[str] = field(default_factory=list)
    unsigned_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, params: dict[str, str]) -> tuple[str, dict[str, Any]]:
        method = params.get("method", "")
        response_type = method.replace(".", "_") + "_response"
        if not self._signed_by_the_app(params):
            self.unsigned_requests += 1
            return response_type, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature"}
        biz = json.loads(params.get("biz_content") or "{}")
        key = (biz.get("out_trade_no", ""), biz.get("out_request_no", ""))
        if method == "alipay.trade.refund":
            with self.lock:
                known = self.refunds.get(key)
                if known is None and self.behaviour.refuse:
                    code, sub_code, sub_msg = self.behaviour.refuse
                    return response_type, {"code": code, "msg": "Business Failed", "sub_code": sub_code,
                                           "sub_msg": sub_msg}
                fund_change = "N" if known else "Y"
                if known is None:
                    known = {"trade_no": "2026120222001400000000000001", "out_trade_no": key[0],
                             "refund_fee": biz["refund_amount"]}
                    self.refunds[key] = known
                    self.payments.append(key[1])
            time.sleep(self.behaviour.delay_after_paying_s)
            return response_type, {"code": "10000", "msg": "Success", **known, "fund_change": fund_change}
        if method == "alipay.trade.fastpay.refund.query":
            known = self.refunds.get(key)
            if known is None:
                return response_type, {"code": "10000", "msg": "Success", "out_trade_no": key[0]}
            return response_type, {"code": "10000", "msg": "Success", "out_trade_no": key[0],
                                   "out_request_no": key[1], "refund_amount": known["refund_fee"],
                                   "refund_status": "REFUND_SUCCESS", "trade_no": known["trade_no"]}
        return "error_response", {"code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-method"}

    def _signed_by_the_app(self, params: dict[str, str]) -> bool:
        signature = params.get("sign", "")
        message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign").encode()
        try:
            self.app_key.public_key().verify(base64.b64decode(signature), message, padding.PKCS1v15(),
                                             hashes.SHA256())
        except Exception:  # noqa: BLE001 - any failure is a bad signature
            return False
        return True

    def body(self, response_type: str, inner: dict[str, Any]) -> str:
        content = json.dumps(inner, ensure_ascii=False, separators=(",", ":"))
        key = new_key() if self.behaviour.sign_with_wrong_key else self.alipay_key
        signature = base64.b64encode(key.sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
        return f'{{"{response_type}":{content},"sign":"{signature}"}}'

    def serve(self) -> ThreadingHTTPServer:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
                payload = stub.body(*stub.answer(params)).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}/gateway.do"
        return server


def refund_notification(stub: AlipayStub, appid: str, out_biz_no: str, sign: bool = True) -> dict[str, str]:
    """A trade notification carrying a refund, form-encoded and signed as Alipay sends it (every field
    but sign and sign_type, sorted, signed RSA2 with Alipay's key)."""
    form = {"notify_time": "2026-12-02 10:00:00", "notify_type": "trade_status_sync", "notify_id": "ac05099524",
            "app_id": appid, "charset": "utf-8", "version": "1.0", "trade_no": "2026120222001400000000000001",
            "out_trade_no": "P1000000001", "out_biz_no": out_biz_no, "trade_status": "TRADE_SUCCESS",
            "refund_fee": "36.00", "gmt_refund": "2026-12-02 09:59:58.000"}
    message = "&".join(f"{k}={v}" for k, v in sorted(form.items())).encode()
    key = stub.alipay_key if sign else new_key()
    signature = base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    return {**form, "sign": signature, "sign_type": "RSA2"}
