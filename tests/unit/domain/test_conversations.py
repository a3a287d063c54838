"""What a chat came to, from its events (aftersales.domain.conversations)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aftersales.domain.conversations import IDLE, ChatEvent, Outcome, sessions

T0 = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)


def chat(*steps: tuple) -> list[ChatEvent]:
    """(type, name-or-intent) steps a minute apart; a user step names its intent."""
    events = []
    for n, (kind, what, *shop) in enumerate(steps):
        events.append(ChatEvent(id=n + 1, type=kind, at=T0 + timedelta(minutes=n),
                                name=None if kind == "user" else what, intent=what if kind == "user" else None,
                                shop_id=shop[0] if shop else None))
    return events


LATER = T0 + timedelta(hours=2)


def test_an_answered_question_is_resolved_by_the_bot_once_the_shopper_is_gone():
    [session] = sessions(chat(("session_started", None), ("action", "action_listen"), ("user", "faq", "shop_k"),
                              ("action", "action_answer_faq"), ("action", "action_listen")))
    assert session.shopper_messages == 1 and session.shop_id == "shop_k"
    assert session.outcome(LATER) is Outcome.BOT_RESOLVED
    assert session.outcome(session.last_at + IDLE - timedelta(seconds=1)) is Outcome.IN_PROGRESS


def test_a_shopper_who_leaves_in_a_form_or_at_the_clarifying_question_abandoned_it():
    [form] = sessions(chat(("user", "cancel_order"), ("action", "action_start_request"),
                           ("active_loop", "after_sales_form"), ("action", "action_listen")))
    [unclear] = sessions(chat(("user", "nlu_fallback"), ("action", "action_handle_fallback"),
                              ("action", "action_listen")))
    [silent] = sessions(chat(("user", "greet")))  # the bot never answered
    assert {form.outcome(LATER), unclear.outcome(LATER), silent.outcome(LATER)} == {Outcome.ABANDONED}
    [finished] = sessions(chat(("user", "cancel_order"), ("active_loop", "after_sales_form"), ("user", "affirm"),
                               ("active_loop", None), ("action", "action_submit_request")))
    assert finished.outcome(LATER) is Outcome.BOT_RESOLVED


def test_a_pause_a_handoff_or_a_human_case_hands_it_off_at_once():
    [paused] = sessions(chat(("user", "request_human"), ("action", "action_handoff"), ("pause", None)))
    [complaint] = sessions(chat(("user", "complain"), ("action", "action_open_complaint")))
    [other] = sessions(chat(("user", "greet"), ("action", "utter_greet")))
    assert paused.outcome(T0) is complaint.outcome(T0) is Outcome.HANDED_OFF
    assert other.outcome(T0, human_case=True) is Outcome.HANDED_OFF


def test_sessions_are_split_and_the_notifiers_messages_are_not_the_shopper_writing():
    events = chat(("session_started", None), ("user", "faq"), ("action", "action_answer_faq"),
                  ("session_started", None), ("user", "EXTERNAL_case_update"), ("action", "action_case_update"),
                  ("session_started", None), ("user", "greet"), ("action", "utter_greet"), ("user", "thank"),
                  ("action", "utter_you_are_welcome"))
    first, last = sessions(events)
    assert first.started_at == T0 + timedelta(minutes=1) and first.shopper_messages == 1
    assert last.started_at == T0 + timedelta(minutes=7) and last.last_at == T0 + timedelta(minutes=9)
    assert last.shopper_messages == 2 and last.last_event_id == 11
    assert sessions([]) == []


def test_a_rating_given_after_the_session_ended_is_no_conversation_of_its_own():
    events = chat(("session_started", None), ("user", "EXTERNAL_case_update"), ("action", "action_case_update"),
                  ("user", "rate_case"), ("action", "action_rate_case"))
    assert sessions(events) == []
    [asked] = sessions(chat(("user", "faq"), ("action", "action_answer_faq"), ("user", "rate_case")))
    assert asked.shopper_messages == 1
