"""A shop's order system connected over HTTP: an order created by the API, paid, shipped and put in
transit by events; the shopper's next question is answered from the new state — the courier stage,
and the distance the last event reported."""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import requests

from .conftest import ROOT, texts


def integration_token(system, shop_id: str) -> str:
    added = subprocess.run([str(ROOT / ".venv/bin/aftersales"), "integrations", "add", shop_id], env=system.env,
                           check=True, capture_output=True, text=True)
    return added.stdout.split()[-1]


def test_an_order_created_and_moved_by_events_is_what_the_bot_answers_from(system):
    auth = {"Authorization": f"Bearer {integration_token(system, 'shop_fresh')}"}
    order_no = f"KS{datetime.now(UTC):%Y%m%d}{uuid.uuid4().int % 10**8:08d}"
    at = datetime.now(UTC)
    created = requests.post(f"{system.web_url}/api/v1/orders", headers=auth, timeout=30, json={
        "order_no": order_no, "shop": {"id": "shop_fresh"},
        "customer": {"id": "c_1001", "name": "Demo", "phone": "13800001001"}, "state": "pending_payment",
        "created_at": (at - timedelta(hours=3)).isoformat(),
        "items": [{"sku": "KS-EV", "title": "蜂蜜柚子茶", "goods_type": "physical", "quantity": 1,
                   "unit_price": "45.00"}]})
    assert created.status_code == 201, created.text

    def send(event_id: str, kind: str, hours_ago: float, **data) -> dict:
        response = requests.post(f"{system.web_url}/api/v1/order-events", headers=auth, timeout=30, json={
            "event_id": f"{order_no}-{event_id}", "order_no": order_no, "type": kind,
            "occurred_at": (at - timedelta(hours=hours_ago)).isoformat(), "data": data})
        return response.json() | {"http": response.status_code}

    assert send("paid", "paid", 2.5, payment_channel="alipay")["order_state"] == "paid"
    assert send("shipped", "shipped", 2, carrier="中通快递", tracking_no="ZT100")["order_state"] == "shipped"
    assert send("transit", "in_transit", 1, distance_to_destination_km=30)["order_state"] == "in_transit"
    assert send("shipped", "shipped", 2, carrier="中通快递", tracking_no="ZT100")["duplicate"] is True

    _, replies = system.chat("c_1001", f"快递能拦截吗 {order_no}", "地址写错了")
    assert "运输中" in texts(replies[0]) and "不到 50 公里" in texts(replies[1]), texts(replies[1])

    # The parcel turns out to be far away still: the next report says so, and the bot offers the courier.
    assert send("transit-2", "in_transit", 0.5, distance_to_destination_km=420)["outcome"] == "stale"
    _, replies = system.chat("c_1001", f"快递能拦截吗 {order_no}", "地址写错了")
    assert "快递公司中途拦截" in texts(replies[-1]), texts(replies[-1])

    refused = send("late-card", "card_key_sent", 0.1)
    assert refused["http"] == 409 and refused["outcome"] == "rejected"
