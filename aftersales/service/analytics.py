"""The figures a shop manager reads, per day over the last days (in the platform's time zone) and
per merchant: every conversation and what it came to (aftersales.domain.conversations), the
automation rate, and how fast the team answers and resolves cases. Reads only.

- **Conversations** are those the worker read from the chat log (service.conversation_log), by the
  day their shopper first wrote. One that a case of the escalation queue came of is handed off.
- **Automation rate**: of the conversations that ended, the share the bot resolved alone —
  bot-resolved / (bot-resolved + handed off + abandoned); those still in progress wait.
- **First response**: from a case's opening to the team's first word to the shopper about it (a
  reply or a decision); **resolution**: to the team's decision. Cases by the day they were opened;
  cases the merchant opened themselves (their own cancellations) and those the shopper withdrew are
  no one's response. Medians, so one forgotten case does not hide how the rest went.
- **Per merchant**: the cases each resolved, the median of their first responses (cases they were
  first to answer) and of their resolutions.
- **Satisfaction**: the average of the shoppers' ratings (1–5, service.satisfaction) by the day they
  rated, and per merchant of the cases they resolved."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.domain.cases import SHOPS_OWN_KINDS
from aftersales.domain.conversations import FINISHED, IDLE, Outcome, outcome
from aftersales.domain.lifecycles import TicketStatus
from aftersales.service.base import PLATFORM_TZ, assignee_of, utcnow
from aftersales.service.conversation_log import MARK
from aftersales.service.inbox import QUEUES
from aftersales.service.unit_of_work import UnitOfWork
from aftersales.service.views import iso

# The team's words to the shopper about a case (the first is its first response).
RESPONSES = frozenset({"ticket_replied", "ticket_approved", "ticket_rejected", "ticket_answered"})
DECISIONS = frozenset({"ticket_approved", "ticket_rejected", "ticket_answered"})


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _satisfaction(scores: list[int]) -> dict[str, Any]:
    """The shoppers' average rating (1–5) and how many rated."""
    return {"satisfaction": sum(scores) / len(scores) if scores else None, "ratings": len(scores)}


def automation_rate(counts: dict[str, int]) -> float | None:
    finished = sum(counts.get(outcome, 0) for outcome in FINISHED)
    return counts.get(Outcome.BOT_RESOLVED, 0) / finished if finished else None


class ShopAnalytics:
    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow):
        self._sessions = session_factory
        self.clock = clock

    def report(self, shop_ids: set[str], days: int = 30) -> dict[str, Any]:
        """Per day (oldest first, today last) and per merchant; ``totals`` over the whole period."""
        now = self.clock()
        today = now.astimezone(PLATFORM_TZ).date()
        dates = [today - timedelta(days=days - 1 - n) for n in range(days)]
        since = datetime.combine(dates[0], time(), PLATFORM_TZ)
        with UnitOfWork(self._sessions, read_only=True) as uow:
            chats = uow.session.execute(
                select(t.Conversation.conversation_id, t.Conversation.started_at, t.Conversation.last_at,
                       t.Conversation.handed_off, t.Conversation.ended_unanswered)
                .where(t.Conversation.shop_id.in_(shop_ids), t.Conversation.started_at >= since)).all()
            escalated: dict[str, list[datetime]] = defaultdict(list)
            for conversation, opened in uow.session.execute(
                    select(t.Ticket.conversation_id, t.Ticket.created_at)
                    .where(t.Ticket.kind.in_(QUEUES["escalations"]), t.Ticket.created_at >= since - IDLE,
                           t.Ticket.conversation_id.in_(select(t.Conversation.conversation_id).where(
                               t.Conversation.shop_id.in_(shop_ids), t.Conversation.started_at >= since)))):
                escalated[str(conversation)].append(opened)
            tickets = uow.session.execute(
                select(t.Ticket.ticket_no, t.Ticket.created_at)
                .where(t.Ticket.shop_id.in_(shop_ids), t.Ticket.created_at >= since,
                       t.Ticket.kind.not_in(SHOPS_OWN_KINDS))).all()
            opened_at = dict(tickets)
            ratings = uow.session.execute(
                select(t.Ticket.ticket_no, t.Ticket.satisfaction, t.Ticket.satisfaction_at)
                .where(t.Ticket.shop_id.in_(shop_ids), t.Ticket.satisfaction_at >= since,
                       t.Ticket.satisfaction.is_not(None))).all()
            audited = list(set(opened_at) | {no for no, *_ in ratings})
            audit: Sequence[Any] = uow.session.execute(
                select(t.AuditEvent.entity_id, t.AuditEvent.at, t.AuditEvent.actor, t.AuditEvent.action,
                       t.AuditEvent.after)
                .where(t.AuditEvent.entity == "ticket", t.AuditEvent.entity_id.in_(audited))
                .order_by(t.AuditEvent.at, t.AuditEvent.id)).all() if audited else []
            team: dict[str, str] = {email: name for email, name in uow.session.execute(
                select(t.Merchant.email, t.Merchant.display_name).join(t.Merchant.shops)
                .where(t.Shop.id.in_(shop_ids)))}
            mark = uow.session.get(t.ChatLogMark, MARK)
            read_at = mark.read_at if mark is not None else None

        def day(at: datetime) -> date:
            return at.astimezone(PLATFORM_TZ).date()

        outcomes: dict[date, Counter[str]] = defaultdict(Counter)
        for conversation, started, last, handed_off, unanswered in chats:
            human = any(started - IDLE <= at <= last + IDLE for at in escalated.get(conversation, ()))
            outcomes[day(started)][outcome(last, handed_off, unanswered, now, human)] += 1

        first: dict[str, tuple[datetime, str]] = {}
        resolved: dict[str, tuple[datetime, str]] = {}
        for ticket_no, at, actor, action, after in audit:
            merchant = assignee_of(actor)
            if merchant is None:
                continue
            if action in RESPONSES and ticket_no not in first:
                first[ticket_no] = (at, merchant)
            if (action in DECISIONS or (after or {}).get("status") == TicketStatus.RESOLVED) \
                    and ticket_no not in resolved:
                resolved[ticket_no] = (at, merchant)
        # A rated case may have been opened before the period: its resolver counts for its score only.
        resolver = {no: who for no, (_, who) in resolved.items()}
        first = {no: v for no, v in first.items() if no in opened_at}
        resolved = {no: v for no, v in resolved.items() if no in opened_at}
        minutes = {no: (at - opened_at[no]).total_seconds() / 60 for no, (at, _) in first.items()}
        hours = {no: (at - opened_at[no]).total_seconds() / 3600 for no, (at, _) in resolved.items()}
        scores: list[tuple[date, str | None, int]] = [(day(at), resolver.get(no), score)
                                                      for no, score, at in ratings if at and score]

        daily = []
        for each in dates:
            counts = outcomes.get(each, Counter())
            cases = [no for no, opened in opened_at.items() if day(opened) == each]
            daily.append({"date": each.isoformat(), **{o.value: counts.get(o, 0) for o in Outcome},
                          "conversations": sum(counts.values()), "automation_rate": automation_rate(counts),
                          "cases": len(cases),
                          "first_response_minutes": _median([minutes[no] for no in cases if no in minutes]),
                          "resolution_hours": _median([hours[no] for no in cases if no in hours]),
                          **_satisfaction([score for rated, _, score in scores if rated == each])})
        total: Counter[str] = sum(outcomes.values(), Counter())
        people = set(team) | {who for _, who in first.values()} | {who for _, who in resolved.values()} \
            | {who for _, who, _ in scores if who}
        merchants = [{"email": email, "name": team.get(email, email),
                      "handled": sum(1 for _, who in resolved.values() if who == email),
                      "first_response_minutes": _median([minutes[no] for no, (_, who) in first.items()
                                                         if who == email]),
                      "resolution_hours": _median([hours[no] for no, (_, who) in resolved.items()
                                                   if who == email]),
                      **_satisfaction([score for _, who, score in scores if who == email])}
                     for email in sorted(people, key=lambda e: (team.get(e) or e).lower())]
        return {
            "days": days, "dates": [d.isoformat() for d in dates], "daily": daily, "merchants": merchants,
            "totals": {**{o.value: total.get(o, 0) for o in Outcome}, "conversations": sum(total.values()),
                       "automation_rate": automation_rate(total), "cases": len(opened_at),
                       "first_response_minutes": _median(list(minutes.values())),
                       "resolution_hours": _median(list(hours.values())),
                       **_satisfaction([score for *_, score in scores])},
            "chat_log_read_at": iso(read_at),
        }

