"""Changing where an order goes (改地址). Before shipment the address on the order changes at once,
audited, and a case tells the merchant to ship to it (their own system holds the parcel's label).
Once shipped only the courier can redirect the parcel: the answer says what the shop's policy offers
instead (an interception where it has them, else refusing the delivery)."""

from __future__ import annotations

from typing import Any

from aftersales.adapters.db import tables as t
from aftersales.domain import addresses
from aftersales.domain.model import OrderState
from aftersales.service.base import OrderService, open_case
from aftersales.service.errors import InvalidInput
from aftersales.service.views import order_facts, order_view, ticket_dict

ADDRESS_CHANGE = "address_change"


class AddressChangeService(OrderService):
    def check(self, customer_id: str, order_no: str) -> dict[str, Any]:
        """Whether the address can still change (``verdict``: changeable, shipped, closed, no_address) and, once
        shipped, whether this shop's couriers can be asked to intercept the parcel."""
        with self._uow(read_only=True) as uow:
            order = self._owned(uow.orders.get(self._order_no(order_no)), customer_id)
            return self._verdict(order)

    def change(self, customer_id: str, order_no: str, new_address: str, idempotency_key: str | None = None,
               conversation_id: str | None = None) -> dict[str, Any]:
        parsed = addresses.parse(new_address)
        if isinstance(parsed, addresses.Problem):
            raise InvalidInput(f"the new address is not usable: {parsed}")
        key = f"{customer_id}:{idempotency_key}" if idempotency_key else None
        now = self.clock()
        actor = f"customer:{customer_id}"
        with self._uow() as uow:
            order = self._owned(uow.orders.lock(self._order_no(order_no)), customer_id)
            replay = uow.idempotent_response(key, "change_address")
            if replay is not None:
                return replay
            verdict = self._verdict(order)
            if verdict["verdict"] != "changeable":
                return {"status": verdict["verdict"], **verdict}
            before = order_facts(order)
            previous, order.ship_to = order.ship_to, parsed.text
            uow.audit(now, actor, "address_changed", "order", order.order_no, before, order_facts(order))
            profile = self._profile(order)
            ticket = open_case(uow, now, ADDRESS_CHANGE, order.shop_id, order, customer_id, profile, actor,
                               conversation_id=conversation_id,
                               context={"summary": f"新地址：{parsed.text}", "previous_address": previous,
                                        "new_address": parsed.text})
            result = {"status": "changed", "order_no": order.order_no, "ship_to": order.ship_to,
                      "masked_phone": parsed.masked_phone, "ticket": ticket_dict(ticket)}
            uow.remember(key, "change_address", result, now)
            uow.commit()
        return result

    def _verdict(self, order: t.Order) -> dict[str, Any]:
        state = OrderState(order.state)
        profile = self._profile(order)
        verdict = addresses.changeability(order_view(order))
        interception = (verdict == "shipped" and profile.interception_enabled
                        and state in profile.interception_stages
                        and not {i.goods_type for i in order.items} & set(profile.interception_excluded_goods))
        return {"order_no": order.order_no, "verdict": verdict, "state": state.value, "ship_to": order.ship_to,
                "interception_offered": interception}
