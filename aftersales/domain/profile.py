"""A policy profile: the after-sales rules of one kind of shop, read from a policy file.

The rules live in ``aftersales/policies/*.yaml`` (data, reviewed like data); this module only gives
them types and refuses files that do not make sense, so a typo fails at start-up, not in a chat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aftersales.domain.model import Fault, GoodsType, OrderState, Party, PaymentChannel


class PolicyError(ValueError):
    """A policy file or shop override that cannot be used."""


@dataclass(frozen=True)
class Eta:
    """How long something takes, as the seeds state it: ``min``–``max`` hours or business days."""

    min: float
    max: float
    unit: str  # "hours" | "business_days"

    @property
    def immediate(self) -> bool:
        return self.max == 0

    def window(self, start: datetime) -> tuple[datetime, datetime]:
        return self._add(start, self.min), self._add(start, self.max)

    def _add(self, start: datetime, amount: float) -> datetime:
        if self.unit == "hours":
            return start + timedelta(hours=amount)
        day, remaining = start, int(amount)
        while remaining > 0:
            day += timedelta(days=1)
            if day.weekday() < 5:
                remaining -= 1
        return day


@dataclass(frozen=True)
class InterceptionStage:
    stage: str  # "merchant" (not yet scanned: the merchant recalls it) | "courier"
    eta: Eta
    success_rate: float
    min_distance_km: float | None = None


@dataclass(frozen=True)
class OutsideRoute:
    """Where a shopper can take a dispute outside the shop: ``route`` names it (the bot has words for
    each), ``contact`` is what to dial or where to go, when the route has one."""

    route: str  # "consumer_hotline" | "payment_dispute"
    contact: str | None = None


OUTSIDE_ROUTES = frozenset({"consumer_hotline", "payment_dispute"})
APPEAL_ALTERNATIVES = frozenset({"refund_to_balance"})


@dataclass(frozen=True)
class AppealRules:
    """申诉: how often and how long after a rejection a case can be reviewed again, which kinds of
    case, the alternative outcomes offered instead, and the routes outside the shop."""

    per_case: int = 1
    within_days: int = 7
    kinds: frozenset[str] = frozenset()
    alternatives: frozenset[str] = frozenset()
    outside_routes: tuple[OutsideRoute, ...] = ()


@dataclass(frozen=True)
class PolicyProfile:
    name: str
    title: str
    reason_faults: dict[str, Fault]
    refund_eta: dict[PaymentChannel, Eta]
    self_cancel_states: frozenset[OrderState]
    partial_cancellation: bool
    refund_to_balance: bool
    virtual_self_cancel_minutes: int | None
    virtual_review_refund_eta: Eta
    virtual_appeal_faults: frozenset[Fault]
    high_cancellation_window_days: int
    high_cancellation_min_count: int
    high_cancellation_min_rate: float
    interception_enabled: bool
    interception_free_per_month: int | None  # None: unlimited
    interception_fee_payer_beyond_quota: Party
    interception_excluded_goods: frozenset[GoodsType]
    interception_stages: dict[OrderState, InterceptionStage]
    failed_interception_return_shipping: Party
    return_window_days: int
    return_auto_authorize: bool
    return_shipping_payer: dict[Fault, Party]
    return_evidence_faults: frozenset[Fault]
    exchange_enabled: bool
    exchange_replacement_shipping_payer: dict[Fault, Party]
    # 改尺码 / 改颜色 before shipment: the shop changes an item's size or colour once it confirms the stock.
    item_change_before_shipment: bool
    refund_only_reasons: frozenset[str]
    fresh_personal_returns: bool
    sla_hours: dict[str, float]
    price_protection_days: int | None = None  # None: this kind of shop does not refund price drops
    # Repair: days of warranty from delivery per kind of goods (None: none); delivery time: how long
    # the shop may hold a shipment at the shopper's wish (None: the shop decides case by case).
    warranty_days: dict[GoodsType, int | None] = field(default_factory=dict)
    delivery_delay_max_hours: int | None = None
    appeals: AppealRules = field(default_factory=AppealRules)

    def fault_of(self, reason: str) -> Fault:
        try:
            return self.reason_faults[reason]
        except KeyError:
            raise PolicyError(f"unknown reason {reason!r} for profile {self.name}") from None

    @property
    def reasons(self) -> list[str]:
        return list(self.reason_faults)

    @classmethod
    def from_mapping(cls, name: str, data: dict[str, Any]) -> PolicyProfile:
        reader = _Reader(name, data)
        try:
            profile = cls(
                name=name,
                title=reader.get("title", str),
                reason_faults={
                    code: Fault(_req(spec, "fault", name)) for code, spec in reader.get("reasons", dict).items()
                },
                refund_eta={
                    PaymentChannel(channel): _eta(spec) for channel, spec in reader.get("refund_eta", dict).items()
                },
                self_cancel_states=frozenset(
                    OrderState(s) for s in reader.get("cancellation.self_service_states", list)
                ),
                partial_cancellation=reader.get("cancellation.partial", bool),
                refund_to_balance=reader.get("cancellation.refund_to_balance", bool),
                virtual_self_cancel_minutes=reader.get("virtual.self_cancel_minutes", int, optional=True),
                virtual_review_refund_eta=_eta(reader.get("virtual.review_refund_eta", dict)),
                virtual_appeal_faults=frozenset(Fault(f) for f in reader.get("virtual.appeal_faults", list)),
                high_cancellation_window_days=reader.get("high_cancellation.window_days", int),
                high_cancellation_min_count=reader.get("high_cancellation.min_cancellations", int),
                high_cancellation_min_rate=float(reader.get("high_cancellation.min_rate", (int, float))),
                interception_enabled=reader.get("interception.enabled", bool),
                interception_free_per_month=reader.get("interception.free_per_month", int, optional=True),
                interception_fee_payer_beyond_quota=Party(
                    reader.get("interception.fee_payer_beyond_quota", str)
                ),
                interception_excluded_goods=frozenset(
                    GoodsType(g) for g in reader.get("interception.excluded_goods", list)
                ),
                interception_stages={
                    OrderState(state): InterceptionStage(
                        stage=_req(spec, "stage", name),
                        eta=_eta(_req(spec, "eta", name)),
                        success_rate=float(_req(spec, "success_rate", name)),
                        min_distance_km=spec.get("min_distance_km"),
                    )
                    for state, spec in reader.get("interception.stages", dict).items()
                },
                failed_interception_return_shipping=Party(
                    reader.get("interception.failed_then_delivered_return_shipping", str)
                ),
                return_window_days=reader.get("returns.window_days", int),
                return_auto_authorize=reader.get("returns.auto_authorize", bool),
                return_shipping_payer={
                    Fault(f): Party(p) for f, p in reader.get("returns.shipping_payer", dict).items()
                },
                return_evidence_faults=frozenset(Fault(f) for f in reader.get("returns.evidence_for_faults", list)),
                exchange_enabled=reader.get("returns.exchange", bool),
                exchange_replacement_shipping_payer={
                    Fault(f): Party(p)
                    for f, p in reader.get("returns.exchange_replacement_shipping_payer", dict).items()
                },
                item_change_before_shipment=reader.get("item_change.before_shipment", bool),
                refund_only_reasons=frozenset(reader.get("returns.refund_only_reasons", list)),
                fresh_personal_returns=reader.get("returns.fresh_personal_returns", bool),
                sla_hours={k: float(v) for k, v in reader.get("sla_hours", dict).items()},
                price_protection_days=reader.get("price_protection.window_days", int, optional=True),
                warranty_days={GoodsType(kind): days for kind, days in reader.get("warranty_days", dict).items()},
                delivery_delay_max_hours=reader.get("delivery_time.delay_shipment_max_hours", int, optional=True),
                appeals=AppealRules(
                    per_case=reader.get("appeals.per_case", int), within_days=reader.get("appeals.within_days", int),
                    kinds=frozenset(reader.get("appeals.kinds", list)),
                    alternatives=frozenset(reader.get("appeals.alternatives", list)),
                    outside_routes=tuple(OutsideRoute(str(_req(spec, "route", name)), spec.get("contact"))
                                         for spec in reader.get("appeals.outside_routes", list))),
            )
        except (ValueError, TypeError) as exc:
            if isinstance(exc, PolicyError):
                raise
            raise PolicyError(f"policy profile {name}: {exc}") from exc
        reader.check_all_used()
        profile._validate()
        return profile

    def _validate(self) -> None:
        missing = [c for c in PaymentChannel if c not in self.refund_eta]
        if missing:
            raise PolicyError(f"policy profile {self.name}: refund_eta lacks {', '.join(missing)}")
        unpaid = set(Fault) - set(self.return_shipping_payer)
        if unpaid:
            raise PolicyError(f"policy profile {self.name}: returns.shipping_payer lacks {sorted(unpaid)}")
        if set(GoodsType) - set(self.warranty_days):
            raise PolicyError(f"policy profile {self.name}: warranty_days lacks "
                              f"{sorted(set(GoodsType) - set(self.warranty_days))}")
        if any(d is not None and (not isinstance(d, int) or d < 0) for d in self.warranty_days.values()):
            raise PolicyError(f"policy profile {self.name}: warranty_days are whole days or null")
        unpaid = set(Fault) - set(self.exchange_replacement_shipping_payer)
        if unpaid:
            raise PolicyError(f"policy profile {self.name}: returns.exchange_replacement_shipping_payer lacks "
                              f"{sorted(unpaid)}")
        unknown = self.refund_only_reasons - set(self.reason_faults)
        if unknown:
            raise PolicyError(f"policy profile {self.name}: refund_only_reasons names unknown {sorted(unknown)}")
        rules = self.appeals
        if rules.per_case < 0 or rules.within_days < 0:
            raise PolicyError(f"policy profile {self.name}: appeals.per_case and within_days are at least 0")
        if rules.alternatives - APPEAL_ALTERNATIVES or {r.route for r in rules.outside_routes} - OUTSIDE_ROUTES:
            raise PolicyError(f"policy profile {self.name}: appeals name alternatives among "
                              f"{sorted(APPEAL_ALTERNATIVES)} and routes among {sorted(OUTSIDE_ROUTES)}")
        if "appeal" in rules.kinds:
            raise PolicyError(f"policy profile {self.name}: an appeal is the second review; it is not appealed")
        for key in ("cancellation_review", "interception", "interception_courier", "return_review", "escalation",
                    "complaint", "appeal", "logistics_investigation", "item_change"):
            if key not in self.sla_hours:
                raise PolicyError(f"policy profile {self.name}: sla_hours lacks {key}")
        for stage in self.interception_stages.values():
            if not 0 <= stage.success_rate <= 1:
                raise PolicyError(f"policy profile {self.name}: success_rate must be between 0 and 1")


def _eta(spec: Any) -> Eta:
    if not isinstance(spec, dict) or set(spec) != {"min", "max", "unit"}:
        raise PolicyError(f"an eta needs exactly min, max and unit, got {spec!r}")
    if spec["unit"] not in ("hours", "business_days") or not 0 <= spec["min"] <= spec["max"]:
        raise PolicyError(f"bad eta {spec!r}")
    return Eta(spec["min"], spec["max"], spec["unit"])


def _req(spec: Any, key: str, profile: str) -> Any:
    if not isinstance(spec, dict) or key not in spec:
        raise PolicyError(f"policy profile {profile}: {spec!r} needs {key!r}")
    return spec[key]


class _Reader:
    """Reads dotted keys and remembers which were read, so unknown keys (typos) are reported."""

    def __init__(self, profile: str, data: dict[str, Any]):
        self.profile, self.data = profile, data
        self.used: set[str] = set()

    def get(self, dotted: str, kind: type | tuple[type, ...], optional: bool = False) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                if optional:
                    self.used.add(dotted)
                    return None
                raise PolicyError(f"policy profile {self.profile}: missing {dotted}")
            node = node[part]
        self.used.add(dotted)
        if node is None and optional:
            return None
        if not isinstance(node, kind) or (kind is int and isinstance(node, bool)):
            raise PolicyError(f"policy profile {self.profile}: {dotted} has the wrong type ({node!r})")
        return node

    def check_all_used(self) -> None:
        def leaves(node: Any, prefix: str) -> list[str]:
            if isinstance(node, dict) and not any(u == prefix for u in self.used):
                return [leaf for k, v in node.items() for leaf in leaves(v, f"{prefix}.{k}" if prefix else k)]
            return [prefix]

        unknown = [leaf for leaf in leaves(self.data, "") if leaf not in self.used and leaf != "extends"]
        if unknown:
            raise PolicyError(f"policy profile {self.profile}: unknown keys {', '.join(sorted(unknown))}")
