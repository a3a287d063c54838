"""The parcel a shopper sent a return back in (退货寄出了，单号 SF…): the order question form
identifies the order; when its return awaits the parcel (slot ``proposal``), the tracking number is
taken from the message that asked, else asked for (slot ``return_parcel``), and action_answer_query
records it. When the return awaits no parcel, the shopper hears why (still under review, nothing to
send, already received)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.common import answered, offer_when, reset, words
from actions.contracts import ReturnParcel, as_
from actions.words import Words
from aftersales.domain import parcels

RETURN_PARCEL = "return_shipped"


async def offer(customer: str, order_no: str) -> dict[str, Any]:
    return await offer_when(RETURN_PARCEL, "awaited", runtime.services().return_parcels.check, customer, order_no)


def parcel_words(w: Words, carrier: str | None, tracking_no: str | None) -> str:
    if carrier:
        return f"{carrier} {tracking_no or ''}".strip()
    return w("return_parcels.carrier_unknown", tracking_no=tracking_no or "")


async def record(customer: str, order_no: str, dispatcher: CollectingDispatcher,
                 tracker: Tracker) -> list[EventType]:
    w = words(tracker)
    done = reset("proposal", "return_parcel")
    service = runtime.services().return_parcels
    parcel = parcels.parse_answer(tracker.get_slot("return_parcel"))

    async def ask() -> tuple[ReturnParcel, str]:
        if tracker.get_slot("proposal") == RETURN_PARCEL and parcel is not None:
            recorded = as_(ReturnParcel, await runtime.call(service.record, customer, order_no, parcel.tracking_no,
                                                            parcel.carrier, conversation_id=tracker.sender_id))
            return recorded, recorded["status"]
        # Not offered (or the parcel not asked): the check, read as what came of it.
        checked = as_(ReturnParcel, await runtime.call(service.check, customer, order_no))
        return checked, checked["verdict"]

    answer = await answered(dispatcher, order_no, "return parcel", ask)
    if answer is None:
        return done
    result, status = answer
    told = parcel_words(w, result["carrier"], result["tracking_no"])
    if status in ("recorded", "corrected"):
        after = "exchange" if result["outcome"] == "exchange" else "return"
        dispatcher.utter_message(text="".join((w(f"return_parcels.{status}", parcel=told),
                                               w(f"return_parcels.next.{after}"))))
    elif status == "unchanged":
        dispatcher.utter_message(text=w("return_parcels.unchanged", parcel=told))
    elif status == "awaited":  # allowed, but no parcel was asked (a failure a moment ago)
        dispatcher.utter_message(response="utter_ask_return_parcel")
    else:
        dispatcher.utter_message(text=w(f"return_parcels.verdicts.{status}", ref=result["return_no"] or "",
                                        order_no=result["order_no"]))
    return done
