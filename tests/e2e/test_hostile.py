"""Hostile and careless clients against the whole system over HTTP (issue: hold against hostile
clients): every case of the attack run reproduced, answered, and checked in the database — nothing
moved. Plus a property test at the confirmation step and a load of 1,000 phone guesses."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from actions.order_lookup import _AFFIRMING as AFFIRMING_WORDS
from actions.order_lookup import CONFIRM_BUTTON
from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.domain import attempts
from bot_extensions import guard

from .conftest import bot_texts, own_order, texts, tracker

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))


def own_customer() -> tuple[str, str]:
    """A shopper of the test's own, phone ending in 1001: the limits count per customer."""
    return f"c_hostile_{uuid.uuid4().hex[:8]}", "13900001001"


def webhook(system) -> str:
    return f"{system.rasa_url}/webhooks/rest/webhook"


def refunds_and_state(system, order_no: str) -> tuple[int, str]:
    with session_factory(system.database_url)() as session:
        order = session.scalars(sa.select(t.Order).where(t.Order.order_no == order_no)).one()
        return len(order.refunds), order.state


def user_texts(system, sender: str) -> list[str]:
    return [e.get("text") for e in tracker(system, sender)["events"] if e["event"] == "user"]


# -- malformed requests: 400 with the reason, never silence, never 500 ---------------------------

@pytest.mark.parametrize(("body", "reason"), [
    ([1, 2], "JSON object"), ("just a string", "JSON object"),
    ({"sender": "e2e-bad", "message": 42}, "'message'"), ({"sender": "e2e-bad", "message": {"a": 1}}, "'message'"),
    ({"sender": "e2e-bad", "message": "hi", "metadata": "not an object"}, "'metadata'"),
    ({"sender": ["e2e"], "message": "hi"}, "'sender'"),
])
def test_malformed_requests_are_answered_400_with_the_reason(system, body, reason):
    response = requests.post(webhook(system), json=body, timeout=30)
    assert response.status_code == 400 and reason in response.json()["error"]


def test_a_body_that_is_not_json_is_answered_400(system):
    response = requests.post(webhook(system), data="{not json", headers={"Content-Type": "application/json"},
                             timeout=30)
    assert response.status_code == 400 and "JSON" in response.json()["error"]


def test_a_request_without_sender_gets_a_conversation_of_its_own(system):
    first = requests.post(webhook(system), json={"message": "我要取消订单"}, timeout=30).json()
    second = requests.post(webhook(system), json={"message": "P202611210000103"}, timeout=30).json()
    first_id, second_id = first[0]["recipient_id"], second[0]["recipient_id"]
    assert first_id != second_id and "default" not in (first_id, second_id)
    assert user_texts(system, first_id) == ["我要取消订单"] and user_texts(system, second_id) == ["P202611210000103"]


# -- messages the NLU should not see --------------------------------------------------------------

@pytest.mark.parametrize(("text", "answer"), [
    ("", "没有收到文字"), ("   ", "没有收到文字"), ("\u0000\u0001\u0002", "没有收到文字"), ("\u200b\u200d", "没有收到文字"),
    ("退" * 10_000, "太长"), ("取消订单" * 251, "太长"), ("please cancel my order " * 60, "too long"),
])
def test_empty_invisible_and_overlong_messages_get_their_own_answer_before_the_nlu(system, text, answer):
    sender = f"e2e-door-{uuid.uuid4().hex[:8]}"
    reply = texts(system.say(sender, text, customer="c_1001"))
    assert answer in reply, reply
    assert text.strip() not in [u.strip() for u in user_texts(system, sender) if u] or not text.strip()
    assert not [u for u in user_texts(system, sender) if u and len(u) > guard.MAX_MESSAGE_CHARS]


def test_restart_starts_over_without_an_apology(system):
    sender, replies = system.chat("c_1001", "我要取消订单", "/restart")
    assert "重新开始" in texts(replies[-1]) and "出了点问题" not in texts(replies[-1])


def test_a_conversation_flooding_messages_is_slowed_and_others_are_not(system):
    sender = f"e2e-flood-{uuid.uuid4().hex[:8]}"
    replies = [texts(system.say(sender, "你好", customer="c_1001")) for _ in range(guard.MessageRate().limit + 2)]
    assert "太快" in replies[-1] and "太快" not in replies[0]
    assert "太快" not in texts(system.say(f"e2e-calm-{uuid.uuid4().hex[:8]}", "你好", customer="c_1001"))


# -- identity that cannot be replayed ----------------------------------------------------------------

def test_a_replayed_sender_id_inherits_no_phone_check_and_moves_no_money(system):
    order_no = own_order(system, state="paid", customer=own_customer())
    victim = f"e2e-victim-{uuid.uuid4().hex[:8]}"
    for text in (f"我要取消订单 {order_no}", "1001", '/inform{"reason":"changed_mind"}'):
        reply = texts(system.say(victim, text))
    assert "请确认" in reply, reply
    victims_binding = guard.session_binding(victim, system.session_keys[victim])
    for metadata in ({}, {guard.SESSION_BINDING: victims_binding}):
        for text in ("确认", CONFIRM_BUTTON):
            response = requests.post(webhook(system), json={"sender": victim, "message": text, "metadata": metadata},
                                     timeout=60)
            assert "已取消" not in texts(response.json())
    assert refunds_and_state(system, order_no) == (0, "paid")
    # The replay was asked for the digits: the conversation's phone check was not handed to it.
    assert any("手机号的后四位" in text for text in bot_texts(system, victim)[-6:])


def test_phone_guesses_from_many_sender_ids_lock_the_order_and_then_the_right_digits_too(system):
    order_no = own_order(system, state="paid", customer=own_customer())
    answers = []
    for n in range(attempts.PHONE_CHECK_ORDER.max_hits):
        _, replies = system.chat(None, f"查一下订单 {order_no}", f"{9000 + n}")
        answers.append(texts(replies[-1]))
    assert all("不符" in a for a in answers[:-1]) and "暂停核对" in answers[-1]
    _, replies = system.chat(None, f"查一下订单 {order_no}", "1001")  # the right digits
    assert "暂停核对" in texts(replies[-1]) and "手工红糖" not in texts(replies[-1])
    with session_factory(system.database_url)() as session:
        audited = session.scalars(sa.select(t.AuditEvent).where(t.AuditEvent.action == "attempts_locked",
                                                                t.AuditEvent.entity_id == order_no)).all()
    assert [row.after["limit"] for row in audited] == ["phone_order"]


# -- handoff always lands -----------------------------------------------------------------------------

def test_handoff_naming_an_unknown_order_still_lands_without_the_order(system):
    sender, replies = system.chat(None, "转人工 P202611210000999")
    assert "工单号" in texts(replies[0])
    with session_factory(system.database_url)() as session:
        ticket = session.scalars(sa.select(t.Ticket).where(t.Ticket.conversation_id == sender)).one()
    assert ticket.order_id is None and ticket.customer_id is None


# -- CORS ------------------------------------------------------------------------------------------

def test_cors_answers_only_the_configured_origins(system):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = requests.options(webhook(system), headers={"Origin": system.web_url, **preflight}, timeout=10)
    assert allowed.headers.get("Access-Control-Allow-Origin") == system.web_url
    for origin in ("https://evil.example", "null"):
        refused = requests.options(webhook(system), headers={"Origin": origin, **preflight}, timeout=10)
        assert "Access-Control-Allow-Origin" not in refused.headers
        posted = requests.post(webhook(system), json={"sender": "e2e-cors", "message": "你好"},
                               headers={"Origin": origin}, timeout=30)
        assert "Access-Control-Allow-Origin" not in posted.headers


# -- confirmation that means it (property) -------------------------------------------------------------

# Per system (SQLite, PostgreSQL): the conversation parked at the confirmation, its order and its
# shopper — a shopper of its own, so generated text that reads as order numbers counts against no one
# else's look-up limit.
_PARKED: dict[str, dict[str, str]] = {}
GARBAGE = ["undefined", "null", "a", "\u0000\u0001\u0002", "\u200b", "NaN", "[object Object]", "{}", "/inform{}",
           '/inform{"confirmed": true}', "/deny", "1", "。", "？", "嗯？", "'; DROP TABLE orders; --",
           "<script>alert(1)</script>", "%s%s%s", "../../etc/passwd", "🙂"]


def parked_at_confirmation(system) -> tuple[str, str, str]:
    """A conversation waiting at the confirmation of a cancel and refund, made again when the last
    message took it elsewhere."""
    parked = _PARKED.setdefault(system.database_url, {})
    if parked.get("sender"):
        state = tracker(system, parked["sender"])
        if (state.get("active_loop") or {}).get("name") == "after_sales_form" \
                and state["slots"].get("requested_slot") == "confirmed":
            return parked["sender"], parked["order_no"], parked["customer"]
    if not parked.get("order_no"):
        customer = own_customer()
        parked.update(order_no=own_order(system, state="paid", customer=customer), customer=customer[0])
    parked["sender"] = f"e2e-parked-{uuid.uuid4().hex[:8]}"
    for text in (f"我要取消订单 {parked['order_no']}", '/inform{"reason":"changed_mind"}'):
        system.say(parked["sender"], text, customer=parked["customer"])
    return parked["sender"], parked["order_no"], parked["customer"]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(text=st.sampled_from(GARBAGE) | st.text(max_size=30))
def test_nothing_but_an_explicit_confirmation_ever_moves_money(system, text):
    assume(not AFFIRMING_WORDS.search(text) and not text.strip().startswith(CONFIRM_BUTTON))
    sender, order_no, customer = parked_at_confirmation(system)
    system.say(sender, text, customer=customer)
    assert refunds_and_state(system, order_no) == (0, "paid"), f"{text!r} moved money"


# -- a load of abuse at the action server -----------------------------------------------------------

def validate_phone(system, sender: str, order_no: str, digits: str, client: str) -> list[str]:
    """One phone guess as the rasa server hands it to the action server (over real HTTP)."""
    metadata = {guard.SESSION_BINDING: f"s-{sender}", guard.CLIENT_ADDRESS: client}
    parse = {"text": digits, "intent": {"name": "inform", "confidence": 0.9}, "entities": [], "metadata": metadata}
    state = {"sender_id": sender, "latest_message": parse, "paused": False, "followup_action": None,
             "active_loop": {"name": "after_sales_form"}, "latest_action_name": "action_listen",
             "slots": {"order_no": order_no, "phone_last4": digits, "requested_slot": "phone_last4", "language": "zh"},
             "events": [{"event": "user", "text": digits, "timestamp": 1.0, "parse_data": parse, "metadata": metadata},
                        {"event": "slot", "name": "phone_last4", "value": digits, "timestamp": 1.1}]}
    body = {"next_action": "validate_after_sales_form", "sender_id": sender, "tracker": state, "domain": DOMAIN,
            "version": "3.6.21"}
    response = requests.post(f"{system.actions_url}/webhook", data=json.dumps(body),
                             headers={"Content-Type": "application/json"}, timeout=60)
    response.raise_for_status()
    return [m.get("response") for m in response.json()["responses"]]


def test_a_thousand_phone_guesses_from_many_sender_ids_end_in_lockouts(system):
    order_no = own_order(system, state="paid", customer=own_customer())
    guesses = [(f"e2e-guess-{n}", f"{1002 + n:04d}"[-4:], f"10.{n % 250}.{n // 250}.1") for n in range(1000)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda g: validate_phone(system, g[0], order_no, g[1], g[2]), guesses))
    flat = [a[0] for a in answers]
    assert flat.count("utter_phone_mismatch") == attempts.PHONE_CHECK_ORDER.max_hits - 1
    assert flat.count("utter_attempts_locked") == 1000 - (attempts.PHONE_CHECK_ORDER.max_hits - 1)
    assert validate_phone(system, "e2e-owner", order_no, "1001", "10.99.99.99") == ["utter_attempts_locked"]
    # One client trying many orders: locked across all of them after its own limit.
    unknown = [f"P29{n:011d}" for n in range(attempts.PHONE_CHECK_CLIENT.max_hits + 5)]
    answers = [validate_phone(system, f"e2e-sweep-{n}", no, "1234", "10.250.0.1")[0] for n, no in enumerate(unknown)]
    assert answers.index("utter_attempts_locked") == attempts.PHONE_CHECK_CLIENT.max_hits - 1
    fresh_order = own_order(system, state="paid", customer=own_customer())
    assert validate_phone(system, "e2e-sweeper", fresh_order, "1001", "10.250.0.1") == ["utter_attempts_locked"]


def test_anonymous_cases_from_one_client_stop_at_its_limit(system):
    def handoff(n: int) -> list[str]:
        metadata = {guard.SESSION_BINDING: f"s-{n}", guard.CLIENT_ADDRESS: "10.251.0.1"}
        parse = {"text": "转人工", "intent": {"name": "request_human", "confidence": 0.99}, "entities": [],
                 "metadata": metadata}
        state = {"sender_id": f"e2e-anon-{n}", "latest_message": parse, "paused": False, "followup_action": None,
                 "active_loop": {}, "latest_action_name": "action_listen", "slots": {"language": "zh"},
                 "events": [{"event": "user", "text": "转人工", "timestamp": float(n), "parse_data": parse,
                             "metadata": metadata}]}
        body = {"next_action": "action_handoff", "sender_id": f"e2e-anon-{n}", "tracker": state, "domain": DOMAIN,
                "version": "3.6.21"}
        response = requests.post(f"{system.actions_url}/webhook", json=body, timeout=60)
        response.raise_for_status()
        return [m.get("response") for m in response.json()["responses"]]

    answers = [handoff(n)[0] for n in range(attempts.ANONYMOUS_CASES_CLIENT.max_hits + 3)]
    assert answers.count("utter_handoff") == attempts.ANONYMOUS_CASES_CLIENT.max_hits
    assert answers[-3:] == ["utter_too_many_cases"] * 3
