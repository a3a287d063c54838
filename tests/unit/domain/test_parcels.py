"""Tracking numbers in shoppers' messages: told apart from order numbers by a courier's prefix or
the words before them, and what a return's parcel may be told in each state of the return."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.domain import order_numbers, parcels
from aftersales.domain.parcels import ReturnParcelVerdict, return_parcel_verdict


@pytest.mark.parametrize(("text", "number", "carrier"), [
    ("退货已经寄回了，单号SF1234567890", "SF1234567890", "顺丰速运"),
    ("快递单号 7512 3456 7890 12", "75123456789012", None),
    ("中通 75123456789012", "75123456789012", "中通快递"),
    ("运单号：YT 1234 5678 9012 3", "YT1234567890123", "圆通速递"),
    ("寄回单号是JT0012345678901，用的极兔", "JT0012345678901", "极兔速递"),
    ("I've sent it back, tracking no. 9876543210123", "9876543210123", None),
    ("Tracking number is SF1234567890", "SF1234567890", "顺丰速运"),
    ("ＳＦ１２３４５６７８９０", "SF1234567890", "顺丰速运"),  # a full-width IME
    ("EA123456789CN", "EA123456789CN", "中国邮政"),
])
def test_a_parcel_is_found_with_its_carrier(text, number, carrier):
    found = parcels.find(text)
    assert found is not None and (found.tracking_no, found.carrier) == (number, carrier)


@pytest.mark.parametrize("text", [
    "订单号P202611210000105", "P202611210000105 怎么还没发货", "订单 880020261121000104 顺丰的还没到",
    "我的手机号13800001001", "KS2026120200000001", "tracking number is on the way", "",
])
def test_order_numbers_phones_and_words_are_no_parcels(text):
    assert parcels.find(text) is None


def test_an_order_number_beside_a_parcel_is_still_the_orders():
    text = "退货寄出了 顺丰SF1234567890123 订单P202611210000105"
    assert order_numbers.find_in_text(text) == ["P202611210000105"]
    assert order_numbers.parse_answer(text) == "P202611210000105"
    assert order_numbers.parse_answer("SF1234567890") is None
    assert order_numbers.parse_answer("快递单号 75123456789012") is None


@pytest.mark.parametrize(("answer", "number"), [
    ("75123456789012", "75123456789012"), ("SF1234567890。", "SF1234567890"), ("中通 7512 3456 7890 12", "75123456789012"),
    ("顺丰的 880020261121000104", "880020261121000104"),
])
def test_asked_for_a_parcel_a_bare_number_is_one(answer, number):
    found = parcels.parse_answer(answer)
    assert found is not None and found.tracking_no == number


@pytest.mark.parametrize("answer", ["P202611210000105", "KS2026120200000001", "订单880020261121000104顺丰", "寄了", "123"])
def test_asked_for_a_parcel_an_order_number_or_words_are_not(answer):
    assert parcels.parse_answer(answer) is None


@given(st.from_regex(r"[1-9][0-9]{11,17}", fullmatch=True), st.sampled_from(["", "订单", "订单号 ", "order "]))
def test_an_order_number_without_a_parcels_words_stays_an_order_number(digits, before):
    assert order_numbers.find_in_text(f"{before}{digits} 什么时候到") == [digits]


@given(st.from_regex(r"[0-9]{12,15}", fullmatch=True), st.sampled_from(["快递单号", "运单号：", "顺丰 ", "tracking no. "]))
def test_a_number_after_a_parcels_words_is_never_an_order_number(digits, cue):
    text = f"{cue}{digits}"
    assert order_numbers.find_in_text(text) == []
    found = parcels.find(text)
    assert found is not None and found.tracking_no == digits


@pytest.mark.parametrize(("status", "method", "verdict"), [
    (None, None, ReturnParcelVerdict.NO_RETURN),
    ("requested", "ship_back", ReturnParcelVerdict.UNDER_REVIEW),
    ("authorized", "ship_back", ReturnParcelVerdict.AWAITED),
    ("received", "ship_back", ReturnParcelVerdict.RECEIVED),
    ("refunded", "ship_back", ReturnParcelVerdict.RECEIVED),
    ("replacement_shipped", "ship_back", ReturnParcelVerdict.RECEIVED),
    ("rejected", "ship_back", ReturnParcelVerdict.CLOSED),
    ("withdrawn", "ship_back", ReturnParcelVerdict.CLOSED),
    ("authorized", "refuse_delivery", ReturnParcelVerdict.NOT_NEEDED),
    ("requested", "none", ReturnParcelVerdict.NOT_NEEDED),
])
def test_a_returns_parcel_is_awaited_only_once_authorized_by_post(status, method, verdict):
    assert return_parcel_verdict(status, method) is verdict
