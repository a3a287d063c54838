"""The README's table of what the bot offers, per flow × order state × profile, computed from the
policy files by the same domain code the bot runs — so the table cannot drift from the rules
(tests/cli/test_readme.py compares it with the README).

    .venv/bin/python scripts/flow_table.py            # print the table
    .venv/bin/python scripts/flow_table.py --write    # replace it in README.md
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aftersales.adapters.policy_files import load_profile  # noqa: E402
from aftersales.domain import addresses, price_protection, topic_cases  # noqa: E402
from aftersales.domain.model import (  # noqa: E402
    CustomerHistory,
    GoodsType,
    ItemView,
    OrderState,
    OrderView,
    Outcome,
    PaymentChannel,
    Request,
)
from aftersales.domain.policy import ITEM_CHANGE, Execution, decide  # noqa: E402

BEGIN, END = "<!-- flow-table -->", "<!-- /flow-table -->"
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
PROFILES = {"general": GoodsType.PHYSICAL, "short_video": GoodsType.PHYSICAL, "virtual_goods": GoodsType.VIRTUAL_CARD}
STATES = {GoodsType.PHYSICAL: [OrderState.PENDING_PAYMENT, OrderState.PAID, OrderState.SHIPPED, OrderState.IN_TRANSIT,
                               OrderState.DELIVERED, OrderState.COMPLETED],
          GoodsType.VIRTUAL_CARD: [OrderState.PENDING_PAYMENT, OrderState.PAID, OrderState.DELIVERED,
                                   OrderState.REDEEMED]}
WORDS = {Execution.IMMEDIATE: "at once", Execution.REQUEST: "request", Execution.REVIEW: "review",
         Execution.REFUSED: "—"}
MONEY_FLOWS = [("cancel", Outcome.CANCEL_REFUND), ("return", Outcome.RETURN_REFUND), ("exchange", Outcome.EXCHANGE),
               ("intercept", Outcome.INTERCEPT)]
CASES = [("invoice", topic_cases.Topic.INVOICE), ("repair", topic_cases.Topic.REPAIR),
         ("missing item", topic_cases.Topic.MISSING_ITEM), ("delivery time", topic_cases.Topic.DELIVERY_TIME),
         ("not received", topic_cases.Topic.NOT_RECEIVED)]


def order(state: OrderState, goods: GoodsType) -> OrderView:
    """An order paid an hour ago (past the virtual self-cancel window), delivered a day ago where it is."""
    delivered = state in (OrderState.DELIVERED, OrderState.COMPLETED, OrderState.REDEEMED)
    channel = None if state is OrderState.PENDING_PAYMENT else PaymentChannel.ALIPAY
    return OrderView("P1000000001", state, "CNY", channel, (ItemView(1, "S", "T", goods, 1, 10000),),
                     created_at=NOW - timedelta(hours=2),
                     paid_at=None if state is OrderState.PENDING_PAYMENT else NOW - timedelta(hours=1),
                     shipped_at=None if state in (OrderState.PENDING_PAYMENT, OrderState.PAID)
                     else NOW - timedelta(hours=1),
                     delivered_at=NOW - timedelta(days=1) if delivered else None)


def row(profile_name: str, state: OrderState) -> list[str]:
    profile, goods = load_profile(profile_name, {}), PROFILES[profile_name]
    view = order(state, goods)
    cells = [profile_name, state.value]
    for _, outcome in MONEY_FLOWS:
        decision = decide(view, Request(outcome, "changed_mind"), NOW, CustomerHistory(), profile)
        cells.append("review: size/colour" if decision.code == ITEM_CHANGE else WORDS[decision.execution])
    dropped = price_protection.assess(
        (price_protection.ItemPrice(1, "T", 1, 10000, 8000, False, False),), state, view.paid_at, NOW,
        profile.price_protection_days)
    cells.append("at once" if dropped.verdict is price_protection.Verdict.ELIGIBLE else "—")
    cells.append("at once" if addresses.changeability(view) == "changeable" else "—")
    for _, topic in CASES:
        found = topic_cases.assess(topic, view, NOW, profile)
        cells.append("case" if found.verdict is topic_cases.Verdict.OPEN else "—")
    return cells


def table() -> str:
    header = ["profile", "order state", *(name for name, _ in MONEY_FLOWS), "price protection", "address change",
              *(name for name, _ in CASES)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for profile_name, goods in PROFILES.items():
        lines += ["| " + " | ".join(row(profile_name, state)) + " |" for state in STATES[goods]]
    return "\n".join(lines)


def main() -> None:
    generated = table()
    if "--write" not in sys.argv:
        print(generated)
        return
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    readme.write_text(f"{text[:start]}\n{generated}\n{text[end:]}", encoding="utf-8")


if __name__ == "__main__":
    main()
