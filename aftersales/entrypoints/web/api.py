"""The JSON APIs, documented in openapi.yaml.

Cases: the action server — or any system holding HELPDESK_API_TOKEN — opens cases here and reads
them back. The token is compared in constant time; a repeated Idempotency-Key returns the case it
opened the first time.

Orders and order events: a shop's order system, with the bearer token of its integration
(`aftersales integrations add SHOP_ID`), creates orders and reports what happens to them; the
token's shop is the only one it can touch."""

from __future__ import annotations

import hashlib
import hmac
from functools import wraps
from typing import Any

from flask import Blueprint, g, jsonify, request

from aftersales.adapters.payments.port import ProviderAnswer
from aftersales.entrypoints.web.services import services
from aftersales.service.errors import (
    Conflict,
    InvalidInput,
    InvalidOrderNumber,
    NotFound,
    OrderNotFound,
    ServiceError,
    TooManyAttempts,
)
from aftersales.service.importing import ImportRejected
from aftersales.service.order_events import MAX_BATCH

api = Blueprint("api", __name__, url_prefix="/api/v1")
CASE_FIELDS = {"kind", "customer_id", "order_no", "shop_id", "summary", "reason", "desired_outcome",
               "conversation_id", "context", "client_address"}
STATUS_BY_ERROR = {InvalidInput: 422, InvalidOrderNumber: 422, OrderNotFound: 404, NotFound: 404, Conflict: 409,
                   TooManyAttempts: 429}


def error(status: int, code: str, message: str):
    return jsonify(error=message, code=code), status


def system_token_required(view):
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        header = request.headers.get("Authorization", "")
        given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        expected = services().settings.helpdesk_api_token
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            return error(401, "unauthorized", "a valid bearer token is required")
        return view(*args, **kwargs)

    return wrapped


def integration_token_required(view):
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        header = request.headers.get("Authorization", "")
        given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        shop_id = services().integrations.shop_for(given)
        if shop_id is None:
            return error(401, "unauthorized", "a valid integration token is required (aftersales integrations add)")
        g.integration_shop_id = shop_id
        return view(*args, **kwargs)

    return wrapped


@api.errorhandler(ServiceError)
def service_error(exc: ServiceError):
    body, status = error(STATUS_BY_ERROR.get(type(exc), 400), exc.code, str(exc) or exc.code)
    if isinstance(exc, TooManyAttempts):
        return body, status, {"Retry-After": str(exc.retry_after_s)}
    return body, status


@api.post("/cases")
@system_token_required
def open_case():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(400, "invalid_json", "the body must be a JSON object")
    unknown = set(body) - CASE_FIELDS
    if unknown:
        return error(422, "invalid_input", f"unknown fields: {', '.join(sorted(unknown))}")
    for name in ("kind", "summary"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            return error(422, "invalid_input", f"{name} is required")
    for name in CASE_FIELDS - {"context"}:
        if body.get(name) is not None and not isinstance(body[name], str):
            return error(422, "invalid_input", f"{name} must be a string")
    if body.get("context") is not None and not isinstance(body["context"], dict):
        return error(422, "invalid_input", "context must be an object")
    key = request.headers.get("Idempotency-Key")
    result = services().after_sales.open_ticket(
        body.get("customer_id"), body["kind"], body["summary"], order_no=body.get("order_no"),
        shop_id=body.get("shop_id"), reason=body.get("reason"), desired_outcome=body.get("desired_outcome"),
        conversation_id=body.get("conversation_id"), context=body.get("context"),
        client_address=(body.get("client_address") or "")[:64] or None,
        idempotency_key=hashlib.sha256(key.encode()).hexdigest()[:64] if key else None)
    return jsonify(result), 201 if result["status"] == "opened" else 200


@api.get("/cases/<ticket_no>")
@system_token_required
def read_case(ticket_no: str):
    return jsonify(services().after_sales.ticket(ticket_no))


@api.post("/order-events")
@integration_token_required
def order_events():
    """One event (an object) or a batch (an array): each applied on its own. One event answers with
    its own status (200, 404, 409 or 422); a batch answers 200 with every event's result."""
    body = request.get_json(silent=True)
    events = services().order_events
    if isinstance(body, dict):
        result = events.record(g.integration_shop_id, body)
        return jsonify(result), result["status"]
    if not isinstance(body, list) or not body:
        return error(400, "invalid_json", "the body must be an event object or a non-empty array of events")
    if len(body) > MAX_BATCH:
        return error(413, "too_many_events", f"at most {MAX_BATCH} events per request")
    return jsonify(results=events.record_many(g.integration_shop_id, body)), 200


@api.post("/orders")
@integration_token_required
def create_orders():
    """Orders in the import file's JSON (docs/import-format.md), one object or an array: created, or
    updated when they exist; all or nothing. The shop of every order must be the integration's own."""
    body = request.get_json(silent=True)
    records = [body] if isinstance(body, dict) else body
    if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
        return error(400, "invalid_json", "the body must be an order object or a non-empty array of them")
    if len(records) > MAX_BATCH:
        return error(413, "too_many_orders", f"at most {MAX_BATCH} orders per request")
    try:
        summary = services().order_events.put_orders(g.integration_shop_id, records)
    except ImportRejected as rejected:
        return jsonify(error=str(rejected), code="invalid_input",
                       problems=[{"line": line, "problem": problem} for line, problem in rejected.problems]), 422
    return jsonify(orders=summary.orders, orders_updated=summary.orders_updated, items=summary.items,
                   customers_created=summary.customers_created), 201 if summary.orders else 200


def _take_refund_notification(taken: tuple[str, ProviderAnswer] | None) -> int:
    """A provider's verified notification recorded: 200; not verified: 401; not our refund: 404."""
    if taken is None:
        return 401
    refund_no, answer = taken
    return 200 if services().refunds.take_notification(refund_no, answer) else 404


@api.post("/payments/wechat-pay/notifications")
def wechat_pay_notification():
    """WeChat Pay's refund notification (its notify_url): trusted only when its signature verifies
    and its resource decrypts with our API v3 key — the SDK checks both. Answered as WeChat Pay
    expects; anything else is refused and WeChat Pay sends it again later."""
    wechat = services().wechat_pay
    status = 404 if wechat is None else _take_refund_notification(
        wechat.notification(request.headers, request.get_data(as_text=True)))
    if status == 200:
        return jsonify(code="SUCCESS", message="成功"), 200
    why = {401: "signature or resource did not verify", 404: "not configured here, or not our refund"}[status]
    return jsonify(code="FAIL", message=why), status


@api.post("/payments/alipay/notifications")
def alipay_notification():
    """Alipay's asynchronous notification (form-encoded): a refund in it is taken only when the SDK
    verifies the signature with Alipay's public key. Alipay expects the word `success`; anything
    else makes it send the notification again later."""
    alipay = services().alipay
    status = 404 if alipay is None else _take_refund_notification(alipay.notification(request.form.to_dict()))
    return ("success" if status == 200 else "fail"), status, {"Content-Type": "text/plain"}
