"""The shopper's rating on the case's page and in the order's timeline, in words, both languages."""

from __future__ import annotations

import re

from aftersales.service.satisfaction import SatisfactionService
from tests.integration.fixtures import NOW, accounts, add_order, merchant, service
from tests.web.conftest import csrf_from, sign_in


def test_the_case_page_says_whether_the_shopper_was_asked_and_what_they_gave(app, factory):
    add_order(factory, "KS1000000001", state="shipped", profile="short_video")
    accounts(factory).create_merchant("k@shop.example", "K Agent", "password-of-k", ["shop_k"])
    ticket_no = service(factory).open_ticket("alice", "complaint", "慢", order_no="KS1000000001",
                                             conversation_id="c1")["ticket"]["ticket_no"]
    merchant(factory).decide_ticket(ticket_no, True, "已补偿", "merchant:k@shop.example", shop_ids={"shop_k"})
    client = app.test_client()
    sign_in(client, "k@shop.example", "password-of-k")
    assert 'id="case-satisfaction"' not in client.get(f"/inbox/cases/{ticket_no}").get_data(as_text=True)
    rating = SatisfactionService(factory, clock=lambda: NOW)
    rating.ask(ticket_no, "c1")
    assert "已请顾客评分，还没有打分。" in client.get(f"/inbox/cases/{ticket_no}").get_data(as_text=True)
    rating.rate(ticket_no, 4, "c1", "alice")
    page = client.get(f"/inbox/cases/{ticket_no}").get_data(as_text=True)
    assert re.search(r'id="case-satisfaction">顾客评分：4 分（满分 5 分），2026-11-18 12:00', page)
    timeline = re.sub(r"<[^>]+>|\s+", " ", client.get("/inbox/orders/KS1000000001").get_data(as_text=True))
    assert "为投诉工单 " + ticket_no + " 打了 4 分（满分 5 分）" in timeline
    token = csrf_from(page)
    client.post("/inbox/settings/language", data={"language": "en", "csrf_token": token, "back": "/inbox/"})
    english = client.get(f"/inbox/cases/{ticket_no}").get_data(as_text=True)
    assert "Shopper&#39;s rating: 4 out of 5, 2026-11-18 12:00" in english
