"""A local stand-in for WeChat Pay v3's refund API, on loopback: it checks the merchant's request
signature (as WeChat Pay does) and signs its answers with a platform key of its own, so the
`wechatpayv3` SDK's signing and verification run for real. Refunds are idempotent by out_refund_no;
each refund is paid at most once, whatever the client's timeouts."""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass
class Behaviour:
    status: str = "SUCCESS"  # what a new refund becomes: SUCCESS | PROCESSING | ABNORMAL
    refuse: tuple[int, str, str] | None = None  # (HTTP status, code, message) instead of refunding
    delay_after_paying_s: float = 0.0  # answer only after this long (the client times out)
    sign_with_wrong_key: bool = False


@dataclass
class WeChatPayStub:
    merchant_key: rsa.RSAPrivateKey = field(default_factory=new_key)
    platform_key: rsa.RSAPrivateKey = field(default_factory=new_key)
    public_key_id: str = "PUB_KEY_ID_TEST"
    behaviour: Behaviour = field(default_factory=Behaviour)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: list[str] = field(default_factory=list)
    unsigned_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, method: str, path: str, body: str, authorization: str) -> tuple[int, dict[str, Any]]:
        if not self._signed_by_the_merchant(method, path, body, authorization):
            self.unsigned_requests += 1
            return 401, {"code": "SIGN_ERROR", "message": "签名错误"}
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            request = json.loads(body)
            with self.lock:
                known = self.refunds.get(request["out_refund_no"])
                if known is None and self.behaviour.refuse:
                    status, code, message = self.behaviour.refuse
                    return status, {"code": code, "message": message}
                if known is None:
                    known = {"refund_id": f"50{secrets.randbelow(10**12):012d}",
                             "out_refund_no": request["out_refund_no"], "out_trade_no": request["out_trade_no"],
                             "status": self.behaviour.status, "amount": request["amount"]}
                    self.refunds[request["out_refund_no"]] = known
                    if known["status"] == "SUCCESS":
                        self.payments.append(request["out_refund_no"])
            time.sleep(self.behaviour.delay_after_paying_s)
            return 200, known
        match = re.fullmatch(r"/v3/refund/domestic/refunds/([^/?]+)", path)
        if method == "GET" and match:
            known = self.refunds.get(match.group(1))
            return (200, known) if known else (404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"})
        return 404, {"code": "NOT_FOUND", "message": path}

    def settle(self, out_refund_no: str) -> None:
        """A PROCESSING refund arrives (the bank paid it out)."""
        with self.lock:
            self.refunds[out_refund_no]["status"] = "SUCCESS"
            self.payments.append(out_refund_no)

    def _signed_by_the_merchant(self, method: str, path: str, body: str, authorization: str) -> bool:
        fields = dict(re.findall(r'(\w+)="([^"]*)"', authorization))
        if not authorization.startswith("WECHATPAY2-SHA256-RSA2048 ") or not fields.get("signature"):
            return False
        message = f"{method}\n{path}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n".encode()
        try:
            self.merchant_key.public_key().verify(base64.b64decode(fields["signature"]), message,
                                                  padding.PKCS1v15(), hashes.SHA256())
        except Exception:  # noqa: BLE001 - any failure is a bad signature
            return False
        return True

    def sign(self, body: str) -> dict[str, str]:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        key = new_key() if self.behaviour.sign_with_wrong_key else self.platform_key
        signature = key.sign(f"{timestamp}\n{nonce}\n{body}\n".encode(), padding.PKCS1v15(), hashes.SHA256())
        return {"Wechatpay-Signature": base64.b64encode(signature).decode(), "Wechatpay-Timestamp": timestamp,
                "Wechatpay-Nonce": nonce, "Wechatpay-Serial": self.public_key_id,
                "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"}

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                status, answer = stub.answer(self.command, self.path, body, self.headers.get("Authorization", ""))
                payload = json.dumps(answer, ensure_ascii=False)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload.encode())))
                    for name, value in stub.sign(payload).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting: what it asked for happened all the same

            do_GET = do_POST = _handle

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"


def refund_notification(stub: WeChatPayStub, apiv3_key: str, resource: dict[str, Any],
                        sign: bool = True) -> tuple[dict[str, str], str]:
    """A refund notification as WeChat Pay posts it: the resource AES-256-GCM encrypted with the
    merchant's API v3 key, the envelope signed with the platform key."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_hex(6)
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), json.dumps(resource).encode(), b"refund")
    body = json.dumps({"id": secrets.token_hex(8), "create_time": "2026-12-02T10:00:00+08:00",
                       "resource_type": "encrypt-resource", "event_type": "REFUND.SUCCESS", "summary": "退款成功",
                       "resource": {"original_type": "refund", "algorithm": "AEAD_AES_256_GCM",
                                    "ciphertext": base64.b64encode(ciphertext).decode(),
                                    "associated_data": "refund", "nonce": nonce}})
    headers = stub.sign(body) if sign else {"Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
                                            "Wechatpay-Serial": stub.public_key_id,
                                            "Wechatpay-Signature": "Zm9yZ2Vk", "Wechatpay-Timestamp": "1",
                                            "Wechatpay-Nonce": "x"}
    return {**headers, "Content-Type": "application/json"}, body
