"""The inbox's bulk actions and an order's timeline over HTTP (Flask's test client), on SQLite and
PostgreSQL: CSRF, the merchant's own shops only, exactly the chosen rows, one audit line per case,
the page without JavaScript, and a timeline in words — in order, with no reason code."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from aftersales.adapters.db import tables as t
from aftersales.entrypoints.web.inbox.words import labels
from tests.integration.fixtures import NOW, accounts, add_order, service
from tests.web.conftest import csrf_from, sign_in

K = ("k@shop.example", "password-of-k")




@pytest.fixture
def queue(factory):
    """Shop K (merchants K and 小王): an interception case and three handoffs; shop X (merchant X):
    a complaint."""
    add_order(factory, "KS1000000001", state="shipped", profile="short_video")
    add_order(factory, "X1000000001", state="paid", profile="other_merchant", customer="bob")
    accounts(factory).create_merchant("k@shop.example", "K 客服", "password-of-k", ["shop_k"])
    accounts(factory).create_merchant("x@shop.example", "X 客服", "password-of-x", ["shop_x"])
    accounts(factory).create_merchant("k2@shop.example", "小王", "password-of-k2", ["shop_k"])
    interception = service(factory).submit("alice", "KS1000000001", "intercept", "changed_mind",
                                           conversation_id="chat-k")["ticket"]["ticket_no"]
    theirs = service(factory).open_ticket("bob", "complaint", "投诉", order_no="X1000000001",
                                          conversation_id="chat-x")["ticket"]["ticket_no"]
    handoffs = [service(factory).open_ticket("alice", "escalation", f"转人工 {n}", shop_id="shop_k",
                                             conversation_id=f"chat-h{n}")["ticket"]["ticket_no"] for n in range(3)]
    return {"mine": [interception, *handoffs], "theirs": theirs}


@pytest.fixture
def client(app, queue):
    signed_in = app.test_client()
    sign_in(signed_in, *K)
    return signed_in


def token(client) -> str:
    return csrf_from(client.get("/inbox/").get_data(as_text=True))


def state(factory) -> dict[str, tuple[str, str | None]]:
    with factory() as session:
        return {tk.ticket_no: (tk.status, tk.assignee) for tk in session.scalars(select(t.Ticket))}


def audit_lines(factory, action: str) -> list[t.AuditEvent]:
    with factory() as session:
        return list(session.scalars(select(t.AuditEvent).where(t.AuditEvent.action == action)
                                    .order_by(t.AuditEvent.id)))


def merchant_id(factory, email: str) -> int:
    with factory() as session:
        return session.scalar(select(t.Merchant.id).where(t.Merchant.email == email))


def test_the_queue_has_a_bulk_form_with_a_box_per_open_case_and_the_keyboard_script(client, queue):
    page = client.get("/inbox/").get_data(as_text=True)
    assert 'id="bulk-form"' in page and 'action="/inbox/cases/bulk"' in page
    assert page.count('name="ticket_no"') == 4 and 'id="select-all"' in page and 'name="all_on_page"' in page
    for ticket_no in queue["mine"]:
        assert f'aria-label="选择 {ticket_no}"' in page
    assert queue["theirs"] not in page
    assert "小王" in page and "K 客服（我）" in page  # colleagues of the shop to assign to
    assert ">resolved<" not in page and 'value="resolved"' not in page  # never resolved in bulk
    assert "inbox/queue.js" in page and "j / k" in page
    script = client.get("/static/inbox/queue.js")
    assert script.status_code == 200 and b'"x"' in script.data


def test_posts_without_the_csrf_token_change_nothing(client, factory, queue):
    before = state(factory)
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post("/inbox/cases/bulk", data={**data, "action": "assign_me",
                                                          "ticket_no": queue["mine"][:2]})
        assert response.status_code == 400
    assert state(factory) == before and audit_lines(factory, "ticket_assigned") == []


def test_bulk_assign_to_me_changes_exactly_the_chosen_rows_and_audits_each(client, factory, queue):
    chosen = [queue["mine"][1], queue["mine"][3]]
    before = state(factory)
    response = client.post("/inbox/cases/bulk", data={"csrf_token": token(client), "action": "assign_me",
                                                      "ticket_no": chosen, "back": "/inbox/?status=all"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox/?status=all")
    after = state(factory)
    assert {n for n in after if after[n] != before[n]} == set(chosen)
    assert all(after[n] == ("new", "k@shop.example") for n in chosen)
    lines = audit_lines(factory, "ticket_assigned")
    assert sorted(x.entity_id for x in lines) == sorted(chosen)
    assert {(x.actor, x.after["assignee"], x.after["via"]) for x in lines} == {
        ("merchant:k@shop.example", "k@shop.example", "bulk")}
    page = client.get("/inbox/?status=all").get_data(as_text=True)
    assert "已将 2 个工单分配给K 客服" in page and "K 客服</span>" in page


def test_a_case_of_another_shop_in_the_post_changes_nothing_and_is_reported(client, factory, queue):
    before = state(factory)
    response = client.post("/inbox/cases/bulk", follow_redirects=True, data={
        "csrf_token": token(client), "action": "assign_me", "ticket_no": [queue["mine"][0], queue["theirs"]]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"{queue['theirs']} 没有找到，或不属于您的店铺" in page and "都没有改动" in page
    assert state(factory) == before and audit_lines(factory, "ticket_assigned") == []
    # Another shop's merchant as the assignee: refused too.
    with factory() as session:
        session.add(t.Merchant(email="x2@shop.example", display_name="X2", password_hash="-", failed_logins=0,
                               created_at=session.scalar(select(func.min(t.Ticket.created_at))),
                               shops=[session.get(t.Shop, "shop_x")]))
        session.commit()
    page = client.post("/inbox/cases/bulk", follow_redirects=True, data={
        "csrf_token": token(client), "action": "assign", "assignee": str(merchant_id(factory, "x2@shop.example")),
        "ticket_no": queue["mine"][:2]}).get_data(as_text=True)
    assert "没有执行" in page and state(factory) == before


def test_select_all_without_javascript_assigns_the_page_to_a_colleague(client, factory, queue):
    page = client.get("/inbox/").get_data(as_text=True)
    on_page = re.findall(r'name="page_ticket_no" value="([^"]+)"', page)
    assert sorted(on_page) == sorted(queue["mine"])
    wang = merchant_id(factory, "k2@shop.example")
    client.post("/inbox/cases/bulk", data={"csrf_token": csrf_from(page), "action": "assign", "assignee": str(wang),
                                           "all_on_page": "1", "page_ticket_no": on_page})
    after = state(factory)
    assert {n: after[n][1] for n in queue["mine"]} == dict.fromkeys(queue["mine"], "k2@shop.example")
    assert after[queue["theirs"]][1] is None
    assert len(audit_lines(factory, "ticket_assigned")) == 4
    # The page boxes alone, without "select all": only those ticked.
    client.post("/inbox/cases/bulk", data={"csrf_token": token(client), "action": "assign", "assignee": "none",
                                           "ticket_no": [queue["mine"][2]], "page_ticket_no": on_page})
    assert state(factory)[queue["mine"][2]][1] is None and state(factory)[queue["mine"][1]][1] == "k2@shop.example"


def test_bulk_status_and_what_is_never_done_in_bulk(client, factory, queue):
    first, *rest = queue["mine"]
    client.post(f"/inbox/cases/{first}/decision", data={"decision": "approve", "note": "已拦截",
                                                        "csrf_token": token(client)})
    page = client.post("/inbox/cases/bulk", follow_redirects=True, data={
        "csrf_token": token(client), "action": "status", "status": "waiting_on_customer",
        "ticket_no": queue["mine"]}).get_data(as_text=True)
    after = state(factory)
    assert [after[n][0] for n in rest] == ["waiting_on_customer"] * 3 and after[first][0] == "resolved"
    assert f"跳过 {first}：已处理完毕" in page and "已将 3 个工单状态改为「等待顾客回复」" in page
    assert len(audit_lines(factory, "ticket_status_changed")) == 3
    before = state(factory)
    for data in ({"action": "status", "status": "resolved"}, {"action": "approve"}, {"action": "status"},
                 {"action": "assign", "assignee": "k@shop.example"}):
        response = client.post("/inbox/cases/bulk", data={"csrf_token": token(client), "ticket_no": rest, **data})
        assert response.status_code == 400, data
    assert state(factory) == before
    empty = client.post("/inbox/cases/bulk", follow_redirects=True, data={"csrf_token": token(client),
                                                                          "action": "assign_me"})
    assert "请先勾选" in empty.get_data(as_text=True)
    # Away from the inbox is never where the form sends the merchant back.
    outside = client.post("/inbox/cases/bulk", data={"csrf_token": token(client), "action": "assign_me",
                                                     "ticket_no": rest, "back": "https://evil.example/"})
    assert outside.headers["Location"].endswith("/inbox/")


def timeline_of(page: str) -> list[str]:
    section = re.search(r'<ol class="timeline".*?</ol>', page, re.S).group(0)
    return [html.unescape(re.sub(r"<[^>]+>", " ", row)).split(None, 2)[-1].strip()
            for row in re.findall(r"<li.*?</li>", section, re.S)]


def test_the_order_page_tells_its_timeline_in_words_in_order(client, factory, queue):
    interception = queue["mine"][0]
    # The importer stamps the real time, the shopper's request the tests' NOW: imported before it.
    with factory() as session, session.begin():
        session.execute(update(t.AuditEvent).where(t.AuditEvent.action == "order_imported")
                        .values(at=NOW - timedelta(hours=1)))
        session.add(t.AuditEvent(at=NOW - timedelta(minutes=30), actor="system:demo", action="order_imported",
                                 entity="order", entity_id="KS1000000001", after={"state": "shipped"}))
    token_value = token(client)
    client.post("/inbox/cases/bulk", data={"csrf_token": token_value, "action": "assign_me",
                                           "ticket_no": [interception]})
    client.post(f"/inbox/cases/{interception}/reply", data={"text": "正在联系快递", "csrf_token": token_value})
    client.post(f"/inbox/cases/{interception}/decision", data={"decision": "approve", "note": "已拦截",
                                                               "csrf_token": token_value})
    page = client.get("/inbox/orders/KS1000000001").get_data(as_text=True)
    rows = timeline_of(page)
    expected = ["顾客下单", "顾客付款，支付方式为支付宝", "商家发货", "订单同步到售后系统",
                "顾客 Alice 申请拦截快递", f"顾客 Alice 提交了拦截工单 {interception}，原因：不想要了",
                f"K 客服把拦截工单 {interception} 分配给自己（批量操作）", "K 客服在对话中回复顾客，「正在联系快递」",
                f"在对话中告诉顾客客服的回复（{interception}），排队中", f"K 客服同意了拦截工单 {interception}",
                "拦截成功，说明：已拦截", "K 客服取消了整个订单，原因：不想要了", "发起退款", "在对话中告诉顾客工单的处理结果"]
    positions = [next((i for i, row in enumerate(rows) if want in row), -1) for want in expected]
    assert -1 not in positions, [w for w, p in zip(expected, positions, strict=True) if p < 0]
    assert positions == sorted(positions), rows
    assert len(set(positions)) == len(positions)
    assert sum("订单同步到售后系统" in row for row in rows) == 1


def test_the_timeline_shows_no_codes_or_json(client, factory, queue):
    client.post(f"/inbox/cases/{queue['mine'][0]}/decision", data={"decision": "approve", "note": "已拦截",
                                                                   "csrf_token": token(client)})
    add_order(factory, "KS1000000009", state="paid", profile="short_video", channel="wechat_pay")
    service(factory).submit("alice", "KS1000000009", "cancel_refund", "ordered_by_mistake", conversation_id="c-9")
    words = labels("zh")
    codes = {code for section in ("reasons", "outcomes", "channels", "states", "stages", "ticket_kinds")
             for code in words[section]}
    codes |= {"interception_merchant_stage", "order_imported", "ticket_opened", "refund_issued", "via", "bulk",
              "merchant:", "customer:", "provider:", "system:"}
    for order_no in ("KS1000000001", "KS1000000009"):
        rows = timeline_of(client.get(f"/inbox/orders/{order_no}").get_data(as_text=True))
        text = "\n".join(rows)
        assert len(rows) >= 5, rows
        assert not [code for code in codes if re.search(rf"(?<![A-Za-z_]){re.escape(code)}(?![A-Za-z_])", text)], text
        assert "{" not in text and "}" not in text and "[" not in text and "None" not in text, text
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text
