"""The README's promises that code can check."""

from pathlib import Path

from aftersales.demo import DEMO_ORDERS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands():
    head = README[:600]
    assert "make run" in head and "make test" in head


def test_readme_lists_every_demo_order_with_its_customer_and_state():
    for order_no, _, customer, state, *_ in DEMO_ORDERS:
        row = next((line for line in README.splitlines() if f"`{order_no}`" in line), None)
        assert row is not None, order_no
        assert f"`{customer}`" in row and f"| {state} |" in row
