"""The order-events and orders API over HTTP (Flask's test client), on SQLite and PostgreSQL: the
integration's token, its shop only, one event or a batch, every malformed body a 4xx with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aftersales.config import Settings
from aftersales.entrypoints.web.app import create_app
from aftersales.service.integrations import IntegrationsService
from tests.integration.fixtures import add_order


@pytest.fixture
def client(database_url):
    return create_app(Settings.from_env({"DATABASE_URL": database_url, "AFTERSALES_ENV": "test"})).test_client()


@pytest.fixture
def shop_g(factory):
    add_order(factory, "P1000000001", state="paid")
    add_order(factory, "P1000000002", state="paid", profile="other_merchant")
    return {"Authorization": f"Bearer {IntegrationsService(factory).add('shop_g')}"}


def now() -> str:
    return datetime.now(UTC).isoformat()


def test_without_a_valid_integration_token_nothing_is_taken(client, shop_g):
    body = {"event_id": "e1", "order_no": "P1000000001", "type": "shipped", "occurred_at": now()}
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": shop_g["Authorization"][7:]}):
        assert client.post("/api/v1/order-events", json=body, headers=headers).status_code == 401
        assert client.post("/api/v1/orders", json={}, headers=headers).status_code == 401


def test_one_event_answers_with_its_own_status(client, shop_g):
    shipped = {"event_id": "e1", "order_no": "P1000000001", "type": "shipped", "occurred_at": now(),
               "data": {"carrier": "中通快递", "tracking_no": "ZT1"}}
    first = client.post("/api/v1/order-events", json=shipped, headers=shop_g)
    assert first.status_code == 200 and first.get_json()["order_state"] == "shipped"
    assert client.post("/api/v1/order-events", json=shipped, headers=shop_g).get_json()["duplicate"] is True
    foreign = client.post("/api/v1/order-events", json={**shipped, "event_id": "e2", "order_no": "P1000000002"},
                          headers=shop_g)
    assert foreign.status_code == 404
    card = client.post("/api/v1/order-events", json={**shipped, "event_id": "e3", "type": "card_key_sent",
                                                     "data": {}}, headers=shop_g)
    assert card.status_code == 409 and "virtual" in card.get_json()["reason"]
    bad = client.post("/api/v1/order-events", json={**shipped, "event_id": "e4", "type": "beamed"}, headers=shop_g)
    assert bad.status_code == 422 and "beamed" in bad.get_json()["error"]


def test_a_batch_is_applied_event_by_event(client, shop_g):
    at = datetime.now(UTC)
    batch = [{"event_id": f"b{n}", "order_no": "P1000000001", "type": kind,
              "occurred_at": (at - timedelta(minutes=10 - n)).isoformat()}
             for n, kind in enumerate(["delivered", "shipped", "teleported", "completed"])]
    response = client.post("/api/v1/order-events", json=batch, headers=shop_g)
    assert response.status_code == 200
    assert [r["status"] for r in response.get_json()["results"]] == [200, 200, 422, 200]
    assert [r.get("outcome") for r in response.get_json()["results"]] == ["applied", "stale", None, "applied"]


@pytest.mark.parametrize("body", [None, "text", 7, [], {"events": []}])
def test_malformed_bodies_get_a_reason_never_a_500(client, shop_g, body):
    response = client.post("/api/v1/order-events", json=body, headers=shop_g) if body is not None else \
        client.post("/api/v1/order-events", data="{oops", headers={**shop_g, "Content-Type": "application/json"})
    assert response.status_code in (400, 422) and (response.get_json().get("error"))


def test_too_large_a_batch_is_refused(client, shop_g):
    batch = [{"event_id": f"x{n}", "order_no": "P1000000001", "type": "shipped", "occurred_at": now()}
             for n in range(501)]
    assert client.post("/api/v1/order-events", json=batch, headers=shop_g).status_code == 413


def test_orders_are_created_for_the_tokens_shop_only(client, shop_g):
    record = {"order_no": "P1000000088", "shop": {"id": "shop_g"},
              "customer": {"id": "carol", "name": "Carol", "phone": "13900000088"}, "state": "pending_payment",
              "created_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
              "items": [{"sku": "S", "title": "杯子", "goods_type": "physical", "quantity": 1, "unit_price": "9.90"}]}
    created = client.post("/api/v1/orders", json=record, headers=shop_g)
    assert created.status_code == 201 and created.get_json()["orders"] == 1
    paid = {**record, "state": "paid", "payment_channel": "alipay", "paid_at": datetime.now(UTC).isoformat()}
    again = client.post("/api/v1/orders", json=paid, headers=shop_g)
    assert again.status_code == 200 and again.get_json()["orders_updated"] == 1
    foreign = client.post("/api/v1/orders", json={**record, "order_no": "P1000000089", "shop": {"id": "shop_x"}},
                          headers=shop_g)
    assert foreign.status_code == 422 and "shop_g" in foreign.get_json()["problems"][0]["problem"]
    assert client.post("/api/v1/orders", json=[], headers=shop_g).status_code == 400
