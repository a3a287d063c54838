"""The inbox and the case API over HTTP (Flask's test client), on SQLite and PostgreSQL:
sign-in, tenant isolation, CSRF, escaping, the case API's token and idempotency."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.config import Settings
from aftersales.entrypoints.web.app import create_app
from aftersales.service.inbox import InboxService
from tests.integration.fixtures import accounts, add_order, service
from tests.web.conftest import closed_port, csrf_from, sign_in

API_TOKEN = "test-helpdesk-token"


@pytest.fixture
def app(database_url):
    # Rasa is not running here: transcripts fall back to the copy saved with the case, and
    # notifications stay queued for the worker.
    settings = Settings.from_env({"DATABASE_URL": database_url, "AFTERSALES_ENV": "test",
                                  "RASA_URL": f"http://127.0.0.1:{closed_port()}", "HELPDESK_API_TOKEN": API_TOKEN})
    return create_app(settings)


@pytest.fixture
def cases(factory):
    """An interception case in shop_k (merchant K) and a return case in shop_x (merchant X)."""
    add_order(factory, "KS1000000001", state="shipped", profile="short_video")
    add_order(factory, "X1000000001", state="paid", profile="other_merchant", customer="bob")
    accounts(factory).create_merchant("k@shop.example", "K 客服", "password-of-k", ["shop_k"])
    accounts(factory).create_merchant("x@shop.example", "X 客服", "password-of-x", ["shop_x"])
    mine = service(factory).submit("alice", "KS1000000001", "intercept", "changed_mind", conversation_id="chat-k",
                                   context={"transcript": [{"from": "shopper", "text": "<script>alert(1)</script>"}]})
    theirs = service(factory).open_ticket("bob", "complaint", "投诉", order_no="X1000000001", conversation_id="chat-x")
    return mine["ticket"]["ticket_no"], theirs["ticket"]["ticket_no"]


def test_inbox_needs_a_sign_in_and_a_wrong_password_is_refused(app, cases):
    client = app.test_client()
    assert client.get("/inbox/").status_code == 302
    assert sign_in(client, "k@shop.example", "not-the-password").status_code == 401
    assert client.get("/inbox/").status_code == 302
    assert sign_in(client, "k@shop.example", "password-of-k").status_code == 302
    page = client.get("/inbox/?queue=interceptions").get_data(as_text=True)
    assert cases[0] in page and cases[1] not in page
    assert "不想要了" in page and "changed_mind" not in page  # codes in the shopper's words


def test_merchant_cannot_read_or_act_on_another_shops_case_or_order(app, factory, cases):
    mine, theirs = cases
    client = app.test_client()
    sign_in(client, "k@shop.example", "password-of-k")
    token = csrf_from(client.get(f"/inbox/cases/{mine}").get_data(as_text=True))
    assert client.get(f"/inbox/cases/{theirs}").status_code == 404
    assert client.get("/inbox/orders/X1000000001").status_code == 404
    for path, data in ((f"/inbox/cases/{theirs}/decision", {"decision": "approve"}),
                       (f"/inbox/cases/{theirs}/reply", {"text": "hi"}),
                       (f"/inbox/cases/{theirs}/assign", {"assignee": "me"}),
                       (f"/inbox/cases/{theirs}/hand-back", {}),
                       ("/inbox/orders/X1000000001/cancel", {"reason": "out_of_stock"})):
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    with factory() as session:
        ticket = session.scalar(select(t.Ticket).where(t.Ticket.ticket_no == theirs))
        assert (ticket.status, ticket.assignee) == ("new", None)
        assert session.scalar(select(t.Order.state).where(t.Order.order_no == "X1000000001")) == "paid"
        assert session.scalar(select(func.count()).select_from(t.Notification)) == 0


def test_posts_without_the_csrf_token_are_refused(app, factory, cases):
    mine, _ = cases
    client = app.test_client()
    sign_in(client, "k@shop.example", "password-of-k")
    assert client.post(f"/inbox/cases/{mine}/decision", data={"decision": "approve"}).status_code == 400
    assert client.post(f"/inbox/cases/{mine}/decision",
                       data={"decision": "approve", "csrf_token": "forged"}).status_code == 400
    with factory() as session:
        assert session.scalar(select(t.Ticket.status).where(t.Ticket.ticket_no == mine)) == "new"
    assert app.test_client().post("/inbox/login", data={"email": "k@shop.example",
                                                        "password": "password-of-k"}).status_code == 400


def test_markup_from_shoppers_and_merchants_is_shown_as_text(app, cases):
    mine, _ = cases
    client = app.test_client()
    sign_in(client, "k@shop.example", "password-of-k")
    token = csrf_from(client.get(f"/inbox/cases/{mine}").get_data(as_text=True))
    client.post(f"/inbox/cases/{mine}/reply", data={"text": '<img src=x onerror="alert(2)">', "csrf_token": token})
    page = client.get(f"/inbox/cases/{mine}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x" in page
    assert "default-src 'self'" in client.get(f"/inbox/cases/{mine}").headers["Content-Security-Policy"]


def test_approving_in_the_inbox_executes_and_queues_the_notification(app, factory, cases):
    mine, _ = cases
    client = app.test_client()
    sign_in(client, "k@shop.example", "password-of-k")
    token = csrf_from(client.get(f"/inbox/cases/{mine}").get_data(as_text=True))
    response = client.post(f"/inbox/cases/{mine}/decision", data={"decision": "approve", "note": "已拦截",
                                                                  "csrf_token": token}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已同意并执行" in page and "排队" in page  # Rasa is away: queued, not lost
    with factory() as session:
        assert session.scalar(select(t.Order.state).where(t.Order.order_no == "KS1000000001")) == "cancelled"
        assert session.scalar(select(t.Notification.status)) == "pending"
    assert mine in client.get("/inbox/?status=resolved").get_data(as_text=True)
    assert client.get("/inbox/analytics").status_code == 200


def test_case_api_needs_the_token_and_opens_each_case_once(app, factory, cases):
    client = app.test_client()
    case = {"kind": "escalation", "customer_id": "alice", "order_no": "KS1000000001", "summary": "转人工",
            "conversation_id": "chat-api"}
    assert client.post("/api/v1/cases", json=case).status_code == 401
    assert client.post("/api/v1/cases", json=case, headers={"Authorization": "Bearer wrong"}).status_code == 401
    auth = {"Authorization": f"Bearer {API_TOKEN}", "Idempotency-Key": "chat-api:escalation:1"}
    first = client.post("/api/v1/cases", json=case, headers=auth)
    again = client.post("/api/v1/cases", json=case, headers=auth)
    # A replay answers exactly as the first time did, and opens nothing new.
    assert first.status_code == again.status_code == 201
    assert first.get_json()["ticket"]["ticket_no"] == again.get_json()["ticket"]["ticket_no"]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(t.Ticket).where(t.Ticket.kind == "escalation")) == 1
    read = client.get(f"/api/v1/cases/{first.get_json()['ticket']['ticket_no']}", headers=auth)
    assert read.get_json()["order_no"] == "KS1000000001"
    # Bob's order named with Alice's identity: indistinguishable from an unknown order.
    stolen = client.post("/api/v1/cases", json={**case, "order_no": "X1000000001"}, headers=auth)
    assert stolen.status_code == 404 and stolen.get_json()["code"] == "order_not_found"
    assert client.post("/api/v1/cases", json={**case, "extra": 1}, headers=auth).status_code == 422
    assert client.post("/api/v1/cases", data="not json", headers=auth).status_code == 400
    assert client.post("/api/v1/cases", json={**case, "kind": "refund"}, headers=auth).status_code == 422


def test_every_api_route_is_in_the_openapi_document(app):
    import yaml

    spec = yaml.safe_load(app.test_client().get("/api/openapi.yaml").get_data(as_text=True))
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    routes = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).removeprefix("/api"), method)
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes and routes == documented


def test_production_adds_hsts_and_secure_cookies_and_development_does_not(database_url, app):
    strong = {"CUSTOMER_TOKEN_SECRET": "a" * 40, "WEB_SECRET_KEY": "b" * 40, "RASA_API_TOKEN": "c" * 40,
              "HELPDESK_API_TOKEN": "d" * 40, "CHAT_ALLOWED_ORIGINS": "https://shop.example"}
    production = Settings(**{**Settings.from_env({"AFTERSALES_ENV": "production", "DATABASE_URL": "postgresql://db/x",
                                                  **strong}).__dict__, "database_url": database_url})
    secure = create_app(production)
    assert "max-age=" in secure.test_client().get("/inbox/login").headers["Strict-Transport-Security"]
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    assert "Strict-Transport-Security" not in app.test_client().get("/inbox/login").headers


def case_page(app, ticket_no: str) -> str:
    client = app.test_client()
    sign_in(client, "k@shop.example", "password-of-k")
    return client.get(f"/inbox/cases/{ticket_no}").get_data(as_text=True)


def test_a_case_says_in_words_what_the_merchants_decision_will_do(app, cases):
    mine, _ = cases
    page = case_page(app, mine)
    assert "同意＝拦截成功" in page and "原路退回支付宝" in page
    assert "interception_merchant_stage" not in page and "{&#34;action" not in page and '{"action' not in page
    assert "商家拦截（快递尚未揽收）" in page  # the interception's stage in words, not "merchant"


def test_the_queue_is_searched_by_case_order_shopper_or_phone_tail_and_paged(app, factory, cases):
    mine, _ = cases
    inbox = InboxService(factory)
    for n in range(3):  # anonymous cases of shop K: no shopper, said so
        service(factory).open_ticket(None, "escalation", f"转人工 {n}", shop_id="shop_k", conversation_id=f"anon-{n}")
    client = app.test_client()
    sign_in(client, "k@shop.example", "password-of-k")
    order_no = inbox.case(mine, {"shop_k"})["order"]["order_no"]
    for term in (mine, order_no, order_no.lower(), "alice", "0001"):
        page = client.get("/inbox/", query_string={"q": term, "status": "all"}).get_data(as_text=True)
        assert mine in page and "匿名" not in page, term
    page = client.get("/inbox/", query_string={"q": "nobody-here", "status": "all"}).get_data(as_text=True)
    assert mine not in page and "没有找到" in page
    assert "匿名" in client.get("/inbox/", query_string={"status": "all"}).get_data(as_text=True)
    assert inbox.count_cases({"shop_k"}, status="all") == 4
    assert [r["ticket_no"] for r in inbox.cases({"shop_k"}, status="all", limit=2, offset=3)] != []
    assert len(inbox.cases({"shop_k"}, status="all", limit=2)) == 2
    anonymous = next(r for r in inbox.cases({"shop_k"}, status="all") if r["shopper"] is None)
    assert "匿名：顾客没有登录" in client.get(f"/inbox/cases/{anonymous['ticket_no']}").get_data(as_text=True)
    assert "匿名" not in case_page(app, mine)


def test_the_audit_log_is_in_words(app, cases):
    mine, _ = cases
    page = case_page(app, mine)
    assert "申请拦截" in page and "订单导入" in page
    assert ">interception_requested<" not in page and ">order_imported<" not in page


def test_the_header_polls_a_live_count_and_cases_near_their_deadline_say_so(app, factory, cases):
    from datetime import datetime, timedelta

    from tests.integration.fixtures import NOW

    mine, _ = cases
    client = app.test_client()
    assert client.get("/inbox/counts").status_code in (302, 401)  # signed in only
    sign_in(client, "k@shop.example", "password-of-k")
    counts = client.get("/inbox/counts").get_json()
    assert counts["new"] == 1 and counts["overdue"] >= 0
    page = client.get("/inbox/").get_data(as_text=True)
    assert 'id="live-count"' in page and "inbox/live-counts.js" in page
    assert client.get("/static/inbox/live-counts.js").status_code == 200
    inbox = InboxService(factory, clock=lambda: NOW)
    [row] = inbox.cases({"shop_k"})
    due = datetime.fromisoformat(row["sla_due_at"])
    soon = InboxService(factory, clock=lambda: due - timedelta(minutes=20))
    late = InboxService(factory, clock=lambda: due + timedelta(minutes=1))
    assert soon.cases({"shop_k"})[0]["due_soon"] and not soon.cases({"shop_k"})[0]["overdue"]
    assert late.cases({"shop_k"})[0]["overdue"] and not late.cases({"shop_k"})[0]["due_soon"]
    assert late.live_counts({"shop_k"}) == {"new": 1, "overdue": 1}
