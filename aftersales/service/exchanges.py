"""The second half of an exchange: once the merchant has the goods back (receive_return marks the
exchange received), the replacement goes out; its parcel is recorded and the chat that asked for
the exchange is told the carrier and tracking number. The merchant's button and the shop system's
``replacement_shipped`` event are this one operation."""

from __future__ import annotations

from typing import Any

from aftersales.domain.lifecycles import ReturnStatus
from aftersales.domain.model import Outcome
from aftersales.service.base import OrderService, advance
from aftersales.service.errors import Conflict, InvalidInput
from aftersales.service.views import return_dict


class ExchangeService(OrderService):
    def ship_replacement(self, return_no: str, carrier: str, tracking_no: str, actor: str,
                         shop_ids: set[str] | None = None) -> dict[str, Any]:
        """Record the replacement's parcel. Sent again with the same parcel: the same answer, no
        second message; with another parcel after it was shipped: refused."""
        carrier, tracking_no = " ".join(carrier.split())[:64], "".join(tracking_no.split())[:64]
        if not carrier or not tracking_no:
            raise InvalidInput("the replacement's carrier and tracking number are both needed")
        now = self.clock()
        with self._uow() as uow:
            order, exchange = self._locked_return(uow, return_no, shop_ids)
            if exchange.outcome != Outcome.EXCHANGE.value:
                raise Conflict(f"{return_no} is a return, not an exchange: nothing is sent back to the shopper")
            if exchange.status == ReturnStatus.REPLACEMENT_SHIPPED:
                if (exchange.replacement_carrier, exchange.replacement_tracking_no) == (carrier, tracking_no):
                    return {"status": "already_shipped", "return": return_dict(exchange), "notification_id": None}
                raise Conflict(f"the replacement for {return_no} was shipped already "
                               f"({exchange.replacement_carrier} {exchange.replacement_tracking_no})")
            if exchange.status != ReturnStatus.RECEIVED:
                raise Conflict(f"exchange {return_no} is {exchange.status}: the replacement goes out once the "
                               "goods are back")
            before = return_dict(exchange)
            exchange.status = advance(exchange.status, ReturnStatus.REPLACEMENT_SHIPPED)
            exchange.replacement_carrier, exchange.replacement_tracking_no = carrier, tracking_no
            exchange.replacement_shipped_at = now
            uow.audit(now, actor, "replacement_shipped", "return", return_no, before, return_dict(exchange))
            conversation = next((tk.conversation_id for tk in reversed(order.tickets)
                                 if tk.pending_action.get("return_no") == return_no and tk.conversation_id), None)
            notification = uow.notify(conversation, "replacement_shipped", now,
                                      payload={"return_no": return_no, "order_no": order.order_no,
                                               "carrier": carrier, "tracking_no": tracking_no,
                                               "exchange_wish": exchange.exchange_wish})
            result = {"status": exchange.status, "return": return_dict(exchange),
                      "notification_id": notification.id if notification else None}
            uow.commit()
        return result
