"""The CLI end to end on a fresh SQLite file: migrate, seed the demo, inspect, mint tokens."""

from __future__ import annotations

import json

from click.testing import CliRunner

from aftersales.adapters.customer_tokens import verify
from aftersales.cli import main
from aftersales.demo import DEMO_ORDERS


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
