"""One idea of an order number in both runtimes: the NLU's `order_no` regex (data/nlu.yml, which the
bot runtime's RegexEntityExtractor uses) finds the same numbers in a message as the domain's
aftersales.domain.order_numbers, which the actions then normalise."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aftersales.domain import order_numbers

NLU = yaml.safe_load((Path(__file__).resolve().parents[3] / "data" / "nlu.yml").read_text(encoding="utf-8"))
[ORDER_NO_REGEX] = [re.compile(line.strip()[2:]) for entry in NLU["nlu"] if entry.get("regex") == "order_no"
                    for line in entry["examples"].splitlines() if line.strip()]


def digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def found_by_the_nlu(text: str) -> list[str]:
    # The bot runtime extracts entities from the normalised text (bot_extensions.text: NFKC).
    return [digits(m.group(0)) for m in ORDER_NO_REGEX.finditer(unicodedata.normalize("NFKC", text))]


def found_by_the_domain(text: str) -> list[str]:
    return [digits(number) for number in order_numbers.find_in_text(text)]


PIECES = st.sampled_from(["0", "1", "2", "5", "9", "8", "2026", "11210000", " ", "-", "–", "—", "_", "‑", "P",
                          "KS", "ks", "p", "订单", "号", "，", "for ", "order ", "１", "２", "\u3000", "x"])


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
    # The domain names each number once, the extractor tags every mention; compared by their digits
    # (the prefix is the normaliser's business), so each side is taken once per digit string.
    assert list(dict.fromkeys(found_by_the_nlu(text))) == list(dict.fromkeys(found_by_the_domain(text)))
