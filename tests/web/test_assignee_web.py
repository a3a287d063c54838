"""The case page and the queue name a case's assignee as colleagues know her, however the case came
to her (here: by replying first, which used to store "merchant:<email>")."""

from __future__ import annotations

import re

from tests.integration.fixtures import accounts, add_order, service
from tests.web.conftest import csrf_from, sign_in


def test_the_first_to_reply_is_named_on_the_case_and_in_the_queue(app, factory):
    add_order(factory, "KS1000000001", state="shipped", profile="short_video")
    accounts(factory).create_merchant("k@shop.example", "K Agent", "password-of-k", ["shop_k"])
    ticket_no = service(factory).open_ticket("alice", "complaint", "慢", order_no="KS1000000001",
                                             conversation_id="c1")["ticket"]["ticket_no"]
    client = app.test_client()
    sign_in(client, "k@shop.example", "password-of-k")
    page = client.get(f"/inbox/cases/{ticket_no}").get_data(as_text=True)
    assert "负责人：无" in page
    client.post(f"/inbox/cases/{ticket_no}/reply", data={"text": "您好", "csrf_token": csrf_from(page)})
    page = client.get(f"/inbox/cases/{ticket_no}").get_data(as_text=True)
    assert "负责人：K Agent" in page and "merchant:" not in page
    queue = client.get("/inbox/?status=all").get_data(as_text=True)
    assert re.search(r'<span title="k@shop.example">K Agent</span>', queue)
