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


def test_the_readmes_token_minting_snippet_makes_tokens_the_bot_accepts():
    import re

    from aftersales.adapters.customer_tokens import verify

    snippet = next(block for block in re.findall(r"```python\n(.*?)```", README, re.S) if "def chat_token" in block)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - our own README's code, checked on purpose
    assert verify("s" * 40, namespace["chat_token"]("c_1001", "s" * 40)) == "c_1001"


def test_readme_demo_merchant_sign_ins_match_the_seed():
    from aftersales.demo import DEMO_MERCHANTS

    for email, _, password, _ in DEMO_MERCHANTS:
        assert f"`{email}` / `{password}`" in README


def test_the_readmes_flow_table_is_what_the_policy_files_give():
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "scripts" / "flow_table.py"
    spec = importlib.util.spec_from_file_location("flow_table", path)
    flow_table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(flow_table)
    start = README.index(flow_table.BEGIN) + len(flow_table.BEGIN)
    assert README[start:README.index(flow_table.END)].strip() == flow_table.table()
