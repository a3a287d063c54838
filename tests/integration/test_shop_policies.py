"""The figures a general question is answered with come from the chat's shop as stored: its profile
and its own overrides."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.errors import NotFound
from aftersales.service.shop_policies import ShopPolicyService

from .fixtures import add_order


@pytest.fixture
def factory(database_url):
    factory = session_factory(database_url)
    add_order(factory, "P1000000001", profile="general")
    add_order(factory, "P1000000002", profile="short_video")
    return factory


def test_each_shop_is_quoted_its_own_rules(factory):
    policies = ShopPolicyService(factory)
    assert policies.faq_answer("shop_g", "interception_cost")["response"] == "utter_faq_interception_not_offered"
    assert policies.faq_answer("shop_k", "interception_cost")["figures"]["free_interceptions"] == "3"


def test_a_shops_own_override_is_quoted(factory):
    with factory() as session, session.begin():
        session.execute(update(t.Shop).where(t.Shop.id == "shop_k")
                        .values(policy_overrides={"returns": {"window_days": 15}}))
    answer = ShopPolicyService(factory).faq_answer("shop_k", "return_window")
    assert answer == {"response": "utter_faq/return_window", "figures": {"return_window_days": "15"}}


def test_an_unknown_shop_is_not_found(factory):
    with pytest.raises(NotFound):
        ShopPolicyService(factory).faq_answer("shop_nobody", "return_window")
