import pytest

from aftersales.domain.order_numbers import find_in_text, looks_like_attempt, normalize, parse_answer


@pytest.mark.parametrize(("raw", "expected"), [
    ("1234567890", "1234567890"),
    ("12345678901234567890", "12345678901234567890"),
    ("P202611210000102", "P202611210000102"),
    ("p 2026-1121-0000-102", "P202611210000102"),
    ("KS 2026 1121 0000 0101", "KS2026112100000101"),
    ("ＫＳ２０２６１１２１０００００１０１", "KS2026112100000101"),  # full-width IME input
    ("  8800—2026—1121—0001—01 ", "880020261121000101"),
])
def test_normalize_accepts_what_shoppers_type(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", [
    None, "", "123456789", "123456789012345678901", "ABCD1234567890", "12345abc67890", "P-", "订单",
    "<script>1234567890</script>", "1234567890;DROP TABLE orders",
])
def test_normalize_rejects_what_is_not_an_order_number(raw):
    assert normalize(raw) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("我要取消订单1234567890", ["1234567890"]),
    ("订单号：P202611210000102，还没发货", ["P202611210000102"]),
    ("单号 KS 2026-1121-0000-0101 能拦截吗", ["KS2026112100000101"]),
    ("order no. p202611210000102 please cancel", ["P202611210000102"]),
    ("invoice for 6150339271846 please", ["6150339271846"]),  # a word, not a prefix
    ("my order is 80239465721", ["80239465721"]),
    ("两个单 1234567890 和 9876543210，还有 1234567890", ["1234567890", "9876543210"]),
    ("我的手机尾号是1234", []),
    ("123456789012345678901234", []),  # 24 digits: too long, not cut into a shorter number
    ("", []),
])
def test_find_in_text(text, expected):
    assert find_in_text(text) == expected


def test_looks_like_attempt_spots_wrong_lengths():
    assert looks_like_attempt("订单号 12345678")
    assert looks_like_attempt("123456789012345678901234")
    assert not looks_like_attempt("订单号 1234567890")
    assert not looks_like_attempt("你好")


@pytest.mark.parametrize(("text", "expected"), [
    ("p 2026-1121-0000-102", "P202611210000102"),
    ("for 6150339271846", "6150339271846"),
    ("取消订单 KS2026112100000101", "KS2026112100000101"),
    ("你好", None),
])
def test_parse_answer(text, expected):
    assert parse_answer(text) == expected
