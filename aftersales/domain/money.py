"""Money in integer minor units (分 for CNY): no floats anywhere near a refund."""

from __future__ import annotations

from dataclasses import dataclass

_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$"}


@dataclass(frozen=True, order=True)
class Money:
    minor: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int):
            raise TypeError("money is counted in integer minor units")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def display(self) -> str:
        """``¥1,299.00``: how shoppers read amounts."""
        sign = "-" if self.minor < 0 else ""
        major, cents = divmod(abs(self.minor), 100)
        return f"{sign}{_SYMBOLS.get(self.currency, self.currency + ' ')}{major:,}.{cents:02d}"


def format_amount(minor: int) -> str:
    """1250 → ``"12.50"``: the inverse of :func:`parse_amount`, as providers' APIs take amounts."""
    if minor < 0:
        raise ValueError(f"not an amount: {minor}")
    return f"{minor // 100}.{minor % 100:02d}"


def parse_amount(text: str) -> int:
    """``"12.5"`` → 1250. Raises ValueError for anything that is not a non-negative amount with at
    most two decimals (imports must not round money silently)."""
    text = text.strip()
    if not text or text.startswith(("-", "+")):
        raise ValueError(f"not an amount: {text!r}")
    major, _, minor = text.partition(".")
    if not major.isdigit() or (minor and (not minor.isdigit() or len(minor) > 2)):
        raise ValueError(f"not an amount with at most two decimals: {text!r}")
    return int(major) * 100 + int((minor or "0").ljust(2, "0"))
