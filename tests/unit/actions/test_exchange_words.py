"""What the shopper reads of an exchange: what instead and who pays each way in the summary, the
request's number, the replacement's parcel when it goes out, and where the exchange is."""

from __future__ import annotations

import pytest

from actions.words import Words
from actions.words.orders import exchange_status_texts
from actions.words.requests import result_texts, summary
from actions.words.updates import case_update_texts

ORDER = {"order_no": "P202611210000105", "state": "delivered", "currency": "CNY",
         "items": [{"id": 1, "title": "跑步鞋", "goods_type": "physical", "quantity": 1, "unit_price": 39900,
                    "total": 39900, "cancelled": False, "variant": None}],
         "returns": [], "tickets": []}
DECISION = {"outcome": "exchange", "execution": "review", "code": "return_within_window", "item_ids": [1],
            "refund": None, "return_shipping_payer": "customer", "replacement_shipping_payer": "merchant",
            "interception": None, "evidence_required": False, "window_ends_at": "2026-11-28T04:00:00+00:00",
            "sla_hours": 48, "allowed": True}


def exchange(status: str, **extra) -> dict:
    return {"return_no": "RT261121ABCDEF", "outcome": "exchange", "status": status, "exchange_wish": "换成 42 码",
            "replacement_carrier": None, "replacement_tracking_no": None, "return_carrier": None,
            "return_tracking_no": None, **extra}


@pytest.mark.parametrize(("language", "parts"), [
    ("zh", ("换成：换成 42 码", "退回运费由您承担", "换货商品寄给您的运费由商家承担")),
    ("en", ("Instead: 换成 42 码", "Return postage is paid by you", "replacement is paid by the shop")),
])
def test_the_summary_says_what_instead_and_who_pays_each_way(language, parts):
    text = summary(ORDER, DECISION, "does_not_fit", Words(language), "换成 42 码")
    assert all(part in text for part in parts), text


def test_the_request_is_told_as_an_exchange_with_its_number_and_what_instead():
    w = Words("zh")
    result = {"status": "under_review", "return": exchange("requested"), "decision": DECISION,
              "order": {**ORDER, "state": "delivered"}}
    [text] = result_texts(result, w)
    assert "换货申请已提交" in text and "RT261121ABCDEF" in text and "换成 42 码" in text and "48 小时" in text


def test_the_replacement_going_out_is_told_with_its_parcel():
    update = {"kind": "replacement_shipped", "ticket": None, "refund": None, "order_no": ORDER["order_no"],
              "payload": {"order_no": ORDER["order_no"], "carrier": "顺丰速运", "tracking_no": "SF123",
                          "exchange_wish": "换成 42 码"}}
    for language in ("zh", "en"):
        [text] = case_update_texts(update, Words(language))
        assert "SF123" in text and "顺丰速运" in text and ORDER["order_no"] in text


def test_where_each_exchange_is():
    order = {**ORDER, "returns": [
        exchange("replacement_shipped", replacement_carrier="顺丰速运", replacement_tracking_no="SF123"),
        exchange("withdrawn"), {**exchange("authorized"), "outcome": "return_refund"}]}
    [text] = exchange_status_texts(order, Words("zh"))
    assert "已寄出" in text and "SF123" in text


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_exchange_awaiting_its_parcel_says_whether_the_shopper_told_it(language):
    waiting = exchange_status_texts({**ORDER, "returns": [exchange("authorized")]}, Words(language))
    sent = exchange_status_texts({**ORDER, "returns": [exchange("authorized", return_carrier="中通快递",
                                                                return_tracking_no="75123456789012")]},
                                 Words(language))
    assert "75123456789012" not in waiting[0] and "75123456789012" in sent[0] and "中通快递" in sent[0]


CHANGE = {**DECISION, "code": "item_change_before_shipment", "return_shipping_payer": None,
          "replacement_shipping_payer": None, "window_ends_at": None, "sla_hours": 4}
PAID = {**ORDER, "state": "paid"}


@pytest.mark.parametrize(("language", "parts", "absent"), [
    ("zh", ("发货前改尺码/颜色", "换成：黑色 42 码", "不用寄回商品", "4 小时"), ("退回运费", "吊牌")),
    ("en", ("Change size or colour before shipping", "Instead: 黑色 42 码", "nothing is sent back", "4 hours"),
     ("Return postage", "tags")),
])
def test_a_change_before_shipment_is_summed_up_as_one_with_nothing_to_send_back(language, parts, absent):
    text = summary(PAID, CHANGE, "ordered_by_mistake", Words(language), "黑色 42 码")
    assert all(part in text for part in parts), text
    assert not any(part in text for part in absent), text


def test_a_change_asked_for_is_told_with_its_case_and_the_hours_of_the_stock_check():
    result = {"status": "under_review", "ticket": {"ticket_no": "TK261203ABCDEF", "kind": "item_change"},
              "decision": CHANGE, "exchange_wish": "黑色 42 码", "order": {**PAID, "state": "paid"}}
    [zh] = result_texts(result, Words("zh"))
    assert "TK261203ABCDEF" in zh and "黑色 42 码" in zh and "4 小时" in zh and "确认库存" in zh
    [en] = result_texts(result, Words("en"))
    assert "TK261203ABCDEF" in en and "checks its stock within 4 hours" in en


@pytest.mark.parametrize(("resolution", "part"), [("approved", "已改为：黑色 42 码（TK1）"),
                                                   ("rejected", "没有同意把订单 P202611210000105 的商品改成“换成黑色 42 码”")])
def test_the_shops_answer_is_told_with_what_was_asked(resolution, part):
    update = {"kind": "decision", "refund": None, "order_no": PAID["order_no"],
              "payload": {"exchange_wish": "换成黑色 42 码", "variant": "黑色 42 码"},
              "ticket": {"ticket_no": "TK1", "kind": "item_change", "resolution": resolution, "resolution_note": "好"}}
    text = "\n".join(case_update_texts(update, Words("zh")))
    assert part in text and "TK1" in text and "商家说明：好" in text


def test_where_a_change_is_and_what_the_item_is_now():
    w = Words("zh")
    open_case = {"ticket_no": "TK1", "kind": "item_change", "resolution": None, "created_at": None}
    [waiting] = exchange_status_texts({**PAID, "tickets": [open_case]}, w)
    assert "等商家确认库存" in waiting
    changed = {**PAID, "tickets": [{**open_case, "resolution": "approved"}],
               "items": [{**PAID["items"][0], "variant": "黑色 42 码"}]}
    assert exchange_status_texts(changed, w) == ["跑步鞋 已改为：黑色 42 码。"]
    withdrawn = {**PAID, "tickets": [{**open_case, "resolution": "withdrawn"}]}
    assert exchange_status_texts(withdrawn, w) == []
    # Once the order has left, its items are what they are: no word of a stock check any more.
    assert exchange_status_texts({**PAID, "state": "shipped", "tickets": [open_case]}, w) == []
    # Of several changes, the newest says where things are.
    older = {**open_case, "ticket_no": "TK0", "resolution": "rejected", "created_at": "2026-12-01T00:00:00+00:00"}
    newer = {**open_case, "created_at": "2026-12-02T00:00:00+00:00"}
    assert exchange_status_texts({**PAID, "tickets": [newer, older]}, w) == [waiting]


@pytest.mark.parametrize(("state", "part"), [("shipped", "已经发出了"), ("cancelled", "已取消")])
def test_a_change_overtaken_by_the_order_is_told_why(state, part):
    update = {"kind": "item_change_lapsed", "refund": None, "order_no": PAID["order_no"],
              "payload": {"order_no": PAID["order_no"], "state": state},
              "ticket": {"ticket_no": "TK1", "kind": "item_change", "resolution": "lapsed", "resolution_note": None}}
    for language in ("zh", "en"):
        [text] = case_update_texts(update, Words(language))
        assert "TK1" in text and PAID["order_no"] in text
    assert part in case_update_texts(update, Words("zh"))[0]
