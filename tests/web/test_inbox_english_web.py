"""An English inbox chosen per merchant (issue 19), over HTTP on SQLite and PostgreSQL: the switch
in the header (CSRF-protected, kept with the merchant), and no Chinese on the case list, a case page,
an order page and analytics for an English merchant — every inbox word has its English twin."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from jinja2 import Environment, nodes
from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.entrypoints import web
from aftersales.entrypoints.web.inbox import label
from aftersales.entrypoints.web.inbox.cases import BULK_SKIPPED
from aftersales.entrypoints.web.inbox.words import labels, sentences_en
from aftersales.service.price_protection import PriceProtectionService
from aftersales.service.withdrawals import WithdrawalService
from tests.integration.fixtures import NOW, accounts, add_order, merchant, service
from tests.web.conftest import csrf_from, sign_in

WEB = Path(web.__file__).resolve().parent
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
G = "merchant:g@shop.example"




@pytest.fixture
def shop(factory):
    """Shop G with an exchange shipped, one waiting for its goods, a withdrawn exchange, a price
    protection refund and a cancellation review; shopper-written text (names, titles, the wish) in English."""
    svc = service(factory)
    add_order(factory, "P1000000001", state="delivered")
    shipped = svc.submit("alice", "P1000000001", "exchange", "does_not_fit", exchange_wish="size 42, black",
                         conversation_id="chat-1")
    merchant(factory).decide_ticket(shipped["ticket"]["ticket_no"], True, "please send it back", actor=G)
    merchant(factory).receive_return(shipped["return"]["return_no"], actor=G)
    merchant(factory).ship_replacement(shipped["return"]["return_no"], "SF Express", "SF12345678", G, {"shop_g"})
    add_order(factory, "P1000000002", state="delivered")
    received = svc.submit("alice", "P1000000002", "exchange", "quality_defect", exchange_wish="a new one",
                          conversation_id="chat-2")
    merchant(factory).decide_ticket(received["ticket"]["ticket_no"], True, "ok", actor=G)
    merchant(factory).receive_return(received["return"]["return_no"], actor=G)
    add_order(factory, "P1000000003", state="delivered")
    svc.submit("alice", "P1000000003", "exchange", "does_not_fit", exchange_wish="size L")
    WithdrawalService(factory, clock=lambda: NOW).withdraw("alice", "P1000000003")
    add_order(factory, "P1000000004", state="delivered", items=[
        {"sku": "S1", "title": "Kettle", "goods_type": "physical", "quantity": 1, "unit_price": "100.00",
         "current_unit_price": "80.00"}])
    PriceProtectionService(factory, clock=lambda: NOW).claim("alice", "P1000000004")
    add_order(factory, "8800000000001", profile="virtual_goods", goods="virtual_card")
    review = svc.submit("alice", "8800000000001", "cancel_refund", "changed_mind", conversation_id="chat-3")
    accounts(factory).create_merchant("g@shop.example", "G Agent", "password-of-g", ["shop_g", "shop_v"])
    accounts(factory).create_merchant("h@shop.example", "H Agent", "password-of-h", ["shop_g"])
    return {"shipped": shipped, "received": received, "review": review}


def visible_text(html: str) -> str:
    """What the merchant reads, less what shoppers wrote (the transcript) and the language switch's
    own name for Chinese (中文, in lang="zh-CN")."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<option[^>]*lang="zh-CN"[^>]*>.*?</option>', " ", html, flags=re.S)
    html = re.sub(r'<div class="msg[^"]*">.*?</div>', " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


def attributes(html: str) -> str:
    """The words in attributes a reader meets: placeholders, titles, labels for screen readers."""
    return " ".join(re.findall(r'(?:placeholder|title|aria-label|data-[a-z]+)="([^"]*)"', html))


def english(client, language: str = "en"):
    token = csrf_from(client.get("/inbox/").get_data(as_text=True))
    return client.post("/inbox/settings/language", data={"language": language, "csrf_token": token,
                                                         "back": "/inbox/?status=all"})


def test_a_merchant_who_switches_to_english_sees_no_chinese(app, factory, shop):
    client = app.test_client()
    sign_in(client, "g@shop.example", "password-of-g")
    switched = english(client)
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/inbox/?status=all")
    pages = {"/inbox/?status=all": None, "/inbox/": None, "/inbox/?status=resolved": None,
             f"/inbox/cases/{shop['shipped']['ticket']['ticket_no']}": None,
             f"/inbox/cases/{shop['received']['ticket']['ticket_no']}": None,
             f"/inbox/cases/{shop['review']['ticket']['ticket_no']}": None,
             "/inbox/orders/P1000000001": None, "/inbox/orders/P1000000002": None,
             "/inbox/orders/P1000000003": None, "/inbox/orders/P1000000004": None, "/inbox/analytics": None}
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        text = visible_text(html)
        assert not CJK.findall(text), (path, CJK.findall(text), text[:2000])
        assert not CJK.findall(attributes(html)), (path, attributes(html))
        assert 'lang="en"' in html and not re.search(r"\b[a-z]+(?:_[a-z]+)+\b", text), path
        pages[path] = text
    assert "The inbox is now in English." in pages["/inbox/?status=all"]
    assert "Shopper wants instead size 42, black" in pages["/inbox/orders/P1000000001"]
    assert "paid by the shopper" in pages["/inbox/orders/P1000000001"]
    assert "G Agent shipped the replacement" in pages["/inbox/orders/P1000000001"]
    assert "Ship the replacement" in pages["/inbox/orders/P1000000002"]
    assert "withdrawn by the shopper" in pages["/inbox/orders/P1000000003"]
    assert "claimed price protection" in pages["/inbox/orders/P1000000004"]
    assert "Resolved (withdrawn by the shopper)" in pages["/inbox/?status=resolved"]
    assert "withdrawn by the shopper 1" in pages["/inbox/analytics"]
    # An action answers in English too.
    token = csrf_from(client.get("/inbox/orders/P1000000002").get_data(as_text=True))
    done = client.post(f"/inbox/orders/P1000000002/returns/{shop['received']['return']['return_no']}/replacement",
                       data={"carrier": "SF Express", "tracking_no": "SF999", "csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "The replacement&#39;s shipment is recorded" in done and not CJK.findall(visible_text(done))


def test_the_language_is_the_merchants_own_and_the_switch_needs_the_csrf_token(app, factory, shop):
    client = app.test_client()
    sign_in(client, "g@shop.example", "password-of-g")
    assert client.post("/inbox/settings/language", data={"language": "en"}).status_code == 400
    token = csrf_from(client.get("/inbox/").get_data(as_text=True))
    assert client.post("/inbox/settings/language", data={"language": "fr", "csrf_token": token}).status_code == 400
    with factory() as session:
        assert session.scalar(select(t.Merchant.language).where(t.Merchant.email == "g@shop.example")) == "zh"
    assert "售后工作台" in client.get("/inbox/").get_data(as_text=True)  # Chinese by default
    english(client)
    evil = client.post("/inbox/settings/language", data={"language": "en", "csrf_token": token,
                                                         "back": "https://evil.example/"})
    assert evil.headers["Location"].endswith("/inbox/")
    again = app.test_client()  # a new sign-in, another browser: still English
    sign_in(again, "g@shop.example", "password-of-g")
    assert "After-sales inbox" in again.get("/inbox/").get_data(as_text=True)
    colleague = app.test_client()  # a colleague of the same shop keeps Chinese
    sign_in(colleague, "h@shop.example", "password-of-h")
    assert "售后工作台" in colleague.get("/inbox/").get_data(as_text=True)
    english(client, "zh")
    assert "售后工作台" in client.get("/inbox/").get_data(as_text=True)
    with factory() as session:
        actions = session.scalars(select(t.AuditEvent.action).where(t.AuditEvent.entity == "merchant")).all()
    assert list(actions).count("merchant_language_changed") == 2


def inbox_keys() -> set[str]:
    """Every text the inbox says through _(): in inbox/*.py and in the templates."""
    keys = set(BULK_SKIPPED.values()) | {"不能批量修改"}
    for module in (WEB / "inbox").glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        keys |= {n.args[0].value for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                 and n.func.id == "_" and n.args and isinstance(n.args[0], ast.Constant)}
    env = Environment()
    for template in (WEB / "templates" / "inbox").glob("*.html"):
        for call in env.parse(template.read_text(encoding="utf-8")).find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name == "_" and isinstance(call.args[0], nodes.Const):
                keys.add(call.args[0].value)
    return keys


def test_every_inbox_word_has_an_english_twin_with_the_same_places():
    keys = inbox_keys()
    assert len(keys) > 250
    UI_EN = sentences_en()
    missing = sorted(k for k in keys if k not in UI_EN)
    assert not missing, missing
    for key in keys:
        assert set(re.findall(r"{(\w+)}", key)) == set(re.findall(r"{(\w+)}", UI_EN[key])), key
        if key != "界面语言已切换为中文。":  # said in the language switched to
            assert not CJK.search(UI_EN[key]), key
    for section, names in labels("zh").items():  # tests/web/test_inbox_words.py: the same codes in both
        for code in names:
            with app_language("en"):
                assert not CJK.search(label(section, code)), (section, code)


class app_language:
    """A request context whose merchant reads English (for label() outside a page)."""

    def __init__(self, language: str):
        from flask import Flask

        self.context = Flask(__name__).test_request_context()
        self.language = language

    def __enter__(self):
        from flask import g

        self.context.push()
        g.language = self.language

    def __exit__(self, *exc):
        self.context.pop()
