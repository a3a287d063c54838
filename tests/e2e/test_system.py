"""Single turns over real HTTP: identity, bad input, the servers answering."""

from __future__ import annotations

import requests

from aftersales.adapters.customer_tokens import mint

from .conftest import texts


def test_order_status_for_the_shoppers_own_order(system):
    reply = texts(system.say("e2e-status", "订单 P 2026-1121-0000-105 到哪了", customer="c_1001"))
    assert "P202611210000105" in reply and "已签收" in reply


def test_order_number_on_its_own_shows_the_order(system):
    reply = system.say("e2e-bare", "KS2026112100000102", customer="c_1001")
    assert "运输中" in texts(reply)
    cards = [m["custom"] for m in reply if "custom" in m]
    assert cards and cards[0]["type"] == "order_card" and cards[0]["order_no"] == "KS2026112100000102"


def test_another_customers_order_looks_exactly_like_an_unknown_one(system):
    other = texts(system.say("e2e-other", "查一下订单P202611210000201", customer="c_1001"))
    unknown = texts(system.say("e2e-unknown", "查一下订单P202611210000299", customer="c_1001"))
    assert "没有在您的账户下找到" in other
    assert other.replace("P202611210000201", "N") == unknown.replace("P202611210000299", "N")
    assert "手账本" not in other


def test_no_token_or_a_forged_one_reveals_nothing_without_the_phone_check(system):
    forged = mint("not-the-secret-" + "x" * 30, "c_1001")
    for n, token in enumerate((None, forged, "garbage")):
        reply = texts(system.say(f"e2e-anon-{n}", "订单P202611210000105到哪了", token=token))
        assert "手机号的后四位" in reply and "已签收" not in reply


def test_malformed_order_number_gets_told_the_format(system):
    _, replies = system.chat("c_1001", "我要取消订单", "订单号 12345678")
    assert "10–20 位数字" in texts(replies[-1])


def test_empty_huge_and_markup_messages_get_an_answer(system):
    for n, text in enumerate(["", "退" * 10_000, "<script>alert(1)</script>订单P202611210000105"]):
        reply = system.say(f"e2e-odd-{n}", text, customer="c_1001")
        assert reply, f"no answer to message {n}"
    assert "<b>" not in texts(system.say("e2e-odd-3", "<b>hi</b>", customer="c_1001"))


def test_web_app_and_action_server_answer(system):
    assert requests.get(f"{system.web_url}/healthz", timeout=10).json() == {"status": "ok"}
    assert requests.get(f"{system.actions_url}/health", timeout=10).status_code == 200


def test_action_server_down_gets_an_apology_not_silence(system_without_actions):
    for text in ("我要取消订单 P202611210000108", "退款到哪了"):
        reply = texts(system_without_actions.say("e2e-down", text, customer="c_1001"))
        assert "没有执行" in reply and "转人工" in reply
    order = system_without_actions.service.lookup_order("c_1001", "P202611210000108")
    assert order["state"] == "paid" and order["refunds"] == []
