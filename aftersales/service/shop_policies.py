"""A shop's after-sales rules as the bot quotes them to a shopper who names no order: the figures of a
general question come from the profile of the shop whose chat it is (aftersales.domain.faq)."""

from __future__ import annotations

from aftersales.domain import faq
from aftersales.service.base import OrderService
from aftersales.service.errors import NotFound


class ShopPolicyService(OrderService):
    def faq_answer(self, shop_id: str, topic: str) -> dict[str, object]:
        """Which answer and figures a general question of ``topic`` gets in this shop's chat."""
        with self._uow(read_only=True) as uow:
            shop = uow.shops.get(shop_id)
            if shop is None:
                raise NotFound(f"no shop {shop_id!r}")
            profile = self._shop_profile(shop)
        found = faq.answer(topic, profile)
        return {"response": found.response, "figures": found.figures}
