"""The CLI end to end on a fresh SQLite file: migrate, seed the demo, inspect, mint tokens."""

from __future__ import annotations

import json

from click.testing import CliRunner

from aftersales.adapters.customer_tokens import verify
from aftersales.demo import DEMO_ORDERS
from aftersales.entrypoints.cli import main


def test_fresh_database_demo_seed_and_show(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'new' / 'demo.sqlite3'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    for _ in range(2):  # seeding again replaces the demo data instead of failing on duplicates
        seeded = runner.invoke(main, ["demo", "seed"], env=env)
        assert seeded.exit_code == 0, seeded.output
    states = set()
    for order_no, _, customer, state, *_ in DEMO_ORDERS:
        shown = runner.invoke(main, ["orders", "show", order_no], env=env)
        assert shown.exit_code == 0, shown.output
        order = json.loads(shown.output)
        assert (order["customer_id"], order["state"]) == (customer, state)
        states.add(state)
    assert states >= {"pending_payment", "paid", "shipped", "in_transit", "out_for_delivery", "delivered",
                      "redeemed", "completed"}
    assert {o[4] for o in DEMO_ORDERS} >= {None, "alipay", "wechat_pay", "bank_card", "credit_card", "balance"}
    missing = runner.invoke(main, ["orders", "show", "P9999999999"], env=env)
    assert missing.exit_code != 0 and "no order P9999999999" in missing.output
    bad = runner.invoke(main, ["orders", "show", "hello"], env=env)
    assert bad.exit_code != 0 and "not an order number" in bad.output


def test_token_command_mints_a_verifiable_token():
    env = {"CUSTOMER_TOKEN_SECRET": "t" * 40}
    result = CliRunner().invoke(main, ["token", "c_1001"], env=env)
    assert result.exit_code == 0
    assert verify("t" * 40, result.output.strip()) == "c_1001"


def test_production_mode_refuses_to_start_with_development_secrets():
    result = CliRunner().invoke(main, ["token", "c_1001"], env={"AFTERSALES_ENV": "production"})
    assert result.exit_code != 0 and "production mode needs real secrets" in result.output


def test_an_integration_token_is_the_last_word_and_events_replay_from_a_file(tmp_path):
    from aftersales.adapters.db.engine import session_factory
    from aftersales.service.integrations import IntegrationsService

    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'events.sqlite3'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    assert runner.invoke(main, ["demo", "seed"], env=env).exit_code == 0
    added = runner.invoke(main, ["integrations", "add", "shop_lifestyle"], env=env)
    assert added.exit_code == 0, added.output
    token = added.output.split()[-1]
    assert IntegrationsService(session_factory(env["DATABASE_URL"])).shop_for(token) == "shop_lifestyle"
    unknown_shop = runner.invoke(main, ["integrations", "add", "shop_nowhere"], env=env)
    assert unknown_shop.exit_code != 0 and "shop_nowhere" in unknown_shop.output

    paid = next(o for o in DEMO_ORDERS if o[1] == "shop_lifestyle" and o[3] == "paid")[0]
    lines = [{"event_id": "f1", "order_no": paid, "type": "shipped", "occurred_at": "2026-01-01T10:00:00+08:00",
              "data": {"carrier": "顺丰速运", "tracking_no": "SF1"}},
             {"event_id": "f2", "order_no": paid, "type": "redeemed", "occurred_at": "2026-01-01T11:00:00+08:00"}]
    events_file = tmp_path / "events.jsonl"
    events_file.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    replayed = runner.invoke(main, ["orders", "events", str(events_file), "--shop", "shop_lifestyle"], env=env)
    assert replayed.exit_code != 0  # the second event is impossible for a parcel
    assert "f1 200 applied" in replayed.output and "f2 409 rejected" in replayed.output
    assert json.loads(runner.invoke(main, ["orders", "show", paid], env=env).output)["state"] == "shipped"
    again = runner.invoke(main, ["orders", "events", str(events_file), "--shop", "shop_lifestyle"], env=env)
    assert "f1 200 applied" in again.output and "(duplicate)" in again.output


def test_reseeding_the_demo_leaves_one_import_line_per_order_in_the_audit_log(tmp_path):
    from sqlalchemy import func, select

    from aftersales.adapters.db import tables as t
    from aftersales.adapters.db.engine import session_factory

    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'audit.sqlite3'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    for _ in range(3):
        assert runner.invoke(main, ["demo", "seed"], env=env).exit_code == 0
    with session_factory(env["DATABASE_URL"])() as session:
        imported = session.execute(select(t.AuditEvent.entity_id, func.count()).where(
            t.AuditEvent.action == "order_imported").group_by(t.AuditEvent.entity_id)).all()
    assert imported and {count for _, count in imported} == {1}


def test_orders_show_prints_the_new_records_of_an_order(tmp_path):
    """An address change, a price-protection refund, a colour change, an exchange and a case, all in
    `orders show`."""
    from datetime import UTC, datetime, timedelta

    from aftersales.adapters.db.engine import session_factory
    from aftersales.service.address_changes import AddressChangeService
    from aftersales.service.after_sales import AfterSalesService
    from aftersales.service.importing import import_orders
    from aftersales.service.merchant_operations import MerchantService
    from aftersales.service.price_protection import PriceProtectionService
    from aftersales.service.topic_cases import TopicCaseService

    url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env={"DATABASE_URL": url}).exit_code == 0
    factory, now = session_factory(url), datetime.now(UTC)
    shop = {"id": "s1", "name": "S", "policy_profile": "general"}
    customer = {"id": "c1", "name": "C", "phone": "13900000001"}
    item = {"sku": "A", "title": "杯子", "goods_type": "physical", "quantity": 1, "unit_price": "50.00",
            "current_unit_price": "40.00"}
    import_orders(factory, [(1, {"order_no": "P1000000001", "shop": shop, "customer": customer, "state": "paid",
                                 "payment_channel": "alipay", "created_at": (now - timedelta(hours=2)).isoformat(),
                                 "paid_at": (now - timedelta(hours=1)).isoformat(), "items": [item]}),
                            (2, {"order_no": "P1000000002", "shop": shop, "customer": customer,
                                 "state": "delivered", "payment_channel": "alipay",
                                 "created_at": (now - timedelta(days=3)).isoformat(),
                                 "paid_at": (now - timedelta(days=3)).isoformat(),
                                 "delivered_at": (now - timedelta(days=1)).isoformat(), "items": [item]})])
    AddressChangeService(factory).change("c1", "P1000000001", "王五 13812345678 上海市浦东新区世纪大道 100 号")
    PriceProtectionService(factory).claim("c1", "P1000000001")
    AfterSalesService(factory).submit("c1", "P1000000002", "exchange", "does_not_fit", exchange_wish="换大号")
    TopicCaseService(factory).open("c1", "P1000000002", "invoice", "个人 电子")
    # A colour change before shipment, approved: the item on the order is now the colour asked for.
    change = AfterSalesService(factory).submit("c1", "P1000000001", "exchange", "ordered_by_mistake",
                                               exchange_wish="蓝色")
    MerchantService(factory).decide_ticket(change["ticket"]["ticket_no"], True, "有货", actor="merchant:m1")

    def show(order_no: str) -> dict:
        shown = runner.invoke(main, ["orders", "show", order_no], env={"DATABASE_URL": url})
        assert shown.exit_code == 0, shown.output
        return json.loads(shown.output)

    first, second = show("P1000000001"), show("P1000000002")
    assert "世纪大道 100 号" in first["ship_to"]
    assert sorted(t["kind"] for t in first["tickets"]) == ["address_change", "item_change"]
    assert first["items"][0]["variant"] == "蓝色"
    assert [(r["source"], r["amount"]) for r in first["refunds"]] == [("price_protection", 1000)]
    assert first["items"][0]["price_protected"] and first["items"][0]["price_protection_amount"] == 1000
    assert [(r["outcome"], r["exchange_wish"]) for r in second["returns"]] == [("exchange", "换大号")]
    assert sorted(t["kind"] for t in second["tickets"]) == ["invoice", "return"]


def test_orders_show_prints_appeals_and_investigations_and_the_platform_sees_complaints(tmp_path):
    """An appeal with the case it appeals, a logistics investigation, and complaints of two shops in
    `cases platform`."""
    from datetime import UTC, datetime, timedelta

    from aftersales.adapters.db.engine import session_factory
    from aftersales.service.after_sales import AfterSalesService
    from aftersales.service.appeals import AppealService
    from aftersales.service.importing import import_orders
    from aftersales.service.merchant_operations import MerchantService
    from aftersales.service.topic_cases import TopicCaseService

    url = f"sqlite:///{tmp_path / 'appeals.sqlite3'}"
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env={"DATABASE_URL": url}).exit_code == 0
    factory, now = session_factory(url), datetime.now(UTC)
    customer = {"id": "c1", "name": "C", "phone": "13900000001"}

    def order(order_no: str, shop: str, profile: str, state: str, goods: str = "physical") -> None:
        import_orders(factory, [(1, {
            "order_no": order_no, "shop": {"id": shop, "name": shop, "policy_profile": profile}, "customer": customer,
            "state": state, "payment_channel": "alipay", "created_at": (now - timedelta(days=3)).isoformat(),
            "paid_at": (now - timedelta(days=3)).isoformat(),
            **({"delivered_at": (now - timedelta(days=2)).isoformat(), "completed_at": (now - timedelta(days=1)).isoformat()}
               if state == "completed" else {}),
            "items": [{"sku": "A", "title": "点卡", "goods_type": goods, "quantity": 1, "unit_price": "30.00"}]})])

    order("8800000000001", "cards", "virtual_goods", "paid", goods="virtual_card")
    order("P1000000002", "general", "general", "completed")
    review = AfterSalesService(factory).submit("c1", "8800000000001", "cancel_refund", "changed_mind")
    MerchantService(factory).decide_ticket(review["ticket"]["ticket_no"], False, "卡密已锁定", actor="merchant:m")
    appeal = AppealService(factory).open("c1", "8800000000001", "重复下单了，退到余额也行",
                                         alternative="refund_to_balance")
    TopicCaseService(factory).open("c1", "P1000000002", "not_received", "显示签收了但我没收到")
    complaints = [AfterSalesService(factory).open_ticket("c1", "complaint", "不处理", order_no=n)["ticket"]["ticket_no"]
                  for n in ("8800000000001", "P1000000002")]

    def run(*args: str) -> object:
        shown = runner.invoke(main, list(args), env={"DATABASE_URL": url})
        assert shown.exit_code == 0, shown.output
        return json.loads(shown.output)

    cards = run("orders", "show", "8800000000001")
    [shown_appeal] = [t for t in cards["tickets"] if t["kind"] == "appeal"]
    assert (shown_appeal["ticket_no"], shown_appeal["appeal_of"], shown_appeal["appeal_round"]) == (
        appeal["ticket"]["ticket_no"], review["ticket"]["ticket_no"], 1)
    assert shown_appeal["desired_outcome"] == "refund_to_balance" and shown_appeal["status"] == "new"
    parcel = run("orders", "show", "P1000000002")
    assert [t["kind"] for t in parcel["tickets"]] == ["logistics_investigation", "complaint"]
    assert [t["platform_review"] for t in parcel["tickets"]] == [False, True]
    platform = run("cases", "platform")
    assert sorted(c["ticket_no"] for c in platform) == sorted(complaints)
    assert {c["shop_id"] for c in platform} == {"cards", "general"}
def test_shops_webhook_sets_the_address_prints_the_secret_and_refuses_a_bad_address(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'hooks.sqlite3'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    assert runner.invoke(main, ["demo", "seed"], env=env).exit_code == 0
    done = runner.invoke(main, ["shops", "webhook", "shop_fresh", "https://hooks.shop.example/a"], env=env)
    assert done.exit_code == 0 and done.output.startswith("shop_fresh: webhook https://hooks.shop.example/a secret ")
    assert len(done.output.split()[-1]) == 64
    bad = runner.invoke(main, ["shops", "webhook", "shop_fresh", "ftp://x"], env=env)
    assert bad.exit_code != 0 and "https://" in bad.output
    assert runner.invoke(main, ["shops", "webhook", "shop_fresh", ""], env=env).output == "shop_fresh: no webhook\n"


def test_a_reseed_keeps_the_shops_webhook_and_removes_the_calls_of_the_demo_cases(tmp_path):
    from sqlalchemy import func, select

    from aftersales.adapters.db import tables as t
    from aftersales.adapters.db.engine import session_factory
    from aftersales.service.after_sales import AfterSalesService

    url = f"sqlite:///{tmp_path / 'reseed.sqlite3'}"
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env={"DATABASE_URL": url}).exit_code == 0
    assert runner.invoke(main, ["demo", "seed"], env={"DATABASE_URL": url}).exit_code == 0
    runner.invoke(main, ["shops", "webhook", "shop_lifestyle", "https://hooks.shop.example/a"],
                  env={"DATABASE_URL": url})
    factory = session_factory(url)
    AfterSalesService(factory).open_ticket("c_1001", "escalation", "转人工", order_no="P202611210000101")
    with factory() as session, session.begin():
        ticket = session.scalars(select(t.Ticket)).one()
        session.add(t.WebhookDelivery(shop_id=ticket.shop_id, ticket_id=ticket.id, event="case.urgent", payload={},
                                      status="pending", attempts=0, next_attempt_at=ticket.created_at,
                                      created_at=ticket.created_at))
    reseeded = runner.invoke(main, ["demo", "seed"], env={"DATABASE_URL": url})
    assert reseeded.exit_code == 0, reseeded.output
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(t.WebhookDelivery)) == 0
        assert session.get(t.Shop, "shop_lifestyle").urgent_webhook_url == "https://hooks.shop.example/a"
