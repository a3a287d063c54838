"""Tracker fixtures and a fake after-sales service for the action tests: results shaped as
aftersales/service/views.py builds them, calls recorded so a test can say what was asked and how often."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from aftersales.adapters.customer_tokens import mint
from aftersales.service.errors import OrderNotFound

ORDER_NO = "P202611210000103"
CUSTOMER = "c_1001"


def item(id_: int, title: str, total: int = 5900, cancelled: bool = False, goods_type: str = "physical") -> dict:
    return {"id": id_, "sku": f"SKU{id_}", "title": title, "goods_type": goods_type, "quantity": 1,
            "unit_price": total, "total": total, "cancelled": cancelled, "variant": None}


def order(state: str = "paid", items: list[dict] | None = None, **fields: Any) -> dict:
    items = items if items is not None else [item(1, "运动鞋", 19900)]
    return {"order_no": ORDER_NO, "shop": {"id": "s_1", "name": "小店"}, "state": state, "currency": "CNY",
            "payment_channel": "alipay", "total": sum(i["total"] for i in items), "carrier": None,
            "tracking_no": None, "items": items, "returns": [], "refunds": [], "tickets": [], **fields}


def decision(outcome: str = "cancel_refund", allowed: bool = True, code: str = "cancel_before_shipment",
             **fields: Any) -> dict:
    return {"outcome": outcome, "execution": "instant", "allowed": allowed, "code": code, "item_ids": [],
            "refund": {"amount": 19900, "currency": "CNY", "channel": "alipay", "timing": "immediate",
                       "eta": {"min": 0, "max": 0, "unit": "hours"}},
            "return_shipping_payer": None, "replacement_shipping_payer": None, "interception": None,
            "evidence_required": False, "window_ends_at": None, "sla_hours": 24, "alternatives": [],
            "human_can_help": False, **fields}


REFUND = {"refund_no": "RF261121ABCDEF", "amount": 19900, "currency": "CNY", "channel": "alipay",
          "status": "requested", "created_at": "2026-11-21T04:00:00+00:00",
          "expected_latest": "2026-11-21T04:10:00+00:00"}


class FakeAfterSales:
    """The shopper's operations of AfterSalesService, answering from what a test sets."""

    def __init__(self, the_order: dict | None = None, options: list[dict] | None = None,
                 preview: dict | None = None):
        self.order = the_order or order()
        self.options_ = [decision()] if options is None else options
        self.preview_ = preview or decision()
        self.calls: list[tuple] = []
        self.known = {ORDER_NO}

    def _owned(self, order_no: str) -> None:
        if order_no not in self.known:
            raise OrderNotFound(order_no)

    def lookup_order(self, customer, order_no):
        self.calls.append(("lookup_order", customer, order_no))
        self._owned(order_no)
        return self.order

    def options(self, customer, order_no, reason):
        self.calls.append(("options", customer, order_no, reason))
        return self.options_

    def preview(self, customer, order_no, outcome, reason, item_ids=()):
        self.calls.append(("preview", customer, order_no, outcome, reason, list(item_ids)))
        return {**self.preview_, "outcome": outcome}

    def confirmation(self, customer, order_no, outcome, reason, item_ids=()):
        """The look-up and the preview, in one call as the service reads both in one transaction."""
        self.calls.append(("confirmation", customer, order_no, outcome, reason, list(item_ids)))
        return {"order": self.lookup_order(customer, order_no),
                "decision": self.preview(customer, order_no, outcome, reason, item_ids)}

    def refund_status(self, customer, order_no):
        self.calls.append(("refund_status", customer, order_no))
        return {"order_no": order_no, "refunds": [REFUND], "open_tickets": []}

    def submit(self, customer, order_no, outcome, reason, item_ids=(), idempotency_key=None, conversation_id=None,
               context=None, exchange_wish=None):
        self.calls.append(("submit", customer, order_no, outcome, reason, list(item_ids), idempotency_key))
        return {"status": "done", "decision": {**self.preview_, "outcome": outcome},
                "order": {**self.order, "state": "cancelled"}, "refund": REFUND}

    def notification(self, notification_id, conversation_id):
        self.calls.append(("notification", notification_id, conversation_id))
        if conversation_id != "t-1":
            raise OrderNotFound(f"notification {notification_id}")
        return {"kind": "refund_completed", "payload": {}, "ticket": None, "order_no": ORDER_NO,
                "refund": {**REFUND, "status": "succeeded"}}

    def named(self, name: str) -> list[tuple]:
        return [c for c in self.calls if c[0] == name]


def tracker(text: str = "x", intent: str = "inform", entities: list[dict] | None = None, loop: str | None = None,
            events: list[dict] | None = None, signed: bool = False, **slots: Any) -> Tracker:
    """A conversation of one verified shopper whose latest message is ``text`` read as ``intent``:
    by the phone check passed in this session, or (``signed``) by the shop app's signed token."""
    values = {"language": "zh", "verified_customer": None if signed else CUSTOMER, "verified_session": None, **slots}
    metadata = {"customer_token": mint(runtime.settings().customer_token_secret, CUSTOMER)} if signed else {}
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.95}, "entities": entities or [],
             "message_id": "m-2", "metadata": metadata}
    latest = {"event": "user", "text": text, "timestamp": 2.0, "parse_data": parse, "message_id": "m-2"}
    return Tracker("t-1", values, parse, [*(events or []), latest], False, None,
                   {"name": loop} if loop else {}, "action_listen")


def run(coroutine):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


def slot_events(events: list) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
