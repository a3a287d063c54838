"""`aftersales orders import`: every bad line named, nothing written unless everything is good."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.entrypoints.cli import main

GOOD = {"order_no": "P1000000001", "shop": {"id": "s1", "name": "Shop", "policy_profile": "general"},
        "customer": {"id": "c1", "name": "Ann", "phone": "13900000001"}, "state": "paid",
        "payment_channel": "alipay", "created_at": "2026-11-01T10:00:00+08:00", "paid_at": "2026-11-01T10:01:00",
        "items": [{"sku": "A", "title": "Mug", "goods_type": "physical", "quantity": 2, "unit_price": "12.50"}]}


def run(database_url, path):
    return CliRunner().invoke(main, ["orders", "import", str(path)], env={"DATABASE_URL": database_url})


def orders_in(database_url):
    with session_factory(database_url)() as session:
        return session.scalar(select(func.count()).select_from(t.Order))


def test_good_jsonl_imports(database_url, tmp_path):
    second = {**GOOD, "order_no": "P 1000-000-002", "state": "pending_payment", "payment_channel": None}
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (GOOD, second)) + "\n", encoding="utf-8")
    result = run(database_url, path)
    assert result.exit_code == 0, result.output
    assert "imported 2 orders" in result.output
    shown = CliRunner().invoke(main, ["orders", "show", "P1000000002"], env={"DATABASE_URL": database_url})
    assert json.loads(shown.output)["state"] == "pending_payment"
    paid = json.loads(CliRunner().invoke(main, ["orders", "show", "P1000000001"],
                                         env={"DATABASE_URL": database_url}).output)
    assert paid["total"] == 2500 and paid["paid_at"] == "2026-11-01T02:01:00+00:00"  # naive = China time


def test_bad_lines_are_each_named_and_nothing_is_written(database_url, tmp_path):
    lines = [
        json.dumps(GOOD),                                                   # 1 good
        json.dumps({**GOOD, "order_no": "12-34"}),                          # 2 bad number
        "{not json",                                                        # 3
        json.dumps({**GOOD, "order_no": "P1000000003", "state": "shipped"}),  # 4 no shipped_at
        json.dumps({**GOOD, "order_no": "P1000000004", "items": [
            {"sku": "A", "title": "x", "goods_type": "virtual_card", "quantity": 1, "unit_price": "1"},
            {"sku": "B", "title": "y", "goods_type": "physical", "quantity": 0, "unit_price": "-3"}]}),  # 5
        json.dumps(GOOD),                                                   # 6 duplicate of line 1
    ]
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run(database_url, path)
    assert result.exit_code != 0
    assert ".jsonl:3: not valid JSON" in result.output
    assert orders_in(database_url) == 0
    del lines[2]  # fix the syntax error; the data errors remain
    path.write_text("\n".join(lines) + "\n")
    result = run(database_url, path)
    assert result.exit_code != 0
    for expected in (":2: order_no '12-34'", ":3: a shipped order needs shipped_at", ":4: an order cannot mix",
                     ":4: item 2: quantity", ":4: item 2 unit_price '-3'", ":5: order P1000000001 appears again"):
        assert expected in result.output, result.output
    assert ":1:" not in result.output
    assert orders_in(database_url) == 0


CSV_HEADER = ("order_no,shop_id,shop_name,policy_profile,customer_id,customer_name,customer_phone,state,"
              "payment_channel,created_at,paid_at,sku,title,goods_type,quantity,unit_price\n")


def test_csv_rows_of_one_order_become_its_items(database_url, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(CSV_HEADER
                    + "P1000000001,s1,Shop,general,c1,Ann,13900000001,paid,alipay,2026-11-01T10:00:00,2026-11-01T10:01:00,A,Mug,physical,1,12.50\n"
                    + "P1000000001,s1,Shop,general,c1,Ann,13900000001,paid,alipay,2026-11-01T10:00:00,2026-11-01T10:01:00,B,\"Towel, blue\",physical,3,5\n",
                    encoding="utf-8")
    result = run(database_url, path)
    assert result.exit_code == 0, result.output
    shown = json.loads(CliRunner().invoke(main, ["orders", "show", "P1000000001"],
                                          env={"DATABASE_URL": database_url}).output)
    assert [i["title"] for i in shown["items"]] == ["Mug", "Towel, blue"] and shown["total"] == 1250 + 1500


def test_csv_errors_carry_file_line_numbers(database_url, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(CSV_HEADER
                    + "P1000000001,s1,Shop,general,c1,Ann,13900000001,paid,alipay,2026-11-01T10:00:00,2026-11-01T10:01:00,A,Mug,physical,1,12.50\n"
                    + "P1000000002,s9,,,c1,,,paid,paypal,yesterday,,A,Mug,physical,1,12.50\n"
                    + "P1000000001,s1,Shop,general,c1,Ann,13900000001,delivered,alipay,2026-11-01T10:00:00,2026-11-01T10:01:00,B,Cup,physical,1,1\n")
    result = run(database_url, path)
    assert result.exit_code != 0
    assert ":4: order columns differ from the row on line 2" in result.output
    path.write_text(CSV_HEADER
                    + "P1000000002,s9,,,c1,,,paid,paypal,yesterday,,A,Mug,physical,1,12.50\n")
    result = run(database_url, path)
    for expected in (":2: unknown payment_channel 'paypal'", ":2: created_at 'yesterday'", ":2: shop 's9' is unknown",
                     ":2: customer 'c1' is unknown"):
        assert expected in result.output, result.output
    assert orders_in(database_url) == 0


@pytest.mark.parametrize("name", ["orders.xlsx", "orders.txt"])
def test_unknown_file_types_are_refused(database_url, tmp_path, name):
    path = tmp_path / name
    path.write_text("x")
    result = run(database_url, path)
    assert result.exit_code != 0 and "use .jsonl or .csv" in result.output
