"""The merchant inbox (HTML): sign-in, queues, a case with its conversation, replies, decisions,
merchant cancellations, an order's timeline, analytics. Forms carry Flask-WTF's CSRF token; Jinja
escapes everything.

A module per page or concern — ``blueprint`` (what the pages share), ``session``, ``cases``, ``case``,
``orders``, ``analytics``, ``settings`` — and the words: ``words`` (codes and the inbox's sentences, from
../words/*.yml), ``sentences`` (people and decisions), ``timeline`` (an order's events)."""

from __future__ import annotations

from aftersales.entrypoints.web.inbox import analytics, case, cases, orders, session, settings  # noqa: F401 - routes
from aftersales.entrypoints.web.inbox.blueprint import inbox
from aftersales.entrypoints.web.inbox.sentences import audit_action, what_approval_does
from aftersales.entrypoints.web.inbox.timeline import timeline_sentence
from aftersales.entrypoints.web.inbox.words import label

__all__ = ["audit_action", "inbox", "label", "timeline_sentence", "what_approval_does"]
