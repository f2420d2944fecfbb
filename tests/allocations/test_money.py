"""The strict money parser: what it accepts and how it says what was wrong."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from moneyed import Money

from allocations import InvalidMoney, format_money, from_minor, parse_money, to_minor
from tests import strategies


@pytest.mark.parametrize(("text", "pence"), [
    ("1100.00", 110000), ("1100", 110000), ("0.5", 50), ("0.05", 5), ("0", 0),
    ("999999999999.99", 99999999999999), ("007.10", 710),
])
def test_accepts_decimal_strings(text: str, pence: int) -> None:
    money = parse_money(text)
    assert money.currency.code == "GBP"
    assert to_minor(money) == pence


@pytest.mark.parametrize(("value", "says"), [
    (1100.0, "not a number"),
    (1100, "not a number"),
    (True, "not a number"),
    ("", "empty"),
    ("NaN", "not a finite amount"),
    ("Infinity", "not a finite amount"),
    ("-inf", "not a finite amount"),
    ("1e3", "exponent"),
    ("1.5E2", "exponent"),
    ("1.234", "more than 2 decimal places"),
    ("1.230", "more than 2 decimal places"),
    ("£100", "not a decimal amount"),
    ("1,100.00", "not a decimal amount"),
    ("1100.", "not a decimal amount"),
    (" 5.00", "surrounding spaces"),
    ("0x10", "not a decimal amount"),
    ("1" * 13, "too large"),
    ("-5.00", "negative"),
    (None, "not NoneType"),
    (Decimal("NaN"), "not a finite amount"),
    (Money("5.00", "EUR"), "currency EUR"),
])
def test_refuses_with_a_reason(value: object, says: str) -> None:
    with pytest.raises(InvalidMoney, match=says) as caught:
        parse_money(value, field="costs.0.amount")
    assert str(caught.value).startswith("costs.0.amount: ")


def test_negative_allowed_when_asked() -> None:
    assert to_minor(parse_money("-5.01", allow_negative=True)) == -501


def test_other_currency_when_asked() -> None:
    assert parse_money("5.00", currency="EUR").currency.code == "EUR"


@given(strategies.pence)
def test_format_and_parse_round_trip(pence: int) -> None:
    text = format_money(from_minor(pence))
    assert to_minor(parse_money(text, allow_negative=True)) == pence
    assert text.count(".") == 1 and len(text.split(".")[1]) == 2


def test_sub_penny_money_is_refused_in_minor_units() -> None:
    with pytest.raises(InvalidMoney):
        to_minor(Money("0.001", "GBP"))
