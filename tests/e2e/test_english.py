"""The main paths in English over HTTP (issue 7): the real NLU reads English, the bot answers in
English (the app's `language` metadata, else the message's own language), the actions' words and the
merchant's decisions reach the shopper in English, and switching language keeps the form."""

from __future__ import annotations

import re

from .conftest import (
    FRESH_SHOP_MERCHANT,
    bot_texts,
    csrf,
    merchant_session,
    own_order,
    texts,
    tracker,
    wait_for,
)

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def english(replies: list[dict]) -> str:
    """The replies' text, which must be English apart from the shop's own item and carrier names."""
    text = texts(replies)
    for name in ("手工红糖", "韵达快递"):
        text = text.replace(name, "")
    assert not CHINESE.search(text), text
    return text


def test_cancel_and_refund_status_in_english(system):
    order_no = own_order(system, state="paid")
    sender, replies = system.chat("c_1001", f"I need to cancel my order {order_no}", "I ordered it by mistake", "yes")
    assert f"Order {order_no}" in english(replies[0]) and "paid, awaiting shipment" in english(replies[0])
    summary = english(replies[1])
    assert "Cancel, refund the way I paid" in summary and "Ordered by mistake" in summary
    assert "¥36.00 to Alipay" in summary and "Shall I submit it?" in summary
    done = english(replies[2])
    assert f"Order {order_no} is cancelled." in done and "Refund ¥36.00 is being sent back to your Alipay" in done
    arrived = wait_for(lambda: [x for x in bot_texts(system, sender) if "has arrived in your Alipay" in x])
    assert arrived and "¥36.00" in arrived[0]
    order = system.service.lookup_order("c_1001", order_no)
    assert order["state"] == "cancelled" and [r["amount"] for r in order["refunds"]] == [3600]

    status = english(system.say(sender, "where is my refund?", customer="c_1001"))
    assert f"Refund {order['refunds'][0]['refund_no']}" in status and "arrived" in status


def test_buttons_cards_and_questions_follow_the_apps_language(system):
    order_no = own_order(system, state="paid")
    sender, [opening] = system.chat("c_1001", "我要取消订单", language="en")
    assert "order number" in english(opening)  # the app says English: Chinese typing does not change it
    reply = system.say(sender, order_no, customer="c_1001", language="en")
    card = next(m["custom"] for m in reply if m.get("custom"))
    assert card["state_label"] == "paid, awaiting shipment" and card["payment_channel"] == "Alipay"
    question = next(m for m in reply if m.get("buttons"))
    assert question["text"].startswith("Why would you like to cancel?")
    assert "Changed my mind" in [b["title"] for b in question["buttons"]]
    # A button press (a /payload) goes around the NLU and keeps the language.
    summary = english(system.say(sender, '/inform{"reason":"changed_mind"}', customer="c_1001"))
    assert "Shall I submit it?" in summary
    assert "nothing was submitted" in english(system.say(sender, "no", customer="c_1001"))
    assert system.service.lookup_order("c_1001", order_no)["state"] == "paid"


def test_switching_language_mid_form_keeps_the_form(system):
    order_no = own_order(system, state="paid")
    sender, replies = system.chat("c_1001", "我要取消订单", order_no)
    assert "请问取消的原因是" in texts(replies[1])
    # The shopper goes on in English: the answer fills the form and the bot follows the language.
    summary = english(system.say(sender, "found it cheaper elsewhere", customer="c_1001"))
    assert "Cheaper elsewhere" in summary and "Shall I submit it?" in summary
    # A bare number or "ok" says nothing about language; the conversation stays in English.
    assert "Order" in english(system.say(sender, "ok", customer="c_1001"))
    assert tracker(system, sender)["slots"]["language"] == "en"
    # And back to Chinese.
    reply = texts(system.say(sender, "退款到哪了", customer="c_1001"))
    assert "请发一下订单号" in reply or "退款" in reply
    assert system.service.lookup_order("c_1001", order_no)["state"] == "cancelled"


def test_interception_in_english_and_the_merchants_decision_is_told_in_english(system):
    order_no = own_order(system)
    sender, replies = system.chat("c_1001", f"can you stop my parcel {order_no}, the address is wrong", "yes")
    summary = english(replies[0])
    assert "Interception: the shop stops it" in summary and "92.5%" in summary and "free" in summary
    assert "Interception requested" in english(replies[1])
    ticket_no = system.service.lookup_order("c_1001", order_no)["tickets"][0]["ticket_no"]

    merchant = merchant_session(system, *FRESH_SHOP_MERCHANT)
    page = merchant.get(f"{system.web_url}/inbox/cases/{ticket_no}", timeout=10).text
    merchant.post(f"{system.web_url}/inbox/cases/{ticket_no}/decision", timeout=30,
                  data={"decision": "approve", "note": "Courier confirmed", "csrf_token": csrf(page)})
    told = "\n".join(bot_texts(system, sender)[-5:])
    assert f"The parcel of order {order_no} was intercepted" in told and "The shop says: Courier confirmed" in told
    assert f"How satisfied are you with how case {ticket_no} was handled?" in told  # the rating, in English too
    arrived = wait_for(lambda: [x for x in bot_texts(system, sender) if "has arrived in your Alipay" in x])
    assert arrived and "¥36.00" in arrived[0]
    assert system.service.lookup_order("c_1001", order_no)["state"] == "cancelled"


def test_return_in_english_names_who_pays_and_what_to_keep(system):
    order_no = own_order(system, state="delivered")
    _, replies = system.chat("c_1001", f"the sugar arrived damaged, I want to return it. order {order_no}", "yes")
    summary = english(replies[0]) if "Shall I submit" in english(replies[0]) else english(replies[1])
    assert "Return for a refund" in summary and "Return postage is paid by the shop." in summary
    assert "photos" in summary and "keep the item, tags, packaging" in summary
    assert "Return requested" in english(replies[-1])
    order = system.service.lookup_order("c_1001", order_no)
    assert [(r["status"], r["shipping_payer"]) for r in order["returns"]] == [("requested", "merchant")]


def test_handoff_in_english(system):
    order_no = own_order(system)
    sender, replies = system.chat("c_1001", f"please intercept {order_no}", "I want to talk to a real person")
    handoff = english(replies[-1])
    assert "human agent, case TK" in handoff and "no need to repeat yourself" in handoff
    assert tracker(system, sender)["paused"] is True
    assert system.say(sender, "hello?", customer="c_1001") == []


def test_action_server_down_apologises_in_english(system_without_actions):
    reply = english(system_without_actions.say("e2e-down-en", "I want to cancel my order", customer="c_1001"))
    assert "Nothing was done" in reply or "nothing was done" in reply
