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
                    "total": 39900, "cancelled": False}],
         "returns": []}
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
              "order": {"order_no": ORDER["order_no"], "state": "delivered"}}
    [text] = result_texts(result, ORDER, w)
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
