"""What the bot carries out itself for a question about one order, after the shopper confirms a
summary: withdrawing a request (不取消了 / 取消退款), price protection (价保) and a new delivery
address before shipment (改地址; the address is asked for first).

The order question form identifies the order; when there is something to carry out, it asks for
a confirmation too (slot ``proposal`` says what was offered) — a misread message must never
withdraw a cancellation or move money. Then action_answer_query calls ``carry_out``.

Each kind is one row of ``PROPOSALS``: how to check what there is, whether that is worth offering,
the summary before, how to carry it out, and the words after. The check is read once per turn:
the offer says the summary itself when it needs what the check found, and the ask action says it
again only on a later turn (the confirmation asked once more)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.common import answered, customer_of, reset, say_service_unavailable, words
from actions.contracts import AddressCheck, PriceClaim, PriceQuote, Withdrawable, WithdrawResult, as_
from actions.order_lookup import CONFIRM_BUTTON
from actions.words import Words, keyword_code
from actions.words.proposals import (
    address_change_buttons,
    address_change_result_texts,
    address_change_summary,
    price_protection_result_texts,
    price_protection_summary,
    withdrawal_result_texts,
    withdrawal_summary,
)
from aftersales.bootstrap import Services

log = logging.getLogger(__name__)
# A blocking service call, ready to run off the event loop (runtime.call).
Call = Callable[[], Any]


def withdraw_kinds(tracker: Tracker) -> list[str]:
    """The kind of request the shopper's words name ("取消退款" → return), from their latest
    withdraw_request message; none: whatever is open."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and (event.get("parse_data") or {}).get("intent", {}).get(
                "name") == "withdraw_request":
            kind = keyword_code("withdraw_kinds", str(event.get("text") or ""))
            return [kind] if kind else []
    return []


@dataclass(frozen=True)
class Proposal:
    """One kind of proposal. ``check`` and ``act`` take (services, customer, order_no, tracker) —
    ``act`` the idempotency key too — and return the call to make."""
    check: Callable[[Services, str, str, Tracker], Call]
    worth_offering: Callable[[Any], bool]
    # The summary from what the check found (None: it needs a slot the form asks for after the offer).
    summary: Callable[[Any, Words], str] | None
    act: Callable[[Services, str, str, Tracker, str], Call]
    # The words after: for a result of ``act``, or of ``check`` read as one (nothing was carried out).
    result_texts: Callable[[Any, Words], list[str]]
    checked_as_result: Callable[[Any], Any] = lambda checked: checked
    buttons: Callable[[Any, Words], list[dict[str, str]]] = lambda result, w: []


PROPOSALS: dict[str, Proposal] = {
    "withdraw_request": Proposal(
        check=lambda s, customer, order_no, tracker: functools.partial(
            s.withdrawals.withdrawable, customer, order_no, withdraw_kinds(tracker)),
        worth_offering=lambda found: bool(as_(Withdrawable, found)["open"]),
        summary=lambda found, w: withdrawal_summary(as_(Withdrawable, found), w),
        act=lambda s, customer, order_no, tracker, key: functools.partial(
            s.withdrawals.withdraw, customer, order_no, withdraw_kinds(tracker), idempotency_key=key),
        result_texts=lambda result, w: withdrawal_result_texts(as_(WithdrawResult, result), w)),
    "price_protection": Proposal(
        check=lambda s, customer, order_no, tracker: functools.partial(s.price_protection.quote, customer, order_no),
        worth_offering=lambda quote: as_(PriceQuote, quote)["verdict"] == "eligible",
        summary=lambda quote, w: price_protection_summary(as_(PriceQuote, quote), w),
        act=lambda s, customer, order_no, tracker, key: functools.partial(
            s.price_protection.claim, customer, order_no, idempotency_key=key, conversation_id=tracker.sender_id),
        result_texts=lambda result, w: price_protection_result_texts(as_(PriceClaim, result), w),
        checked_as_result=lambda quote: {"quote": quote, "refund": None}),
    "change_address": Proposal(
        check=lambda s, customer, order_no, tracker: functools.partial(s.address_changes.check, customer, order_no),
        worth_offering=lambda checked: as_(AddressCheck, checked).get("verdict") == "changeable",
        summary=None,  # the new address is asked for after the offer
        act=lambda s, customer, order_no, tracker, key: functools.partial(
            s.address_changes.change, customer, order_no, tracker.get_slot("new_address"), idempotency_key=key,
            conversation_id=tracker.sender_id),
        result_texts=lambda result, w: address_change_result_texts(as_(AddressCheck, result), w),
        buttons=lambda result, w: address_change_buttons(as_(AddressCheck, result), w)),
}
PROPOSAL_KINDS = tuple(PROPOSALS)


def confirm_buttons(kind: str, w: Words) -> list[dict[str, str]]:
    return [{"title": w(f"{kind}.confirm_button"), "payload": CONFIRM_BUTTON},
            {"title": w(f"{kind}.keep_button"), "payload": "/deny"}]


def summarised_this_turn(tracker: Tracker) -> bool:
    """A summary with its confirm button was said since the shopper's latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        buttons = ((event.get("data") or {}).get("buttons") or []) if event.get("event") == "bot" else []
        if any(b.get("payload") == CONFIRM_BUTTON for b in buttons):
            return True
    return False


async def offer(kind: str, customer: str, order_no: str, tracker: Tracker,
                dispatcher: CollectingDispatcher) -> dict[str, Any]:
    """Slots after the order was identified: ``proposal`` set when there is something to confirm —
    and then the summary, from the same read, when it needs nothing more from the shopper."""
    proposal = PROPOSALS[kind]
    try:
        checked = await runtime.call(proposal.check(runtime.services(), customer, order_no, tracker))
    except Exception:  # noqa: BLE001 - nothing offered; action_answer_query says what it can
        log.exception("%s offer failed", kind)
        return {"proposal": None}
    if not proposal.worth_offering(checked):
        return {"proposal": None}
    if proposal.summary is not None:
        w = words(tracker)
        dispatcher.utter_message(text=proposal.summary(checked, w), buttons=confirm_buttons(kind, w))
    return {"proposal": kind}


class ActionAskOrderQueryFormConfirmed(Action):
    """The summary before anything changes: what is withdrawn, or how much comes back, where, when.
    Said by the offer in the turn it is made; here, when the confirmation is asked again."""

    def name(self) -> str:
        return "action_ask_order_query_form_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if summarised_this_turn(tracker):
            return []
        w = words(tracker)
        kind, customer, order_no = tracker.get_slot("proposal"), customer_of(tracker), tracker.get_slot("order_no")
        proposal = PROPOSALS[kind]
        try:
            if proposal.summary is None:
                text = address_change_summary(order_no, str(tracker.get_slot("new_address") or ""), w)
            elif customer is None:  # a phone check of another session, dropped: nothing to read
                raise LookupError("no verified shopper")
            else:
                checked = await runtime.call(proposal.check(runtime.services(), customer, order_no, tracker))
                text = proposal.summary(checked, w)
        except Exception:  # noqa: BLE001
            log.exception("summary of %s failed", kind)
            say_service_unavailable(dispatcher)
            return [SlotSet("flow_blocked", "unavailable"), SlotSet("proposal", None)]
        dispatcher.utter_message(text=text, buttons=confirm_buttons(kind, w))
        return []


async def carry_out(kind: str, customer: str, order_no: str, dispatcher: CollectingDispatcher,
                    tracker: Tracker) -> list[EventType]:
    """Carry out a confirmed proposal, or say why there is nothing to carry out."""
    w = words(tracker)
    done = reset("proposal", "confirmed", "new_address")
    proposal = PROPOSALS[kind]
    proposed = tracker.get_slot("proposal") == kind
    if proposed and tracker.get_slot("confirmed") is not True:
        dispatcher.utter_message(text=w(f"{kind}.kept"))
        return done
    # The same confirmation delivered twice (a retried HTTP call) must not act twice.
    confirmation = (tracker.latest_message or {}).get("message_id") or str(len(tracker.events))
    key = f"{tracker.sender_id}:{order_no}:{kind}:{confirmation}"
    services = runtime.services()

    async def ask() -> Any:
        if proposed:
            return await runtime.call(proposal.act(services, customer, order_no, tracker, key))
        return proposal.checked_as_result(await runtime.call(proposal.check(services, customer, order_no, tracker)))

    result = await answered(dispatcher, order_no, kind, ask)
    if result is None:
        return done
    texts, buttons = proposal.result_texts(result, w), proposal.buttons(result, w)
    for n, text in enumerate(texts, start=1):
        dispatcher.utter_message(text=text, buttons=buttons if n == len(texts) else [])
    return done
