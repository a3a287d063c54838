"""One idea of an order number in both runtimes: the NLU's `order_no` regex (data/nlu.yml, which the
bot runtime's RegexEntityExtractor uses) finds the same numbers in a message as the domain's
aftersales.domain.order_numbers, which the actions then normalise. A courier's prefix ("SF1234…") marks a
tracking number for both in the shapes couriers print; for anything else that holds a parcel
(aftersales.domain.parcels) — a number marked only by the words before it ("快递单号 7512…"), odd
spacings around a prefix — the regex may still tag it, and the actions then read the order number
from the whole message (actions.order_lookup), as the domain does."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from aftersales.domain import order_numbers, parcels

ROOT = Path(__file__).resolve().parents[3]
NLU = yaml.safe_load((ROOT / "data" / "nlu.yml").read_text(encoding="utf-8"))
# Compiled as the pipeline's RegexEntityExtractor compiles it (config.yml says whether case counts).
[EXTRACTOR] = [c for c in yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
               if c["name"] == "RegexEntityExtractor"]
FLAGS = 0 if EXTRACTOR.get("case_sensitive", False) else re.IGNORECASE
def regexes(name: str) -> list[re.Pattern[str]]:
    return [re.compile(line.strip()[2:], FLAGS) for entry in NLU["nlu"] if entry.get("regex") == name
            for line in entry["examples"].splitlines() if line.strip()]


[ORDER_NO_REGEX] = regexes("order_no")
TRACKING_NO_REGEXES = regexes("tracking_no")


def digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def found_by_the_nlu(text: str) -> list[str]:
    # The bot runtime extracts entities from the normalised text (bot_extensions.text: NFKC).
    return [digits(m.group(0)) for m in ORDER_NO_REGEX.finditer(unicodedata.normalize("NFKC", text))]


def found_by_the_domain(text: str) -> list[str]:
    return [digits(number) for number in order_numbers.find_in_text(text)]


PIECES = st.sampled_from(["0", "1", "2", "5", "9", "8", "2026", "11210000", " ", "-", "–", "—", "_", "‑", "P",
                          "KS", "ks", "p", "SF", "sf", "JT", "JDV", "订单", "号", "，", "for ", "order ", "１", "２", "\u3000", "x"])


@settings(max_examples=500)
@given(st.lists(PIECES, max_size=40).map("".join))
@example("订单号 KS 2024-0521-8899-01 还没发货")
@example("P2026 1121 0000 105，还有 13800001001")
@example("invoice for 6150339271846")
@example("2026–1121–0000–1050 和 2026–1121–0000–1050")
@example("订单２０２６１１２１０００００１０５")
@example("12345678901234567890123")  # too long: no order number at all
@example("P1121000011210000 1121000011210000")  # two numbers with the same digits
def test_the_nlu_and_the_domain_find_the_same_numbers(text):
    assume(not parcels.find_all(text))
    # The domain names each number once, the extractor tags every mention; compared by their digits
    # (the prefix is the normaliser's business), so each side is taken once per digit string.
    assert list(dict.fromkeys(found_by_the_nlu(text))) == list(dict.fromkeys(found_by_the_domain(text)))


@pytest.mark.parametrize(("text", "orders"), [
    ("退货 SF1234567890 订单 P202611210000105", ["202611210000105"]), ("SF1234567890", []),
    ("SF 1234567890", []), ("sf1234567890", []), ("sf 1234567890", []), ("JT0012345678901 到了吗", []), ("JDV012345678901", []),
    ("P202611210000105 退货已寄出 YT3456789012345", ["202611210000105"]),
])
def test_a_couriers_number_is_no_order_number_for_either(text, orders):
    assert found_by_the_nlu(text) == orders and found_by_the_domain(text) == orders


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["SF", "sf", "JT", "JDV", "P", "KS", "运单号", "快递单号：", "订单号", "顺丰 ", " ", "-",
                                 "0", "1", "7512", "34567890", "2026", "，", "x"]), max_size=30).map("".join))
@example("给你退货单号 JT9876543210123")
def test_a_tracking_number_the_nlu_tags_is_a_parcel_for_the_domain(text):
    """The NLU's `tracking_no` (which turns a message into return_shipped) never tags what the actions
    would not read as a parcel."""
    normalized = unicodedata.normalize("NFKC", text)
    tagged = [m.group(0) for r in TRACKING_NO_REGEXES for m in r.finditer(normalized)]
    if tagged:
        assert parcels.find_all(text), tagged
