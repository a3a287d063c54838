"""Which cases an order allows now, and what the shopper's one message gives the merchant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aftersales.adapters.policy_files import load_profile
from aftersales.domain.model import GoodsType, ItemView, OrderState, OrderView
from aftersales.domain.topic_cases import Details, Missing, Topic, Verdict, assess, parse_details, reports_not_received

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def order(state: OrderState, goods: GoodsType = GoodsType.PHYSICAL, delivered_days_ago: float | None = None):
    return OrderView("P1", state, "CNY", None, (ItemView(1, "S", "T", goods, 1, 1000),),
                     delivered_at=None if delivered_days_ago is None else NOW - timedelta(days=delivered_days_ago))


@pytest.mark.parametrize(("topic", "view", "profile", "verdict"), [
    (Topic.INVOICE, order(OrderState.PENDING_PAYMENT), "general", Verdict.NOT_PAID),
    (Topic.INVOICE, order(OrderState.SHIPPED), "general", Verdict.OPEN),
    (Topic.INVOICE, order(OrderState.CANCELLED), "general", Verdict.CLOSED),
    (Topic.REPAIR, order(OrderState.SHIPPED), "general", Verdict.NOT_DELIVERED),
    (Topic.REPAIR, order(OrderState.DELIVERED, delivered_days_ago=100), "general", Verdict.OPEN),
    (Topic.REPAIR, order(OrderState.COMPLETED, delivered_days_ago=400), "general", Verdict.WARRANTY_EXPIRED),
    (Topic.REPAIR, order(OrderState.DELIVERED, GoodsType.FRESH, 1), "short_video", Verdict.NO_WARRANTY),
    (Topic.REPAIR, order(OrderState.REDEEMED, GoodsType.VIRTUAL_CARD, 1), "virtual_goods", Verdict.NO_WARRANTY),
    (Topic.MISSING_ITEM, order(OrderState.DELIVERED, delivered_days_ago=2), "general", Verdict.OPEN),
    (Topic.MISSING_ITEM, order(OrderState.DELIVERED, delivered_days_ago=9), "general", Verdict.WINDOW_CLOSED),
    (Topic.MISSING_ITEM, order(OrderState.IN_TRANSIT), "general", Verdict.NOT_DELIVERED),
    (Topic.DELIVERY_TIME, order(OrderState.PAID), "general", Verdict.OPEN),
    (Topic.DELIVERY_TIME, order(OrderState.IN_TRANSIT), "general", Verdict.IN_DELIVERY),
    (Topic.DELIVERY_TIME, order(OrderState.DELIVERED, delivered_days_ago=1), "general", Verdict.DELIVERED),
    (Topic.NOT_RECEIVED, order(OrderState.COMPLETED, delivered_days_ago=3), "general", Verdict.OPEN),
    (Topic.NOT_RECEIVED, order(OrderState.DELIVERED, delivered_days_ago=9), "general", Verdict.WINDOW_CLOSED),
    (Topic.NOT_RECEIVED, order(OrderState.IN_TRANSIT), "short_video", Verdict.NOT_DELIVERED),
    (Topic.NOT_RECEIVED, order(OrderState.PAID), "general", Verdict.NOT_DELIVERED),
    (Topic.NOT_RECEIVED, order(OrderState.RETURNED, delivered_days_ago=3), "general", Verdict.CLOSED),
    (Topic.NOT_RECEIVED, order(OrderState.DELIVERED, GoodsType.VIRTUAL_CARD, 1), "virtual_goods",
     Verdict.NOT_SHIPPED_GOODS),
])
def test_what_each_order_allows(topic, view, profile, verdict):
    assert assess(topic, view, NOW, load_profile(profile, {})).verdict is verdict


def test_the_warranty_and_the_delay_come_from_the_profile():
    repair = assess(Topic.REPAIR, order(OrderState.DELIVERED, delivered_days_ago=10), NOW, load_profile("general", {}))
    assert repair.ends_at == NOW - timedelta(days=10) + timedelta(days=365)
    shorter = load_profile("general", {"warranty_days": {"physical": 5}})
    assert assess(Topic.REPAIR, order(OrderState.DELIVERED, delivered_days_ago=10), NOW, shorter).verdict is \
        Verdict.WARRANTY_EXPIRED
    assert assess(Topic.DELIVERY_TIME, order(OrderState.PAID), NOW, load_profile("short_video", {})).delay_hours == 48
    assert assess(Topic.DELIVERY_TIME, order(OrderState.PAID), NOW, load_profile("general", {})).delay_hours is None


@pytest.mark.parametrize(("raw", "fields"), [
    ("个人 电子发票", {"title_type": "personal", "tax_number": None, "format": "electronic"}),
    ("上海某某科技有限公司 91310115MA1H7ABC1X 纸质", {"title_type": "company", "tax_number": "91310115MA1H7ABC1X",
                                              "format": "paper"}),
    ("抬头 杭州一二三贸易有限公司 税号 91330106mA2B3c4d5E", {"title_type": "company",
                                                   "tax_number": "91330106MA2B3C4D5E"}),
])
def test_an_invoice_message_gives_the_title_the_tax_number_and_the_format(raw, fields):
    parsed = parse_details(Topic.INVOICE, raw)
    assert isinstance(parsed, Details) and fields.items() <= parsed.fields.items()
    assert parsed.fields["tax_number"] is None or parsed.fields["tax_number"] not in parsed.fields["title"]


@pytest.mark.parametrize(("topic", "raw", "missing"), [
    (Topic.INVOICE, "开到我们公司 上海某某科技有限公司", Missing.TAX_NUMBER),
    (Topic.REPAIR, "坏", Missing.DESCRIPTION),
    (Topic.MISSING_ITEM, "？", Missing.DESCRIPTION),
    (Topic.DELIVERY_TIME, "周六" * 300, Missing.TOO_LONG),
])
def test_what_a_case_still_lacks(topic, raw, missing):
    assert parse_details(topic, raw) is missing


def test_a_missing_item_says_reissue_or_refund():
    assert parse_details(Topic.MISSING_ITEM, "少发了一个充电头，给我补发").fields == {"wish": "reissue"}
    assert parse_details(Topic.MISSING_ITEM, "杯子碎了，直接退款吧").fields == {"wish": "refund"}


def test_a_parcel_never_received_is_a_logistics_investigation():
    assert Topic.NOT_RECEIVED.case_kind == "logistics_investigation"
    assert parse_details(Topic.NOT_RECEIVED, "显示签收了但我没收到") == Details("显示签收了但我没收到", {})


@pytest.mark.parametrize(("text", "anywhere", "shown_delivered"), [
    ("显示签收了但我没收到", True, True),
    ("我的货没有收到 为什么显示完成了", True, True),
    ("快递说妥投了，家里没人收到过", True, True),
    ("it says delivered but I never got it", True, True),
    ("marked as completed, nothing arrived", True, True),
    ("到现在还没收到", True, False),
    ("I haven't received my parcel yet", True, False),
    ("退款还没收到", False, False),  # money, not goods
    ("发票没收到", False, False),
    ("少发了一件", False, False),
    ("我的快递到哪了", False, False),
    # A reply, a call or news the shopper misses is no parcel.
    ("没收到你们的回复，订单什么状态", False, False),
    ("我还没收到客服电话", False, False),
    ("I have not received any update on my order status", False, False),
])
def test_which_words_report_goods_never_received(text, anywhere, shown_delivered):
    assert reports_not_received(text) is anywhere
    assert reports_not_received(text, shown_delivered=True) is shown_delivered
