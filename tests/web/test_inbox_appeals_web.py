"""Appeals, logistics investigations and the platform's cases in the inbox over HTTP (Flask's test
client), on SQLite and PostgreSQL: an appeal reads as the second review of its first case — the first
decision and its reason in words, the shopper's new account, the alternative taken — and is decided
with the same button, carrying out what the first asked for once; complaints carry the platform's mark
and have a filter of their own."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.service.appeals import AppealService
from aftersales.service.topic_cases import TopicCaseService
from tests.integration.fixtures import NOW, accounts, add_order, merchant, service
from tests.web.conftest import csrf_from, sign_in
from tests.web.test_inbox_english_web import CJK, english, visible_text

CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
CARD = "8800000000001"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)))


@pytest.fixture
def shop(factory):
    add_order(factory, CARD, profile="virtual_goods", goods="virtual_card", channel="bank_card", prices=("50.00",))
    first = service(factory).submit("alice", CARD, "cancel_refund", "duplicate_order", conversation_id="chat-1")
    merchant(factory).decide_ticket(first["ticket"]["ticket_no"], False, "卡密已经锁定", actor="merchant:v@shop")
    appeal = AppealService(factory, clock=lambda: NOW).open(
        "alice", CARD, "两个订单一模一样，截图随后发；退到余额也可以", conversation_id="chat-2",
        alternative="refund_to_balance")
    add_order(factory, "P1000000001", state="completed", prices=("30.00",))
    investigation = TopicCaseService(factory, clock=lambda: NOW).open(
        "alice", "P1000000001", "not_received", "显示签收了但我没收到", conversation_id="chat-3")
    complaint = service(factory).open_ticket("alice", "complaint", "商家一直不处理", order_no="P1000000001",
                                             conversation_id="chat-3")
    accounts(factory).create_merchant("v@shop.example", "V 客服", "password-of-v", ["shop_v", "shop_g"])
    return {"first": first["ticket"]["ticket_no"], "appeal": appeal["ticket"]["ticket_no"],
            "investigation": investigation["ticket"]["ticket_no"], "complaint": complaint["ticket"]["ticket_no"]}


def signed_in(app):
    client = app.test_client()
    sign_in(client, "v@shop.example", "password-of-v")
    return client


def refunds(factory) -> list[tuple[int, str, str]]:
    with factory() as session:
        return [(r.amount, r.channel, r.source) for r in session.scalars(select(t.Refund).order_by(t.Refund.id))]


def test_an_appeal_reads_as_the_second_review_of_its_first_case(app, shop):
    client = signed_in(app)
    page = text_of(client.get(f"/inbox/cases/{shop['appeal']}").get_data(as_text=True))
    assert "申诉 · 第二次审核" in page
    assert f"顾客不接受工单 {shop['first']}（取消审核）的处理结果" in page
    assert "第一次审核 已拒绝" in page and "当时的理由 卡密已经锁定" in page
    assert "两个订单一模一样，截图随后发" in page and "顾客说会补发照片、截图或视频" in page
    assert "顾客接受改为：取消订单，退到账户余额。" in page
    assert "第二次审核，处理的是第一次的申请：同意：取消整个订单，退款 ¥50.00 退到账户余额。" in page
    assert not CODE.search(page), CODE.findall(page)
    first = text_of(client.get(f"/inbox/cases/{shop['first']}").get_data(as_text=True))
    assert f"第 1 次申诉 · {shop['appeal']} · 待处理" in first
    queue = text_of(client.get("/inbox/?queue=appeals").get_data(as_text=True))
    assert shop["appeal"] in queue and shop["first"] not in queue and "申诉（1）" in queue


def test_approving_the_appeal_in_the_inbox_cancels_once_to_the_balance(app, factory, shop):
    client = signed_in(app)
    path = f"/inbox/cases/{shop['appeal']}"
    token = csrf_from(client.get(path).get_data(as_text=True))
    done = client.post(f"{path}/decision", data={"decision": "approve", "note": "", "csrf_token": token},
                       follow_redirects=True)
    assert "已同意并执行" in done.get_data(as_text=True)
    client.post(f"{path}/decision", data={"decision": "approve", "note": "", "csrf_token": token})
    assert refunds(factory) == [(5000, "balance", "appeal")]
    with factory() as session:
        told = session.scalar(select(func.count()).select_from(t.Notification)
                              .where(t.Notification.conversation_id == "chat-2", t.Notification.kind == "decision"))
        state = session.scalar(select(t.Order.state).where(t.Order.order_no == CARD))
    assert (told, state) == (1, "cancelled")


def test_an_investigation_says_what_approving_it_pays(app, shop):
    page = text_of(signed_in(app).get(f"/inbox/cases/{shop['investigation']}").get_data(as_text=True))
    assert "物流核查（显示签收但没收到）" in page
    assert "同意＝核实包裹确实没有送到顾客手里（丢件、错投）：退款 ¥30.00 退回支付宝。" in page
    assert "显示签收了但我没收到" in page


def test_complaints_carry_the_platforms_mark_and_a_filter_of_their_own(app, shop):
    client = signed_in(app)
    listed = client.get("/inbox/?platform=1").get_data(as_text=True)
    rows = re.findall(r'data-case="([^"]+)"', listed)
    assert rows == [shop["complaint"]] and "平台介入（1）" in text_of(listed)
    assert 'aria-current="page" title="对店铺的投诉：平台也能看到"' in listed
    everything = re.findall(r'data-case="([^"]+)"', client.get("/inbox/").get_data(as_text=True))
    assert set(everything) == {shop["appeal"], shop["investigation"], shop["complaint"]}
    page = text_of(client.get(f"/inbox/cases/{shop['complaint']}").get_data(as_text=True))
    assert "平台介入 · 这是顾客对店铺的投诉，已标记给平台" in page
    assert "已标记给平台" not in text_of(client.get(f"/inbox/cases/{shop['investigation']}").get_data(as_text=True))


def test_an_english_merchant_reads_the_appeal_in_english(app, factory, shop):
    client = signed_in(app)
    english(client)
    html = client.get(f"/inbox/cases/{shop['appeal']}").get_data(as_text=True)
    shopper_wrote = "两个订单一模一样，截图随后发；退到余额也可以"
    text = visible_text(html).replace(shopper_wrote, "").replace("卡密已经锁定", "").replace("V 客服", "")
    assert not CJK.findall(text), CJK.findall(text)
    assert "Appeal · second review" in text and "Second review of the first request" in text
    assert "refund ¥50.00 to the account balance" in text
    listed = visible_text(client.get("/inbox/?platform=1").get_data(as_text=True))
    assert "Platform (1)" in listed and not CJK.findall(listed.replace("V 客服", ""))
