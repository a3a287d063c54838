"""The confirmation rule, under its old name for tests/e2e/test_hostile.py (not the actions' to
change). The actions themselves are in the topic modules: forms, requests, queries, proposals,
topic_cases, handoff, notifications, faq, clarify."""

from actions.order_lookup import _AFFIRMING, CONFIRM_BUTTON, is_explicit_confirmation

__all__ = ["CONFIRM_BUTTON", "_AFFIRMING", "is_explicit_confirmation"]
