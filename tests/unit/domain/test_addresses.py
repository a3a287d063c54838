"""A new address typed in the chat: a phone the courier can call and an address to go to."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.domain.addresses import NewAddress, Problem, parse


@pytest.mark.parametrize(("raw", "phone"), [
    ("张三 13812345678 上海市浦东新区世纪大道100号 5楼", "13812345678"),
    ("收货人：李四，电话 +86 139-1234-5678，杭州市西湖区文三路 88 号", "13912345678"),
    ("Wang Wu, 15800001111, Room 5, 88 Nanjing Rd, Shanghai", "15800001111"),
])
def test_a_usable_address(raw, phone):
    parsed = parse(raw)
    assert isinstance(parsed, NewAddress) and parsed.phone == phone
    assert parsed.masked_phone == f"{phone[:3]}****{phone[-4:]}"


@pytest.mark.parametrize(("raw", "problem"), [
    ("上海市浦东新区世纪大道100号", Problem.NO_PHONE),
    ("12812345678 上海市浦东新区世纪大道", Problem.NO_PHONE),  # not a mobile number
    ("138123456789 上海市浦东新区", Problem.NO_PHONE),  # twelve digits
    ("13812345678 上海", Problem.TOO_SHORT),
    ("13812345678 " + "很长的地址" * 50, Problem.TOO_LONG),
])
def test_what_a_courier_could_not_use(raw, problem):
    assert parse(raw) is problem


@given(st.text(max_size=300))
def test_any_text_is_either_an_address_with_a_mobile_number_or_a_problem(raw):
    parsed = parse(raw)
    if isinstance(parsed, NewAddress):
        assert len(parsed.phone) == 11 and parsed.phone[0] == "1" and len(parsed.text) <= 200
    else:
        assert parsed in set(Problem)
