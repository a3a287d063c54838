"""Orders for service tests, written through the real importer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from aftersales.service.after_sales import AfterSalesService
from aftersales.service.importing import import_orders
from aftersales.service.inbox_reports import InboxReports
from aftersales.service.merchant_accounts import MerchantAccounts
from aftersales.service.merchant_operations import MerchantService

NOW = datetime(2026, 11, 18, 4, 0, tzinfo=UTC)  # Wednesday, noon in China
SHOPS = {
    "general": {"id": "shop_g", "name": "Shop G", "policy_profile": "general"},
    "short_video": {"id": "shop_k", "name": "Shop K", "policy_profile": "short_video"},
    "virtual_goods": {"id": "shop_v", "name": "Shop V", "policy_profile": "virtual_goods"},
    "other_merchant": {"id": "shop_x", "name": "Shop X", "policy_profile": "general"},
}
CUSTOMERS = {
    "alice": {"id": "alice", "name": "Alice", "phone": "13900000001"},
    "bob": {"id": "bob", "name": "Bob", "phone": "13900000002"},
}


def add_order(factory: sessionmaker[Session], order_no: str, state: str = "paid", profile: str = "general",
              customer: str = "alice", channel: str | None = "alipay", goods: str = "physical",
              prices: tuple[str, ...] = ("100.00",), shipping_fee: str = "0", paid_ago: timedelta = timedelta(days=1),
              update_existing: bool = False, **extra: Any) -> str:
    record: dict[str, Any] = {
        "order_no": order_no, "shop": SHOPS[profile], "customer": CUSTOMERS[customer], "state": state,
        "payment_channel": channel if state != "pending_payment" else None, "shipping_fee": shipping_fee,
        "created_at": (NOW - paid_ago - timedelta(minutes=5)).isoformat(),
        "items": [{"sku": f"S{n}", "title": f"Item {n}", "goods_type": goods, "quantity": 1, "unit_price": p}
                  for n, p in enumerate(prices, start=1)],
    }
    if state != "pending_payment":
        record["paid_at"] = (NOW - paid_ago).isoformat()
    if state in ("shipped", "in_transit", "out_for_delivery", "delivered", "completed"):
        record["shipped_at"] = (NOW - paid_ago + timedelta(hours=2)).isoformat()
    if state in ("delivered", "completed", "redeemed"):
        record.setdefault("delivered_at", (NOW - timedelta(days=2)).isoformat())
    if state == "redeemed":
        record["redeemed_at"] = (NOW - timedelta(days=1)).isoformat()
    if state == "completed":
        record["completed_at"] = (NOW - timedelta(days=1)).isoformat()
    record.update(extra)
    import_orders(factory, [(1, record)], update_existing=update_existing)
    return order_no


def service(factory: sessionmaker[Session], now: datetime = NOW) -> AfterSalesService:
    return AfterSalesService(factory, clock=lambda: now)


def merchant(factory: sessionmaker[Session], now: datetime = NOW) -> MerchantService:
    return MerchantService(factory, clock=lambda: now)


def accounts(factory: sessionmaker[Session], now: datetime = NOW) -> MerchantAccounts:
    return MerchantAccounts(factory, clock=lambda: now)


def reports(factory: sessionmaker[Session], now: datetime = NOW) -> InboxReports:
    return InboxReports(factory, clock=lambda: now)
