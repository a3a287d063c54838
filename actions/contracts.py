"""What the actions read from the service's results (aftersales/service/views.py builds them as
JSON-ready dicts): the fields the dialogue and the words depend on, typed. A result carries more
than is listed here; what is not listed, the actions do not read.

The service returns ``dict[str, Any]``; ``as_`` states at the boundary which contract a result is."""

from __future__ import annotations

from typing import Any, TypedDict, TypeVar, cast

T = TypeVar("T")


def as_(contract: type[T], result: Any) -> T:
    """The service's result, read as ``contract`` (no copy, no check: the service's tests own its shape)."""
    return cast(T, result)


class Eta(TypedDict):
    min: float
    max: float
    unit: str


class Item(TypedDict):
    id: int
    title: str
    goods_type: str
    quantity: int
    total: int
    cancelled: bool
    variant: str | None  # the size or colour the shop changed it to before shipment


class Shop(TypedDict):
    id: str
    name: str


class Refund(TypedDict):
    refund_no: str
    amount: int
    currency: str
    channel: str
    status: str
    created_at: str
    expected_latest: str


class Return(TypedDict):
    return_no: str
    outcome: str
    status: str
    method: str
    exchange_wish: str | None
    replacement_carrier: str | None
    replacement_tracking_no: str | None
    return_carrier: str | None
    return_tracking_no: str | None


class Interception(TypedDict):
    interception_no: str
    stage: str
    status: str
    eta_hours: list[float]
    success_rate: float


class Ticket(TypedDict):
    ticket_no: str
    kind: str
    status: str
    sla_due_at: str | None
    created_at: str | None
    resolution: str | None
    resolution_note: str | None


class Order(TypedDict):
    """An order as the shopper sees it (lookup_order)."""
    order_no: str
    shop: Shop
    state: str
    currency: str
    payment_channel: str | None
    total: int
    carrier: str | None
    tracking_no: str | None
    items: list[Item]
    returns: list[Return]
    tickets: list[Ticket]


class RefundPlan(TypedDict):
    amount: int
    currency: str
    channel: str | None
    timing: str
    eta: Eta | None


class InterceptionPlan(TypedDict):
    stage: str
    eta: Eta
    success_rate: float
    fee_payer: str
    free_left_this_month: int | None
    failed_return_shipping: str


class Decision(TypedDict):
    """What the policy says about one request (options, preview, and inside a submit result)."""
    outcome: str
    execution: str
    allowed: bool
    code: str
    item_ids: list[int]
    refund: RefundPlan | None
    return_shipping_payer: str | None
    replacement_shipping_payer: str | None
    interception: InterceptionPlan | None
    evidence_required: bool
    window_ends_at: str | None
    sla_hours: float
    figures: dict[str, float]  # a refusal's: the policy's figures its words name (return_days, min_distance_km)


class Confirmation(TypedDict):
    """What the summary before a yes shows (confirmation): the order and what a submit would get."""
    order: Order
    decision: Decision


# What a submitted request became: ``status`` and ``decision`` always; the records it made or found.
# The functional form, because one key is the keyword "return".
SubmitResult = TypedDict("SubmitResult", {
    "status": str, "decision": Decision, "order": Order, "refund": "Refund | None",
    "interception": Interception, "return": Return, "ticket": Ticket, "return_address": "str | None",
    "exchange_wish": "str | None"},
    total=False)


class RefundStatus(TypedDict):
    order_no: str
    refunds: list[Refund]
    open_tickets: list[Ticket]


class CaseUpdate(TypedDict):
    """A queued chat notification (notification): what to tell the shopper unasked."""
    kind: str
    payload: dict[str, Any]
    ticket: Ticket | None
    refund: Refund | None
    order_no: str | None


class OpenRequest(TypedDict):
    kind: str
    reference: str
    status: str
    refusal: str | None


class Withdrawable(TypedDict):
    """What the shopper may withdraw (withdrawable), or what was (withdraw: ``withdrawn`` too)."""
    order_no: str
    open: list[OpenRequest]
    closed: list[OpenRequest]


class WithdrawResult(Withdrawable, total=False):
    status: str
    withdrawn: list[OpenRequest]


class PriceLine(TypedDict):
    title: str
    quantity: int
    paid_unit_price: int
    current_unit_price: int
    difference: int


class PriceQuote(TypedDict):
    order_no: str
    verdict: str
    window_days: int | None
    window_ends_at: str | None
    currency: str
    channel: str
    eta: Eta
    total: int
    items: list[PriceLine]
    unchanged: list[PriceLine]


class PriceClaim(TypedDict):
    quote: PriceQuote
    refund: Refund | None


class AddressCheck(TypedDict, total=False):
    """An address change checked (check: ``verdict``) or made (change: ``status`` "changed", ``ticket``)."""
    order_no: str
    verdict: str
    status: str
    ship_to: str | None
    interception_offered: bool
    ticket: Ticket


class TopicCheck(TypedDict):
    order_no: str
    topic: str
    verdict: str
    state: str
    ends_at: str | None
    delay_hours: int | None
    carrier: str | None
    tracking_no: str | None
    sla_hours: float


class ReturnParcel(TypedDict, total=False):
    """Whether the order's return awaits the shopper's parcel (``verdict``), the parcel recorded, and,
    from a record, what it did (``status``: recorded, corrected, unchanged, or the verdict)."""

    verdict: str
    status: str
    order_no: str
    return_no: str | None
    outcome: str | None
    carrier: str | None
    tracking_no: str | None
    shipped_at: str | None
    return_address: str | None


class TopicCaseResult(TypedDict, total=False):
    """A case opened (open: ``status`` "opened"/"already_open"/a verdict), or a check read as one."""
    status: str
    order_no: str
    ticket: Ticket | None
    details: dict[str, Any]
    sla_hours: float
    ends_at: str | None
    carrier: str | None
    tracking_no: str | None
    state: str


class AppealedCase(Ticket):
    """The rejected case an appeal is about, with what approving it carries out."""
    desired_outcome: str | None
    action: str | None


class OutsideRoute(TypedDict):
    route: str
    contact: str | None


class AppealCheck(TypedDict):
    """Whether the order's latest rejected request can be appealed (check), and what it was."""
    order_no: str
    verdict: str
    state: str
    case: AppealedCase | None
    appeal: Ticket | None
    alternatives: list[str]
    amount: int
    currency: str
    ends_at: str | None
    balance_eta: Eta  # how soon a refund to the account balance arrives, in this shop's policy
    per_case: int
    sla_hours: float
    outside_routes: list[OutsideRoute]
    payment_channel: str | None


class AppealResult(AppealCheck, total=False):
    """An appeal opened (open: ``status`` "opened", ``ticket``, ``alternative``), or why not (a verdict)."""
    status: str
    ticket: Ticket
    alternative: str | None
