"""How the pages write money and dates: ``£1,234.56`` (negative ``\u2212£12.34``, a true minus
sign) and ``1 April 2013``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jinja2 import Environment

__all__ = ["MINUS", "change", "install", "long_date", "money", "options", "pence"]

#: U+2212, the minus sign (a hyphen is not one).
MINUS = "\u2212"


def _amount(value: Any) -> Decimal:
    if hasattr(value, "amount"):  # py-moneyed Money
        return Decimal(value.amount)
    return Decimal(str(value))


def money(value: Any) -> str:
    """A Money, Decimal or decimal string as ``£1,234.56``; a negative one with U+2212."""
    if value is None or value == "":
        return ""
    amount = _amount(value).quantize(Decimal("0.01"))
    text = f"£{abs(amount):,.2f}"
    return MINUS + text if amount < 0 else text


def change(value: Any) -> str:
    """A difference: like :func:`money`, with ``+`` before a rise (``+£101.19``)."""
    text = money(value)
    return "+" + text if text and _amount(value) > 0 else text


def pence(value: int) -> str:
    """Integer pence as money."""
    return money(Decimal(value).scaleb(-2))


def long_date(value: date | datetime | str | None) -> str:
    """A date (or ISO date string) as ``1 April 2013``; a datetime adds ``at 14:05``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.removesuffix("Z")) if "T" in value \
            else date.fromisoformat(value)
    text = f"{value.day} {value:%B %Y}"
    if isinstance(value, datetime):
        text += f" at {value:%H:%M}"
    return text


def options(choices: list[tuple[str, str]], selected: str) -> list[dict[str, Any]]:
    """A GOV.UK select's items from ``(value, text)`` pairs, ``selected`` chosen."""
    return [{"value": value, "text": text, "selected": value == selected}
            for value, text in choices]


def install(environment: Environment) -> None:
    """Make the filters and helpers available to every template."""
    environment.globals["options"] = options
    environment.filters["zip_self"] = lambda values: [(str(v), str(v)) for v in values]
    environment.filters["money"] = money
    environment.filters["pence"] = pence
    environment.filters["change"] = change
    environment.filters["change_pence"] = lambda value: change(Decimal(value).scaleb(-2))
    environment.filters["long_date"] = long_date
