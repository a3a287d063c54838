"""Every answer to a question about one order fails the same two ways, and says so the same way:
an order the service does not find for this shopper is "not found", any other failure is "the
service is unavailable" (its transaction rolled back) — and the question's slots are cleared, so
the next message starts clean."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import appeals, proposals, queries, return_parcels, topic_cases
from aftersales.service.errors import Conflict, OrderNotFound, TooManyAttempts

from .fixtures import CUSTOMER, ORDER_NO, responses, run, slot_events, tracker


class Failing:
    """A service whose every operation raises ``error``."""

    def __init__(self, error: Exception):
        self.error = error

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise self.error
        return fail


ANSWERS = {
    "appeal": ("appeals", lambda d, t: appeals.answer(CUSTOMER, ORDER_NO, d, t)),
    "withdrawal": ("withdrawals", lambda d, t: proposals.carry_out("withdraw_request", CUSTOMER, ORDER_NO, d, t)),
    "return parcel": ("return_parcels", lambda d, t: return_parcels.record(CUSTOMER, ORDER_NO, d, t)),
    "invoice": ("topic_cases", lambda d, t: topic_cases.open_case("invoice", CUSTOMER, ORDER_NO, d, t)),
    "status": ("after_sales", lambda d, t: queries.ActionAnswerQuery().run(d, t, {})),
}


@pytest.mark.parametrize("answer", list(ANSWERS))
@pytest.mark.parametrize(("error", "said"), [(OrderNotFound(), "utter_order_not_found"),
                                             (TooManyAttempts("lookup", 600), "utter_lookup_locked"),
                                             (Conflict("the order shipped meanwhile"), "utter_request_not_done"),
                                             (RuntimeError("database is down"), "utter_service_unavailable")])
def test_a_failed_answer_is_told_and_clears_the_question(use_services, answer, error, said):
    service, call = ANSWERS[answer]
    use_services(**{service: Failing(error)})
    dispatcher = CollectingDispatcher()
    asked = tracker("x", "inform", order_no=ORDER_NO, proposal=None, query_kind="check_order_status")
    events = run(call(dispatcher, asked))
    assert responses(dispatcher) == [said]
    assert all(value is None for value in slot_events(events).values()) and slot_events(events)
