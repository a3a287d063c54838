"""Order files for `aftersales orders import`: JSON Lines (one order per line) or CSV (one order
line item per row). Both become the same records, each with the line number it came from; the
service validates and writes them all or nothing. Schema: docs/import-format.md."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

ORDER_FIELDS = ("order_no", "state", "payment_channel", "currency", "shipping_fee", "created_at", "paid_at",
                "shipped_at", "delivered_at", "redeemed_at", "completed_at", "carrier", "tracking_no",
                "distance_to_destination_km", "fulfillment_locked", "ship_to")
ITEM_FIELDS = ("sku", "title", "goods_type", "quantity", "unit_price", "current_unit_price")
CSV_COLUMNS = ("order_no", "shop_id", "shop_name", "policy_profile", "customer_id", "customer_name",
               "customer_phone", *ORDER_FIELDS[1:], *ITEM_FIELDS)
REQUIRED_CSV_COLUMNS = ("order_no", "shop_id", "customer_id", "state", "created_at", *ITEM_FIELDS[:-1])


class FileFormatError(ValueError):
    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__("; ".join(f"line {line}: {msg}" for line, msg in problems))
        self.problems = problems


def read_order_file(path: Path) -> list[tuple[int, dict[str, Any]]]:
    text = path.read_text(encoding="utf-8-sig")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return parse_json_lines(text)
    if suffix == ".csv":
        return parse_csv(text)
    raise FileFormatError([(0, f"unknown file type {suffix!r}: use .jsonl or .csv")])


def parse_json_lines(text: str) -> list[tuple[int, dict[str, Any]]]:
    records, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append((number, f"not valid JSON ({exc.msg})"))
            continue
        if not isinstance(value, dict):
            problems.append((number, "each line must be one JSON object (an order)"))
            continue
        records.append((number, value))
    if problems:
        raise FileFormatError(problems)
    return records


def parse_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    """Rows with the same order_no are the line items of one order; their order columns must agree."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_CSV_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        msgs = ([f"missing columns: {', '.join(missing)}"] if missing else []) + (
            [f"unknown columns: {', '.join(unknown)}"] if unknown else [])
        raise FileFormatError([(1, m) for m in msgs])
    orders: dict[str, tuple[int, dict[str, Any]]] = {}
    problems: list[tuple[int, str]] = []
    for row in reader:
        line = reader.line_num
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if None in row or any(v is None for v in row.values()):
            problems.append((line, "wrong number of fields"))
            continue
        item = {k: row[k] for k in ITEM_FIELDS if k in row}
        order = {k: row[k] for k in ORDER_FIELDS if row.get(k, "") != ""}
        order["shop"] = {"id": row["shop_id"], **({"name": row["shop_name"]} if row.get("shop_name") else {}),
                         **({"policy_profile": row["policy_profile"]} if row.get("policy_profile") else {})}
        order["customer"] = {"id": row["customer_id"],
                             **({"name": row["customer_name"]} if row.get("customer_name") else {}),
                             **({"phone": row["customer_phone"]} if row.get("customer_phone") else {})}
        key = row["order_no"]
        if key in orders:
            first_line, existing = orders[key]
            same = {k: v for k, v in existing.items() if k != "items"} == order
            if not same:
                problems.append((line, f"order columns differ from the row on line {first_line} for the same order_no"))
                continue
            existing["items"].append(item)
        else:
            order["items"] = [item]
            orders[key] = (line, order)
    if problems:
        raise FileFormatError(problems)
    return list(orders.values())
