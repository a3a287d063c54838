"""Several requests in one conversation (issue 15 §11): cancel one order, return another, ask after a
third — each on what that order allows, none starting the conversation over, the database checked
after each."""

from __future__ import annotations

from .conftest import own_order, texts


def test_cancel_then_return_then_ask_without_starting_over(system):
    paid, delivered, shipped = (own_order(system, state=state) for state in ("paid", "delivered", "shipped"))
    sender = "several-" + paid

    def say(text: str) -> str:
        return texts(system.say(sender, text, customer="c_1001"))

    say(f"我要取消订单 {paid}")
    say('/inform{"reason":"changed_mind"}')
    cancelled = say("确认")
    assert "已取消" in cancelled, cancelled
    assert system.service.lookup_order("c_1001", paid)["state"] == "cancelled"

    first = say(f"另外这个订单我要退货 {delivered}")
    assert delivered in first and "遇到了什么问题" in first, first  # the new order, not the cancelled one
    assert "退货退款" in say('/inform{"reason":"quality_defect"}')
    submitted = say("确认")
    assert "退货申请已提交" in submitted, submitted
    returns = system.service.lookup_order("c_1001", delivered)["returns"]
    assert [r["status"] for r in returns] == ["requested"]
    assert system.service.lookup_order("c_1001", paid)["state"] == "cancelled"

    status = say(f"还有 {shipped} 到哪了")
    assert "韵达" in status and "YD0000001" in status, status
    third = system.service.lookup_order("c_1001", shipped)
    assert third["state"] == "shipped" and not third["returns"] and not third["refunds"]
