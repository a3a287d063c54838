"""A shop's webhook for new urgent cases, on SQLite and PostgreSQL, against a local HTTP server:
queued with the case and posted by the worker afterwards (nothing posted while the case's
transaction is open), delivered once, retried with backoff on a 5xx and a timeout, signed so the
receiver can check it, and never for a case that is not urgent or a shop without a webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.adapters.payments.port import ProviderAnswer, ProviderStatus
from aftersales.adapters.webhook_client import WebhookClient
from aftersales.service.errors import InvalidInput, NotFound
from aftersales.service.outbox import MAX_ATTEMPTS
from aftersales.service.refunds import RefundWorker
from aftersales.service.webhooks import SIGNATURE_HEADER, ShopWebhooks, WebhookDispatcher, check_url

from .fixtures import NOW, add_order, service
from .test_refund_worker import FakeProvider, cancelled_with_refund

REFUSED = FakeProvider(on_submit=lambda p, r: ProviderAnswer(ProviderStatus.FAILED, None, "收款账户已注销"))


class Receiver:
    """A local HTTP server that answers with the statuses it is given, in turn (then 200), after
    ``delay`` seconds, and keeps what it was sent."""

    def __init__(self, statuses=(), delay=0.0):
        self.statuses, self.delay, self.received = list(statuses), delay, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                time.sleep(receiver.delay)
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/aftersales"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


def hooks(factory, now=NOW):
    return ShopWebhooks(factory, allow_http=True, clock=lambda: now)


def dispatcher(factory, now=NOW, timeout=(1.0, 2.0)):
    return WebhookDispatcher(factory, WebhookClient(timeout), clock=lambda: now)


def urgent_case(factory, order_no="P1000000001", conversation="chat-1") -> str:
    """A refund the provider refuses: the worker opens an urgent refund_failed case."""
    cancelled_with_refund(factory, order_no, conversation)
    assert RefundWorker(factory, REFUSED, clock=lambda: NOW).run_once().failed == 1
    with factory() as session:
        return session.scalars(select(t.Ticket.ticket_no).where(t.Ticket.kind == "refund_failed")
                               .order_by(t.Ticket.id.desc())).first()


def deliveries(factory):
    with factory() as session:
        return session.scalars(select(t.WebhookDelivery).order_by(t.WebhookDelivery.id)).all()


def test_an_urgent_case_is_posted_once_signed_with_the_shops_secret(factory, receiver):
    add_order(factory, "P1000000009")  # the shop exists before its merchant sets the webhook
    secret = hooks(factory).set("shop_g", receiver.url, {"shop_g"}, "merchant:g@shop.example")["secret"]
    ticket_no = urgent_case(factory)
    assert receiver.received == []  # queued with the case, not posted inside its transaction
    [row] = deliveries(factory)
    assert (row.status, row.event, row.shop_id) == ("pending", "case.urgent", "shop_g")
    assert dispatcher(factory).dispatch().sent == [row.id]
    assert dispatcher(factory).dispatch().sent == []  # delivered once
    [(headers, body)] = receiver.received
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers[SIGNATURE_HEADER], expected)
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-Aftersales-Event"] == "case.urgent" and headers["X-Aftersales-Delivery"] == str(row.id)
    sent = json.loads(body)
    assert sent["delivery_id"] == row.id and sent["shop_id"] == "shop_g"
    assert sent["case"]["ticket_no"] == ticket_no and sent["case"]["kind"] == "refund_failed"
    assert sent["case"]["priority"] == "urgent" and sent["case"]["order_no"] == "P1000000001"
    assert "收款账户已注销" in sent["case"]["summary"] and sent["case"]["inbox_path"] == f"/inbox/cases/{ticket_no}"
    [row] = deliveries(factory)
    assert (row.status, row.attempts, row.response_status, row.sent_at) == ("sent", 1, 200, NOW)
    # A receiver holding another secret (or a body changed on the way) does not match.
    assert not hmac.compare_digest(headers[SIGNATURE_HEADER], "sha256=" + hmac.new(
        b"another secret", body, hashlib.sha256).hexdigest())


def test_a_5xx_is_tried_again_after_a_backoff_and_then_delivered(factory):
    receiver = Receiver(statuses=[503, 500])
    try:
        add_order(factory, "P1000000009")
        hooks(factory).set("shop_g", receiver.url, {"shop_g"}, "merchant:g@shop.example")
        urgent_case(factory)
        [row_id] = [r.id for r in deliveries(factory)]
        assert dispatcher(factory).dispatch().waiting == [row_id]
        [row] = deliveries(factory)
        assert (row.status, row.attempts, row.response_status, row.last_error) == ("pending", 1, 503, "HTTP 503")
        assert row.next_attempt_at == NOW + timedelta(seconds=15)
        assert dispatcher(factory, NOW + timedelta(seconds=5)).dispatch().waiting == []  # not yet due
        assert dispatcher(factory, NOW + timedelta(seconds=15)).dispatch().waiting == [row_id]
        assert deliveries(factory)[0].next_attempt_at == NOW + timedelta(seconds=45)  # 15 s later, then 30 s
        assert dispatcher(factory, NOW + timedelta(seconds=45)).dispatch().sent == [row_id]
        bodies = [body for _, body in receiver.received]
        assert len(bodies) == 3 and len(set(bodies)) == 1  # the same message each time: one delivery_id
        assert (deliveries(factory)[0].status, deliveries(factory)[0].attempts) == ("sent", 3)
    finally:
        receiver.close()


def test_a_receiver_that_does_not_answer_in_time_is_tried_again_and_given_up_at_last(factory):
    receiver = Receiver(delay=1.5)
    try:
        add_order(factory, "P1000000009")
        hooks(factory).set("shop_g", receiver.url, {"shop_g"}, "merchant:g@shop.example")
        urgent_case(factory)
        started = time.monotonic()
        report = dispatcher(factory, timeout=(0.5, 0.5)).dispatch()
        assert time.monotonic() - started < 1.4 and len(report.waiting) == 1  # the timeout, not the receiver
        assert "ReadTimeout" in deliveries(factory)[0].last_error
        with factory() as session, session.begin():
            session.get(t.WebhookDelivery, report.waiting[0]).attempts = MAX_ATTEMPTS - 1
        later = NOW + timedelta(hours=2)
        assert dispatcher(factory, later, timeout=(0.5, 0.5)).dispatch().failed == report.waiting
        assert deliveries(factory)[0].status == "failed"
    finally:
        receiver.close()


def test_no_call_for_a_case_that_is_not_urgent_nor_for_a_shop_without_a_webhook(factory, receiver):
    add_order(factory, "P1000000009")
    hooks(factory).set("shop_g", receiver.url, {"shop_g"}, "merchant:g@shop.example")
    service(factory).open_ticket("alice", "complaint", "快递太慢", order_no="P1000000009", conversation_id="c")
    add_order(factory, "KS1000000001", state="shipped", profile="short_video")
    service(factory).submit("alice", "KS1000000001", "intercept", "changed_mind", conversation_id="chat-k")
    assert deliveries(factory) == []  # a complaint is high, an interception normal: no alert
    hooks(factory).set("shop_g", "", {"shop_g"}, "merchant:g@shop.example")  # removed
    urgent_case(factory)
    assert deliveries(factory) == [] and dispatcher(factory).dispatch().sent == [] and receiver.received == []


def test_a_webhook_removed_before_its_call_is_not_posted(factory, receiver):
    add_order(factory, "P1000000009")
    hooks(factory).set("shop_g", receiver.url, {"shop_g"}, "merchant:g@shop.example")
    urgent_case(factory)
    hooks(factory).set("shop_g", None, {"shop_g"}, "merchant:g@shop.example")
    assert len(dispatcher(factory).dispatch().failed) == 1 and receiver.received == []


def test_the_address_and_secret_are_the_shops_own(factory, receiver):
    add_order(factory, "P1000000009")
    add_order(factory, "X1000000001", profile="other_merchant", customer="bob")
    first = hooks(factory).set("shop_g", receiver.url, {"shop_g"}, "merchant:g@shop.example")
    again = hooks(factory).set("shop_g", receiver.url + "?v=2", {"shop_g"}, "merchant:g@shop.example")
    rotated = hooks(factory).set("shop_g", receiver.url, {"shop_g"}, "merchant:g@shop.example", new_secret=True)
    assert len(first["secret"]) == 64 and again["secret"] == first["secret"] != rotated["secret"]
    with pytest.raises(NotFound):
        hooks(factory).set("shop_x", receiver.url, {"shop_g"}, "merchant:g@shop.example")
    [mine] = hooks(factory).shops({"shop_g"})
    assert (mine["url"], mine["secret"]) == (receiver.url, rotated["secret"])
    with factory() as session:
        audit = session.scalars(select(t.AuditEvent).where(t.AuditEvent.action == "shop_webhook_set")).all()
    assert len(audit) == 3 and all(rotated["secret"] not in json.dumps(a.after) for a in audit)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "javascript:alert(1)", "https://", "http://example.com/x",
                                 "https://127.0.0.1/x", "https://10.0.0.5/x", "https://localhost/x",
                                 "https://[::1]/x", "https://user:pw@example.com/x", "https://169.254.169.254/x"])
def test_production_takes_only_https_addresses_on_the_internet(url):
    with pytest.raises(InvalidInput):
        check_url(url, allow_http=False)


def test_an_internet_https_address_is_taken_and_development_takes_http_here_too():
    assert check_url(" https://hooks.shop.example/aftersales ", allow_http=False) == \
        "https://hooks.shop.example/aftersales"
    assert check_url("http://127.0.0.1:9000/x", allow_http=True) == "http://127.0.0.1:9000/x"
