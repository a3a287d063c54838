"""What the bot carries out itself for a question about one order, after the shopper confirms a
summary: withdrawing a request (不取消了 / 取消退款), price protection (价保) and a new delivery
address before shipment (改地址; the address is asked for first).

The order question form identifies the order; when there is something to carry out, it asks for
a confirmation too (slot ``proposal`` says what was offered) — a misread message must never
withdraw a cancellation or move money. Then action_answer_query calls ``carry_out``."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import presenter, runtime
from actions.common import customer_of, reset, say_service_unavailable, words
from aftersales.service.errors import ServiceError

log = logging.getLogger(__name__)
PROPOSAL_KINDS = ("withdraw_request", "price_protection", "change_address")


def withdraw_kinds(tracker: Tracker) -> list[str]:
    """The kind of request the shopper's words name ("取消退款" → return), from their latest
    withdraw_request message; none: whatever is open."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and (event.get("parse_data") or {}).get("intent", {}).get(
                "name") == "withdraw_request":
            kind = presenter.keyword_code("withdraw_kinds", str(event.get("text") or ""))
            return [kind] if kind else []
    return []


async def offer(kind: str, customer: str, order_no: str, tracker: Tracker) -> dict[str, Any]:
    """Slots after the order was identified: ``proposal`` set when there is something to confirm."""
    try:
        if kind == "withdraw_request":
            found = await runtime.call(runtime.services().withdrawals.withdrawable, customer, order_no,
                                       withdraw_kinds(tracker))
            return {"proposal": kind if found["open"] else None}
        if kind == "change_address":
            checked = await runtime.call(runtime.services().address_changes.check, customer, order_no)
            return {"proposal": kind if checked["verdict"] == "changeable" else None}
        quote = await runtime.call(runtime.services().price_protection.quote, customer, order_no)
        return {"proposal": kind if quote["verdict"] == "eligible" else None}
    except Exception:  # noqa: BLE001 - nothing offered; action_answer_query says what it can
        log.exception("%s offer failed", kind)
        return {"proposal": None}


class ActionAskOrderQueryFormConfirmed(Action):
    """The summary before anything changes: what is withdrawn, or how much comes back, where, when."""

    def name(self) -> str:
        return "action_ask_order_query_form_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        w = words(tracker)
        kind, customer, order_no = tracker.get_slot("proposal"), customer_of(tracker), tracker.get_slot("order_no")
        try:
            if kind == "withdraw_request":
                found = await runtime.call(runtime.services().withdrawals.withdrawable, customer, order_no,
                                           withdraw_kinds(tracker))
                text = presenter.withdrawal_summary(found, w)
            elif kind == "change_address":
                text = presenter.address_change_summary(order_no, str(tracker.get_slot("new_address") or ""), w)
            else:
                quote = await runtime.call(runtime.services().price_protection.quote, customer, order_no)
                text = presenter.price_protection_summary(quote, w)
        except Exception:  # noqa: BLE001
            log.exception("summary of %s failed", kind)
            say_service_unavailable(dispatcher)
            return [SlotSet("flow_blocked", "unavailable"), SlotSet("proposal", None)]
        dispatcher.utter_message(text=text, buttons=[{"title": w(f"{kind}.confirm_button"), "payload": "/affirm"},
                                                     {"title": w(f"{kind}.keep_button"), "payload": "/deny"}])
        return []


async def carry_out(kind: str, customer: str, order_no: str, dispatcher: CollectingDispatcher,
                    tracker: Tracker) -> list[EventType]:
    """Carry out a confirmed proposal, or say why there is nothing to carry out."""
    w = words(tracker)
    done = reset("proposal", "confirmed", "new_address")
    proposed = tracker.get_slot("proposal") == kind
    if proposed and tracker.get_slot("confirmed") is not True:
        dispatcher.utter_message(text=w(f"{kind}.kept"))
        return done
    # The same confirmation delivered twice (a retried HTTP call) must not act twice.
    confirmation = (tracker.latest_message or {}).get("message_id") or str(len(tracker.events))
    key = f"{tracker.sender_id}:{order_no}:{kind}:{confirmation}"
    buttons: list[dict[str, str]] = []
    try:
        if kind == "withdraw_request":
            service = runtime.services().withdrawals
            kinds = withdraw_kinds(tracker)
            result = (await runtime.call(service.withdraw, customer, order_no, kinds, idempotency_key=key)
                      if proposed else await runtime.call(service.withdrawable, customer, order_no, kinds))
            texts = presenter.withdrawal_result_texts(result, w)
        elif kind == "change_address":
            addresses = runtime.services().address_changes
            result = (await runtime.call(addresses.change, customer, order_no, tracker.get_slot("new_address"),
                                         idempotency_key=key, conversation_id=tracker.sender_id)
                      if proposed else await runtime.call(addresses.check, customer, order_no))
            texts = presenter.address_change_result_texts(result, w)
            buttons = presenter.address_change_buttons(result, w)
        else:
            prices = runtime.services().price_protection
            result = (await runtime.call(prices.claim, customer, order_no, idempotency_key=key,
                                         conversation_id=tracker.sender_id)
                      if proposed else {"quote": await runtime.call(prices.quote, customer, order_no)})
            texts = presenter.price_protection_result_texts(result, w)
    except ServiceError:
        dispatcher.utter_message(response="utter_order_not_found", order_no=order_no)
        return done
    except Exception:  # noqa: BLE001 - the transaction rolled back: nothing changed
        log.exception("%s failed", kind)
        say_service_unavailable(dispatcher)
        return done
    for n, text in enumerate(texts, start=1):
        dispatcher.utter_message(text=text, buttons=buttons if n == len(texts) else [])
    return done
