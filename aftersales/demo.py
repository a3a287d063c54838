"""The demo shop data: orders in every state, goods type and payment channel, with times relative
to now so that windows (10 minutes after payment, 7 days after delivery) are open or closed as the
README promises. `aftersales demo seed` writes them through the ordinary importer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.service.base import utcnow
from aftersales.service.importing import ImportSummary, import_orders

SHOPS = {
    "shop_lifestyle": {"id": "shop_lifestyle", "name": "小红薯生活馆", "policy_profile": "general",
                       "return_address": "上海市浦东新区张江路 88 号 售后部 收，021-50000001"},
    "shop_fresh": {"id": "shop_fresh", "name": "快手鲜选小店", "policy_profile": "short_video",
                   "return_address": "浙江省杭州市余杭区仓前街道 12 号 快手鲜选退货组 收，0571-80000002"},
    "shop_cards": {"id": "shop_cards", "name": "星河卡券", "policy_profile": "virtual_goods"},
}
CUSTOMERS = {
    "c_1001": {"id": "c_1001", "name": "王小明", "phone": "13800001001"},
    "c_1002": {"id": "c_1002", "name": "李娜", "phone": "13800001002"},
    "c_1003": {"id": "c_1003", "name": "赵磊", "phone": "13800001003"},  # cancels very often
    "c_1004": {"id": "c_1004", "name": "陈静", "phone": "13800001004"},  # free interceptions used up
    "c_2001": {"id": "c_2001", "name": "Emily Chen", "phone": "+14155550101"},
}

# (order_no, shop, customer, state, channel, item specs, extra fields, what it demonstrates)
# Item spec: (sku, title, goods_type, quantity, unit_price). Times are offsets from now.
_H, _D, _M = timedelta(hours=1), timedelta(days=1), timedelta(minutes=1)
DEMO_ORDERS: list[tuple[str, str, str, str, str | None, list[tuple], dict[str, Any], str]] = [
    ("P202611210000101", "shop_lifestyle", "c_1001", "pending_payment", None,
     [("LS-TEE-01", "纯棉短袖T恤 白色 L", "physical", 1, "79.00")], {}, "unpaid: cancels at once, nothing to refund"),
    ("P202611210000102", "shop_lifestyle", "c_1001", "paid", "wechat_pay",
     [("LS-MUG-02", "陶瓷马克杯 2只装", "physical", 1, "59.00"),
      ("LS-TOWEL-03", "纯棉毛巾 3条", "physical", 1, "45.50"),
      ("LS-SOAP-04", "手工皂礼盒", "physical", 2, "28.00")], {"shipping_fee": "8.00"},
     "paid, not shipped, three items: cancel all or some, WeChat Pay refund at once"),
    ("P202611210000103", "shop_lifestyle", "c_1001", "paid", "bank_card",
     [("LS-LAMP-05", "北欧风台灯", "physical", 1, "199.00")], {},
     "paid by bank card: refund in 1–5 business days"),
    ("P202611210000104", "shop_lifestyle", "c_1001", "shipped", "alipay",
     [("LS-BAG-06", "帆布托特包", "physical", 1, "129.00")], {"carrier": "中通快递", "tracking_no": "ZT7788001"},
     "shipped from a general shop: no interception, refuse delivery or return"),
    ("P202611210000105", "shop_lifestyle", "c_1001", "delivered", "credit_card",
     [("LS-SHOE-07", "休闲运动鞋 42码", "physical", 1, "359.00")], {"delivered": 2 * _D},
     "delivered 2 days ago: return within 7 days"),
    ("P202611210000106", "shop_lifestyle", "c_1001", "delivered", "alipay",
     [("LS-HAT-08", "渔夫帽", "physical", 1, "69.00")], {"delivered": 10 * _D},
     "delivered 10 days ago: return window closed"),
    ("P202611210000107", "shop_lifestyle", "c_1001", "completed", "wechat_pay",
     [("LS-PILLOW-09", "记忆棉枕头", "physical", 1, "149.00")], {"delivered": 30 * _D, "completed": 23 * _D},
     "completed a month ago"),
    ("P202611210000108", "shop_lifestyle", "c_1001", "paid", "balance",
     [("LS-CANDLE-10", "香薰蜡烛", "physical", 1, "39.90")], {}, "paid from the account balance"),
    ("P202611210000201", "shop_lifestyle", "c_1002", "paid", "alipay",
     [("LS-BOOK-11", "手账本", "physical", 1, "35.00")], {}, "another customer's order (c_1002)"),
    ("P202611210000301", "shop_lifestyle", "c_1003", "paid", "alipay",
     [("LS-SOCK-12", "棉袜 5双装", "physical", 1, "29.90")], {},
     "customer with many recent cancellations: goes to merchant review"),
    ("KS2026112100000101", "shop_fresh", "c_1001", "shipped", "alipay",
     [("KS-NUT-01", "每日坚果 30袋", "physical", 1, "89.00")], {"carrier": "韵达快递", "tracking_no": "YD5500101"},
     "shipped, not yet scanned: merchant intercepts in 1–2 h"),
    ("KS2026112100000102", "shop_fresh", "c_1001", "in_transit", "wechat_pay",
     [("KS-TEA-02", "明前龙井 250g", "physical", 1, "268.00")],
     {"carrier": "中通快递", "tracking_no": "ZT5500102", "distance_to_destination_km": 420},
     "in transit, far away: courier intercepts in 24–48 h"),
    ("KS2026112100000103", "shop_fresh", "c_1001", "in_transit", "alipay",
     [("KS-HONEY-03", "农家土蜂蜜 500g", "physical", 1, "59.00")],
     {"carrier": "中通快递", "tracking_no": "ZT5500103", "distance_to_destination_km": 18},
     "in transit, 18 km from the destination: too close to intercept"),
    ("KS2026112100000104", "shop_fresh", "c_1001", "in_transit", "alipay",
     [("KS-CRAB-04", "鲜活大闸蟹 8只", "fresh", 1, "198.00")],
     {"carrier": "顺丰速运", "tracking_no": "SF5500104", "distance_to_destination_km": 300},
     "fresh goods in transit: cannot be intercepted"),
    ("KS2026112100000105", "shop_fresh", "c_1001", "out_for_delivery", "bank_card",
     [("KS-RICE-05", "五常大米 5kg", "physical", 1, "79.90")], {"carrier": "韵达快递", "tracking_no": "YD5500105"},
     "out for delivery: refuse the parcel or return it"),
    ("KS2026112100000106", "shop_fresh", "c_1001", "delivered", "wechat_pay",
     [("KS-CHERRY-06", "智利车厘子 2斤", "fresh", 1, "139.00")], {"delivered": 1 * _D},
     "fresh goods delivered yesterday: no return for personal reasons, quality → refund only"),
    ("KS2026112100000401", "shop_fresh", "c_1004", "shipped", "alipay",
     [("KS-OIL-07", "山茶油 1L", "physical", 1, "128.00")], {"carrier": "韵达快递", "tracking_no": "YD5500401"},
     "customer who used this month's 3 free interceptions: the fee is theirs"),
    ("880020261121000101", "shop_cards", "c_1001", "paid", "alipay",
     [("CARD-STEAM-100", "Steam 充值卡 100元", "virtual_card", 1, "100.00")], {"paid": 3 * _M},
     "virtual goods paid 3 minutes ago: self-cancel window open"),
    ("880020261121000102", "shop_cards", "c_1001", "paid", "wechat_pay",
     [("CARD-GAME-60", "游戏点卡 60元", "virtual_card", 1, "60.00")], {"paid": 2 * _H},
     "virtual goods paid 2 hours ago: merchant review, refund 1–24 h after approval"),
    ("880020261121000103", "shop_cards", "c_1001", "paid", "alipay",
     [("TOPUP-MOBILE-50", "话费充值 50元", "virtual_topup", 1, "49.80")], {"paid": 2 * _M,
                                                                          "fulfillment_locked": True},
     "paid 2 minutes ago but the stock is already locked: merchant review"),
    ("880020261121000104", "shop_cards", "c_1001", "delivered", "alipay",
     [("CARD-VIDEO-30", "视频会员月卡", "virtual_card", 1, "30.00")], {"delivered": 1 * _H},
     "card key sent: not cancellable unless the platform is at fault"),
    ("880020261121000105", "shop_cards", "c_1001", "redeemed", "wechat_pay",
     [("TOPUP-GAME-98", "游戏充值 98元", "virtual_topup", 1, "98.00")], {"delivered": 5 * _H, "redeemed": 4 * _H},
     "top-up redeemed"),
    ("880020261121000106", "shop_cards", "c_1001", "pending_payment", None,
     [("CARD-MUSIC-15", "音乐会员月卡", "virtual_card", 1, "15.00")], {}, "virtual goods, unpaid"),
    ("P202611210000901", "shop_lifestyle", "c_2001", "paid", "credit_card",
     [("LS-SCARF-13", "Wool scarf, grey", "physical", 1, "168.00")], {}, "English-speaking customer's order"),
]


def demo_records(now: datetime) -> list[tuple[int, dict[str, Any]]]:
    records = []
    for index, (order_no, shop, customer, state, channel, items, extra, _) in enumerate(DEMO_ORDERS, start=1):
        extra = dict(extra)
        paid_ago = extra.pop("paid", 3 * _D)
        delivered_ago = extra.pop("delivered", None)
        redeemed_ago = extra.pop("redeemed", None)
        completed_ago = extra.pop("completed", None)
        record: dict[str, Any] = {
            "order_no": order_no, "shop": SHOPS[shop], "customer": CUSTOMERS[customer], "state": state,
            "payment_channel": channel, "currency": "CNY", "created_at": (now - paid_ago - 5 * _M).isoformat(),
            "items": [{"sku": s, "title": title, "goods_type": g, "quantity": q, "unit_price": p}
                      for s, title, g, q, p in items],
            **extra,
        }
        if state != "pending_payment":
            record["paid_at"] = (now - paid_ago).isoformat()
        else:
            record["created_at"] = (now - 20 * _M).isoformat()
        if state in ("shipped", "in_transit", "out_for_delivery"):
            record["shipped_at"] = (now - 6 * _H).isoformat()
        if delivered_ago is not None:
            record["delivered_at"] = (now - delivered_ago).isoformat()
        if redeemed_ago is not None:
            record["redeemed_at"] = (now - redeemed_ago).isoformat()
        if completed_ago is not None:
            record["completed_at"] = (now - completed_ago).isoformat()
        records.append((index, record))
    return records


def _history_records(now: datetime) -> list[tuple[int, dict[str, Any]]]:
    """Past orders: three that c_1003 cancels (a high cancellation rate) and three that c_1004
    asked to intercept this month (the free quota used up)."""
    records: list[tuple[int, dict[str, Any]]] = []
    for n in range(3):
        for customer, state in (("c_1003", "paid"), ("c_1004", "delivered")):
            records.append((100 + len(records), {
                "order_no": f"{_HISTORY_PREFIX[customer]}{n}", "shop": SHOPS["shop_fresh"],
                "customer": CUSTOMERS[customer], "state": state, "payment_channel": "alipay",
                "created_at": (now - 3 * _D).isoformat(), "paid_at": (now - 3 * _D).isoformat(),
                **({"delivered_at": (now - 2 * _H).isoformat()} if state == "delivered" else {}),
                "items": [{"sku": "KS-MISC", "title": "零食礼包", "goods_type": "physical", "quantity": 1,
                           "unit_price": "19.90"}]}))
    return records


_HISTORY_PREFIX = {"c_1003": "KS2026110100000900", "c_1004": "KS2026110100000800"}


def seed(session_factory: sessionmaker[Session], now: datetime | None = None) -> ImportSummary:
    """(Re)creates the demo data: earlier demo orders and what hangs off them are removed first."""
    now = now or utcnow()
    with session_factory() as session, session.begin():
        _remove_demo_data(session)
    summary = import_orders(session_factory, demo_records(now) + _history_records(now), actor="system:demo")
    _replay_history(session_factory, now)
    _seed_inbox(session_factory, now)
    return summary


# Demo sign-ins for the inbox (README). Development data only: production has no demo seed.
DEMO_MERCHANTS = [
    ("lifestyle@demo.shop", "生活馆客服", "demo-password-1", ["shop_lifestyle"]),
    ("fresh@demo.shop", "鲜选客服", "demo-password-2", ["shop_fresh"]),
    ("cards@demo.shop", "卡券客服", "demo-password-3", ["shop_cards"]),
]
CANNED_REPLIES = [
    ("已核实，正在处理", "您好，您的问题我们已经核实，正在加急处理，处理结果会第一时间在这里通知您。"),
    ("请提供照片", "您好，麻烦您在对话中发送商品问题处的照片（外包装和商品各一张），我们收到后马上处理。"),
    ("已联系快递", "您好，我们已经联系快递公司拦截包裹，有结果会立即通知您，请留意对话消息。"),
]


def _seed_inbox(session_factory: sessionmaker[Session], now: datetime) -> None:
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    with session_factory() as session, session.begin():
        emails = [email for email, *_ in DEMO_MERCHANTS]
        merchant_ids = select(t.Merchant.id).where(t.Merchant.email.in_(emails)).scalar_subquery()
        session.execute(delete(t.merchant_shops).where(t.merchant_shops.c.merchant_id.in_(merchant_ids)))
        session.execute(delete(t.Merchant).where(t.Merchant.email.in_(emails)))
        session.execute(delete(t.CannedReply).where(t.CannedReply.shop_id.in_(list(SHOPS))))
        for email, name, password, shop_ids in DEMO_MERCHANTS:
            shops = [session.get(t.Shop, shop_id) for shop_id in shop_ids]
            session.add(t.Merchant(email=email, display_name=name, password_hash=hasher.hash(password),
                                   failed_logins=0, created_at=now, shops=shops))
        for shop_id in SHOPS:
            for title, body in CANNED_REPLIES:
                session.add(t.CannedReply(shop_id=shop_id, title=title, body=body))


def _replay_history(session_factory: sessionmaker[Session], now: datetime) -> None:
    # Made through the ordinary service so history counts exactly as live behaviour would count it.
    from aftersales.service.after_sales import AfterSalesService

    past = AfterSalesService(session_factory, clock=lambda: now - _D)
    for n in range(3):
        past.submit("c_1003", f"{_HISTORY_PREFIX['c_1003']}{n}", "cancel_refund", "changed_mind")
    with session_factory() as session, session.begin():
        for n in range(3):
            order_no = f"{_HISTORY_PREFIX['c_1004']}{n}"
            order_id = session.scalar(select(t.Order.id).where(t.Order.order_no == order_no))
            session.add(t.Interception(
                interception_no=f"ICDEMO{n}", order_id=order_id, customer_id="c_1004", stage="merchant",
                status="failed", reason="changed_mind", eta_min_hours=1, eta_max_hours=2, success_rate=0.925,
                fee_payer="platform", requested_at=now - timedelta(seconds=n + 1), resolved_at=now,
                outcome_note="delivered before the merchant reached the courier"))


def _remove_demo_data(session: Session) -> None:
    customer_ids = list(CUSTOMERS)
    order_ids = select(t.Order.id).where(t.Order.customer_id.in_(customer_ids)).scalar_subquery()
    session.execute(update(t.OrderItem).where(t.OrderItem.order_id.in_(order_ids)).values(refund_id=None))
    ticket_ids = select(t.Ticket.id).where(t.Ticket.customer_id.in_(customer_ids)).scalar_subquery()
    refund_ids = select(t.Refund.id).where(t.Refund.order_id.in_(order_ids)).scalar_subquery()
    session.execute(delete(t.Notification).where(t.Notification.ticket_id.in_(ticket_ids)
                                                 | t.Notification.refund_id.in_(refund_ids)))
    session.execute(delete(t.WebhookDelivery).where(t.WebhookDelivery.ticket_id.in_(ticket_ids)))
    # The audit log goes with the rows it describes: a reseed must not leave one "order_imported"
    # line per run in front of the order's real history.
    references = [select(t.Order.order_no).where(t.Order.id.in_(order_ids)),
                  select(t.Ticket.ticket_no).where(t.Ticket.id.in_(ticket_ids)),
                  select(t.Refund.refund_no).where(t.Refund.id.in_(refund_ids)),
                  select(t.ReturnRequest.return_no).where(t.ReturnRequest.order_id.in_(order_ids)),
                  select(t.Interception.interception_no).where(t.Interception.order_id.in_(order_ids))]
    for reference in references:
        session.execute(delete(t.AuditEvent).where(t.AuditEvent.entity_id.in_(reference.scalar_subquery())))
    for table in (t.OrderItem, t.Refund, t.ReturnRequest, t.Interception, t.Ticket):
        session.execute(delete(table).where(table.order_id.in_(order_ids)))
    session.execute(delete(t.Ticket).where(t.Ticket.customer_id.in_(customer_ids)))
    order_nos = select(t.Order.order_no).where(t.Order.customer_id.in_(customer_ids)).scalar_subquery()
    session.execute(delete(t.OrderEvent).where(t.OrderEvent.order_no.in_(order_nos)))
    session.execute(delete(t.Order).where(t.Order.customer_id.in_(customer_ids)))
    for customer_id in customer_ids:
        session.execute(delete(t.IdempotencyRecord).where(t.IdempotencyRecord.key.startswith(f"{customer_id}:")))
