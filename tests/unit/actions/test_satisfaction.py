"""The rating of a decided case in the chat: asked once under the decision (not while a form asks
its own questions), recorded from its button, the first score counting, another chat's case refused."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import notifications, satisfaction
from aftersales.service.errors import InvalidInput, NotFound

from .fixtures import CUSTOMER, run, slot_events, texts, tracker


class FakeSatisfaction:
    def __init__(self):
        self.calls: list[tuple] = []
        self.asked: set[str] = set()
        self.scores: dict[str, int] = {}

    def ask(self, ticket_no, conversation_id):
        self.calls.append(("ask", ticket_no, conversation_id))
        if ticket_no in self.asked:
            return False
        self.asked.add(ticket_no)
        return True

    def rate(self, ticket_no, score, conversation_id, customer_id):
        self.calls.append(("rate", ticket_no, score, conversation_id, customer_id))
        if conversation_id != "t-1":
            raise NotFound(ticket_no)
        if str(score) not in {"1", "2", "3", "4", "5"}:
            raise InvalidInput("a score is one of 1–5")
        if ticket_no in self.scores:
            return {"status": "already_rated", "ticket_no": ticket_no, "score": self.scores[ticket_no]}
        self.scores[ticket_no] = int(score)
        return {"status": "recorded", "ticket_no": ticket_no, "score": int(score)}


class DecidedCase:
    def notification(self, notification_id, conversation_id):
        return {"kind": "decision", "payload": {}, "refund": None, "order_no": "P1",
                "ticket": {"ticket_no": "TK1", "kind": "escalation", "resolution": "approved", "resolution_note": "",
                           "action": None}}


def decision(loop: str | None = None, language: str = "zh") -> Tracker:
    parse = {"intent": {"name": "EXTERNAL_case_update", "confidence": 1.0},
             "entities": [{"entity": "notification_id", "value": 7}]}
    return Tracker("t-1", {"language": language}, parse, [], False, None, {"name": loop} if loop else {},
                   "action_listen")


def test_the_decision_asks_for_a_rating_once_with_five_buttons(use_services):
    rating = FakeSatisfaction()
    use_services(after_sales=DecidedCase(), satisfaction=rating)
    dispatcher = CollectingDispatcher()
    events = run(notifications.ActionCaseUpdate().run(dispatcher, decision(), {}))
    assert slot_events(events) == {"rating_ticket": "TK1"}
    question = dispatcher.messages[-1]
    assert "TK1" in question["text"] and "只问这一次" in question["text"]
    assert [b["payload"] for b in question["buttons"]] == [f'/rate_case{{"score": {n}}}' for n in range(1, 6)]
    assert [b["title"] for b in question["buttons"]] == ["1 分", "2 分", "3 分", "4 分", "5 分"]
    again = CollectingDispatcher()  # the same news delivered twice: no second question
    assert run(notifications.ActionCaseUpdate().run(again, decision(), {})) == []
    assert not any(m.get("buttons") for m in again.messages) and again.messages
    busy = CollectingDispatcher()  # mid-form: not asked (and not marked asked)
    use_services(after_sales=DecidedCase(), satisfaction=FakeSatisfaction())
    assert run(notifications.ActionCaseUpdate().run(busy, decision(loop="after_sales_form"), {})) == []
    assert not any(m.get("buttons") for m in busy.messages)


def test_english_rating_question():
    from actions.words import Words

    w = Words("en")
    assert [b["title"] for b in satisfaction.rating_buttons(w)] == ["1", "2", "3", "4", "5"]
    assert "case TK1" in w("satisfaction.ask", ticket_no="TK1")


def rate(score, rating_ticket="TK1", conversation="t-1"):
    entities = [] if score is None else [{"entity": "score", "value": score}]
    found = tracker(f'/rate_case{{"score": {score}}}', "rate_case", entities, rating_ticket=rating_ticket)
    return Tracker(conversation, found.slots, found.latest_message, found.events, False, None, {}, "action_listen")


def test_a_button_records_the_score_and_the_first_counts(use_services):
    rating = FakeSatisfaction()
    use_services(satisfaction=rating)
    first, second = CollectingDispatcher(), CollectingDispatcher()
    assert run(satisfaction.ActionRateCase().run(first, rate(4), {})) == []
    assert "4 分" in texts(first) and "谢谢" in texts(first)
    run(satisfaction.ActionRateCase().run(second, rate(2), {}))
    assert "已经评过 4 分" in texts(second)
    assert rating.calls[0] == ("rate", "TK1", 4, "t-1", CUSTOMER)


def test_no_case_asked_about_a_bad_score_or_another_chats_case(use_services):
    rating = FakeSatisfaction()
    use_services(satisfaction=rating)
    nothing, typed, stranger = CollectingDispatcher(), CollectingDispatcher(), CollectingDispatcher()
    run(satisfaction.ActionRateCase().run(nothing, rate(4, rating_ticket=None), {}))
    assert "没有需要您评价" in texts(nothing) and rating.calls == []
    run(satisfaction.ActionRateCase().run(typed, rate(None), {}))  # "满分" typed: no number
    assert "请点下面的按钮" in texts(typed) and len(typed.messages[-1]["buttons"]) == 5
    run(satisfaction.ActionRateCase().run(stranger, rate(5, conversation="t-9"), {}))
    assert "不能由您评价" in texts(stranger) and rating.scores == {}
