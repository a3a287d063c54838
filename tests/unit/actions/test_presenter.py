"""The bot's composed words, from service results (no server needed)."""

from __future__ import annotations

import re

import pytest

from actions.words import Words, keyword_code
from actions.words.orders import item_named, order_card
from actions.words.requests import result_card, result_texts, summary
from actions.words.updates import case_update_texts

W = Words("zh")
ITEMS = [{"id": 2, "title": "陶瓷马克杯 2只装", "quantity": 1, "total": 5900, "goods_type": "physical",
          "cancelled": False},
         {"id": 3, "title": "纯棉毛巾 3条", "quantity": 1, "total": 4550, "goods_type": "physical", "cancelled": False},
         {"id": 4, "title": "手工皂礼盒", "quantity": 2, "total": 5600, "goods_type": "physical", "cancelled": False}]


def test_item_named_finds_what_the_shopper_means():
    assert item_named(ITEMS, "只取消毛巾")["id"] == 3
    assert item_named(ITEMS, "那个马克杯不要了")["id"] == 2
    assert item_named(ITEMS, "4")["id"] == 4
    assert item_named(ITEMS, "随便") is None
    assert item_named(ITEMS, "皂") is None  # one character is not enough


def test_eta_words():
    assert W.eta({"min": 0, "max": 0, "unit": "hours"}) == "通常即时到账"
    assert W.eta({"min": 1, "max": 3, "unit": "business_days"}) == "1–3 个工作日内到账"
    assert W.duration({"min": 24, "max": 48, "unit": "hours"}) == "24–48 小时"


def decision(**overrides):
    base = {"outcome": "intercept", "execution": "request", "allowed": True, "code": "interception_merchant_stage",
            "item_ids": [], "refund": {"amount": 8900, "currency": "CNY", "channel": "alipay",
                                       "timing": "after_interception",
                                       "eta": {"min": 0, "max": 0, "unit": "hours"}},
            "return_shipping_payer": None,
            "interception": {"stage": "merchant", "eta": {"min": 1, "max": 2, "unit": "hours"},
                             "success_rate": 0.925, "fee_payer": "platform", "free_left_this_month": 2,
                             "failed_return_shipping": "customer"},
            "evidence_required": False, "window_ends_at": None, "sla_hours": 2, "alternatives": [],
            "human_can_help": False}
    return {**base, **overrides}


ORDER = {"order_no": "KS2026112100000101", "items": ITEMS[:1], "currency": "CNY"}


def test_interception_summary_is_honest_about_odds_time_and_cost():
    text = summary(ORDER, decision(), "wrong_address", W)
    for expected in ("¥89.00", "支付宝", "拦截成功后退款", "1–2 小时", "92.5%", "还剩 2 次免费拦截",
                     "退回运费由您承担", "确认提交吗"):
        assert expected in text, expected
    used_up = decision(interception={**decision()["interception"], "fee_payer": "customer",
                                     "free_left_this_month": 0})
    assert "费用由您承担" in summary(ORDER, used_up, "wrong_address", W)


def test_return_summary_names_payer_evidence_and_deadline():
    text = summary(ORDER, decision(outcome="return_refund", execution="review", code="return_within_window",
                                             interception=None, return_shipping_payer="merchant",
                                             evidence_required=True, window_ends_at="2026-11-27T06:56:00+00:00",
                                             sla_hours=48), "quality_defect", W)
    for expected in ("退回运费由商家承担", "照片", "48 小时内", "11月27日 14:56", "吊牌"):
        assert expected in text, expected


def test_unpaid_cancel_says_nothing_is_refunded():
    result = {"status": "done", "decision": decision(outcome="cancel_refund", refund=None, interception=None),
              "order": {**ORDER, "order_no": "P1", "state": "cancelled"}, "refund": None}
    assert result_texts(result, W) == ["订单 P1 已取消。", "订单还未付款，不涉及退款。"]


def test_processing_refund_gives_the_latest_date_and_how_to_follow_up():
    refund = {"refund_no": "RF1", "amount": 19900, "currency": "CNY", "channel": "bank_card", "status": "submitted",
              "expected_latest": "2026-11-25T04:00:00+00:00"}
    result = {"status": "done", "order": {**ORDER, "order_no": "P1", "state": "cancelled"}, "refund": refund,
              "decision": decision(outcome="cancel_refund", interception=None,
                                   refund={**decision()["refund"], "eta": {"min": 1, "max": 5,
                                                                           "unit": "business_days"}})}
    text = "\n".join(result_texts(result, W))
    assert "¥199.00" in text and "银行卡" in text and "11月25日 12:00" in text and "RF1" in text
    assert "退款到哪了" in text


def test_an_immediate_refund_not_yet_paid_says_it_is_being_sent_not_that_it_arrived():
    refund = {"refund_no": "RF2", "amount": 3600, "currency": "CNY", "channel": "alipay", "status": "requested",
              "expected_latest": "2026-11-25T04:00:00+00:00"}
    result = {"status": "done", "order": {**ORDER, "order_no": "P1", "state": "cancelled"}, "refund": refund,
              "decision": decision(outcome="cancel_refund", interception=None,
                                   refund={**decision()["refund"], "eta": {"min": 0, "max": 0, "unit": "hours"}})}
    text = "\n".join(result_texts(result, W))
    assert "正在退回支付宝" in text and "已退回" not in text and "RF2" in text


def test_a_failed_refund_is_told_with_the_case_that_has_it():
    update = {"kind": "refund_failed", "ticket": {"ticket_no": "TK9"}, "order_no": "KS1",
              "refund": {**REFUND, "status": "failed"}}
    [text] = case_update_texts(update, W)
    assert "没能退回支付宝" in text and "TK9" in text and "不需要重新申请" in text


def test_order_card_escapes_nothing_itself_but_carries_plain_text():
    order = {"order_no": "P1", "items": [{**ITEMS[0], "title": "<script>x</script>"}], "currency": "CNY",
             "payment_channel": "alipay", "total": 5900, "state": "paid", "shop": {"name": "S"}, "carrier": None,
             "tracking_no": None}
    text, card = order_card(order, W)
    # Plain text: the widget renders it as text, never as HTML (issue 5 tests that side).
    assert "<script>x</script>" in text and card["items"][0]["title"] == "<script>x</script>"


def _update(kind="decision", ticket_kind="interception", resolution="approved", note="", refund=None, payload=None):
    ticket = {"ticket_no": "TK1", "kind": ticket_kind, "resolution": resolution, "resolution_note": note}
    return {"kind": kind, "ticket": ticket if kind == "decision" else None, "refund": refund, "order_no": "KS1",
            "payload": payload or {}}


REFUND = {"refund_no": "RF1", "amount": 3600, "currency": "CNY", "channel": "alipay",
          "expected_latest": "2026-11-22T02:00:00+00:00"}


def test_an_approved_interception_tells_the_outcome_the_refund_and_what_next():
    lines = case_update_texts(_update(note="已联系快递", refund=REFUND), Words())
    text = "\n".join(lines)
    assert "KS1 的包裹已拦截成功" in lines[0] and "商家说明：已联系快递" in text
    assert "¥36.00" in text and "支付宝" in text and "RF1" in text and "11月22日 10:00" in text
    done = "\n".join(case_update_texts(_update(refund={**REFUND, "status": "succeeded"}),
                                                  Words()))
    assert "退款 ¥36.00 已退回支付宝" in done and "预计" not in done


def test_a_rejection_gives_the_merchants_reason_and_the_way_to_appeal():
    text = "\n".join(case_update_texts(_update(ticket_kind="return", resolution="rejected",
                                                         note="已超过七天"), Words()))
    assert "没有同意" in text and "已超过七天" in text and "投诉" in text and "退款" not in text


def test_refund_arrival_and_hand_back_words():
    w = Words()
    [arrived] = case_update_texts({"kind": "refund_completed", "ticket": None, "refund": REFUND,
                                             "order_no": "KS1"}, w)
    assert "KS1" in arrived and "¥36.00" in arrived and "请查收" in arrived
    [back] = case_update_texts({"kind": "hand_back", "ticket": None, "refund": None, "order_no": None}, w)
    assert "继续为您服务" in back


def test_result_card_carries_display_ready_money_and_references():
    result = {"status": "done", "order": {**ORDER, "order_no": "P1", "state": "cancelled"},
              "refund": {**REFUND, "status": "submitted"},
              "decision": {"refund": {"eta": {"min": 1, "max": 3, "unit": "business_days"}}}}
    card = result_card(result, Words())
    assert card["type"] == "result_card" and card["reference"] == "RF1" and card["order_no"] == "P1"
    assert card["refund"]["amount"] == "¥36.00" and card["refund"]["channel"] == "支付宝"
    assert card["refund"]["status_label"] == "退款中" and "工作日" in card["refund"]["eta"]
    review = result_card({"status": "under_review", "order": {"order_no": "P1"},
                                    "ticket": {"ticket_no": "TK9"}, "decision": {"refund": None}},
                                   Words())
    assert (review["reference"], review["refund"], review["title"]) == ("TK9", None, "已提交商家审核")


EN = Words("en")


def test_english_summary_and_update_carry_the_same_facts():
    text = summary({**ORDER, "items": ITEMS[:2]}, decision(), "wrong_address", EN)
    for expected in ("¥89.00", "Alipay", "once the interception succeeds", "1–2 hours", "92.5%", "2 free interceptions left",
                     "paid by you", "Shall I submit it?", "陶瓷马克杯 2只装×1, 纯棉毛巾 3条×1"):
        assert expected in text, expected
    assert not re.search(r"[\u4e00-\u9fff]", text.replace(ITEMS[0]["title"], "").replace(ITEMS[1]["title"], ""))
    lines = case_update_texts(_update(ticket_kind="return", resolution="rejected", note="outside 7 days"),
                                        EN)
    assert lines == ["Sorry, the shop did not approve your request for order KS1 (TK1).",
                     "The shop says: outside 7 days",
                     "If you disagree, say \"complaint\" to ask the platform to step in, or \"human agent\"."]
    refund = {**REFUND, "status": "submitted"}
    assert "expected by Nov 22, 10:00" in "\n".join(case_update_texts(_update(refund=refund), EN))


def test_an_unknown_language_falls_back_to_chinese():
    assert Words("fr")("buttons.human") == "转人工"


def test_free_text_keywords_of_either_language_point_to_a_code():
    assert keyword_code("reasons", "It arrived BROKEN") == "quality_defect"
    assert keyword_code("reasons", "质量不行") == "quality_defect"
    assert keyword_code("reasons", "I simply changed my mind") == "changed_mind"
    assert keyword_code("reasons", "no idea") is None
    assert keyword_code("outcomes", "a refund to my balance please") == "refund_to_balance"
    assert keyword_code("outcomes", "I'd rather exchange it") == "exchange"
    assert keyword_code("items", "the whole order") == "all"
    assert keyword_code("items", "整单") == "all"
    # Latin keywords are whole words: "all" is not in "small".
    assert keyword_code("items", "the small towel") is None


def test_an_inspection_is_told_with_the_deduction_or_the_refusal_and_the_shops_words():
    refund = {**REFUND, "amount": 8500, "status": "requested", "created_at": "2026-11-20T02:00:00+00:00"}
    lines = case_update_texts({"kind": "return_received", "ticket": None, "refund": refund, "order_no": None,
                                         "payload": {"order_no": "P9", "deduction": 1500, "note": "鞋盒缺失"}}, W)
    text = "\n".join(lines)
    assert "P9" in text and "¥85.00" in text and "扣除 ¥15.00" in text and "鞋盒缺失" in text and "投诉" in text
    [refused] = case_update_texts({"kind": "return_rejected", "ticket": None, "refund": None,
                                             "order_no": None, "payload": {"order_no": "P9", "note": "有使用痕迹"}}, W)
    assert "没有同意退款" in refused and "有使用痕迹" in refused


@pytest.mark.parametrize(("language", "reason"), [("zh", "商品缺货"), ("en", "out of stock")])
def test_a_merchant_cancellation_is_told_with_its_reason_and_refund(language, reason):
    w = Words(language)
    refund = {**REFUND, "created_at": "2026-11-21T02:00:00+00:00"}
    update = {"kind": "merchant_cancelled", "ticket": None, "refund": refund, "order_no": None,
              "payload": {"order_no": "P202611210000102", "reason": "out_of_stock"}}
    [told] = case_update_texts(update, w)
    for expected in ("P202611210000102", reason, REFUND["refund_no"], w.money(REFUND["amount"], REFUND["currency"])):
        assert expected in told, expected
    [unpaid] = case_update_texts({**update, "refund": None}, w)
    assert "P202611210000102" in unpaid and REFUND["refund_no"] not in unpaid


def test_an_approved_return_says_where_to_send_the_goods():
    address = "上海市浦东新区张江路 88 号 售后部 收"
    told = "\n".join(case_update_texts(_update(ticket_kind="return", payload={"return_address": address}), Words()))
    assert address in told and "运单号发给我" in told
    later = "\n".join(case_update_texts(_update(ticket_kind="return", payload={"return_address": None}), Words()))
    assert "另行告知退货地址" in later
    interception = "\n".join(case_update_texts(_update(), Words()))
    assert "退货地址" not in interception and "寄回" not in interception


@pytest.mark.parametrize(("address", "told", "not_told"), [
    ("上海市浦东新区张江路 88 号 售后部 收", "请把商品寄回：上海市浦东新区张江路 88 号", "拒收"),
    (None, "商家会另行告知退货地址", "拒收"),
])
def test_a_return_authorized_at_once_gives_the_return_address_not_a_refusal(address, told, not_told):
    ret = {"return_no": "RT1", "outcome": "return_refund", "status": "authorized", "method": "ship_back",
           "exchange_wish": None}
    result = {"status": "requested", "order": {**ORDER, "order_no": "P1", "state": "delivered"}, "return": ret,
              "return_address": address, "decision": decision(outcome="return_refund", interception=None)}
    text = "\n".join(result_texts(result, W))
    assert "RT1" in text and told in text and not_told not in text
    refused = {**result, "return": {**ret, "method": "refuse_delivery"}}
    del refused["return_address"]
    assert "拒收" in "\n".join(result_texts(refused, W))
