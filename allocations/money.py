"""Exact money: strict parsing, minor units and formatting.

Money is py-moneyed's :class:`moneyed.Money` (a ``Decimal`` amount and a currency). Arithmetic
that must be exact (splitting) is done in integer minor units (pence for GBP); binary floating
point is refused wherever money enters.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator, Mapping
from decimal import Decimal, InvalidOperation

from moneyed import Currency, Money, get_currency

from allocations.exceptions import InvalidMoney

__all__ = [
    "GBP",
    "MAX_INTEGER_DIGITS",
    "MinorAmounts",
    "Money",
    "format_minor",
    "format_money",
    "from_minor",
    "minor_units",
    "parse_money",
    "to_minor",
    "zero",
]

GBP: Currency = get_currency("GBP")

#: The largest amount accepted on input has this many digits before the point (under £1 trillion).
MAX_INTEGER_DIGITS = 12

_DECIMAL_STRING = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_NOT_A_NUMBER = {"nan", "-nan", "+nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"}


def minor_units(currency: Currency) -> int:
    """Return how many minor units make one major unit (100 for GBP)."""
    return int(currency.sub_unit)


_PLACES: dict[str, int] = {}


def _places(currency: Currency) -> int:
    places = _PLACES.get(currency.code)
    if places is None:
        places = _PLACES[currency.code] = len(str(minor_units(currency))) - 1
    return places


def zero(currency: Currency = GBP) -> Money:
    """Return zero in ``currency``."""
    return Money(Decimal(0), currency)


def from_minor(amount: int, currency: Currency = GBP) -> Money:
    """Return the money that is ``amount`` minor units (pence) of ``currency``."""
    places = _places(currency)
    return Money(Decimal(amount).scaleb(-places), currency)


class MinorAmounts(Mapping[Hashable, Money]):
    """A read-only mapping key -> money kept as integer minor units (``minor``): a ``Money`` is
    made only when one is read. A fund's line carried into the next year (damping, passports)
    has an amount per recipient; the lines read ``minor`` directly."""

    __slots__ = ("currency", "minor")

    def __init__(self, minor: Mapping[Hashable, int], currency: Currency = GBP):
        self.minor = minor
        self.currency = currency

    def __getitem__(self, key: Hashable) -> Money:
        return from_minor(self.minor[key], self.currency)

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.minor)

    def __len__(self) -> int:
        return len(self.minor)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: {format_minor(v, self.currency)}" for k, v in self.minor.items())
        return f"MinorAmounts({{{inner}}}, {self.currency.code})"


def to_minor(money: Money) -> int:
    """Return ``money`` as an integer number of minor units.

    Raises:
        InvalidMoney: if the amount has more places than the currency's minor unit.
    """
    shape = _SHAPES.get(money.currency.code)
    if shape is None:
        shape = _shape(money.currency)
    scaled = money.amount * shape[1]
    if not scaled.is_finite():
        raise InvalidMoney(f"{money.amount} {money.currency.code} is not a finite amount")
    minor = int(scaled)
    if minor != scaled:
        raise InvalidMoney(
            f"{money.amount} {money.currency.code} has more places than the currency allows"
        )
    return minor


def format_money(money: Money) -> str:
    """Return the wire form of ``money``: a decimal string with exactly the currency's places."""
    places = _places(money.currency)
    amount = money.amount
    text = f"{amount:f}"
    # The common case: the amount already has exactly the currency's places (and is not -0).
    if places and len(text) - text.find(".") - 1 == places and "." in text and (
            amount or text[0] != "-"):
        return text
    return format_minor(to_minor(money), money.currency)


def format_minor(minor: int, currency: Currency = GBP) -> str:
    """Return the wire form of ``minor`` minor units of ``currency`` (the same text as
    ``format_money(from_minor(minor, currency))``, without making the money)."""
    places, unit = _SHAPES.get(currency.code) or _shape(currency)
    if minor < 0:
        return "-" + format_minor(-minor, currency)
    if places == 2:  # (most currencies: the common case first, without a format spec)
        whole, part = divmod(minor, 100)
        return f"{whole}.{part}" if part >= 10 else f"{whole}.0{part}"
    if places == 0:
        return str(minor)
    whole, part = divmod(minor, unit)
    return f"{whole}.{part:0{places}d}"


#: Per currency code: its places and how many minor units make one major unit.
_SHAPES: dict[str, tuple[int, int]] = {}


def _shape(currency: Currency) -> tuple[int, int]:
    shape = _SHAPES[currency.code] = (_places(currency), minor_units(currency))
    return shape


def parse_money(
    value: object,
    *,
    currency: str = "GBP",
    field: str = "amount",
    allow_negative: bool = False,
) -> Money:
    """Parse ``value`` strictly into :class:`Money` of ``currency``.

    Accepted: a decimal string such as ``"1100.00"`` or ``"1100"`` (at most the currency's
    places, at most :data:`MAX_INTEGER_DIGITS` digits before the point), a finite ``Decimal``,
    or a ``Money`` already in ``currency``. Refused, each with a message naming ``field``: floats
    and other JSON numbers, booleans, empty strings, NaN and infinities, exponents, thousands
    separators or currency symbols, more places than the currency has, a negative amount unless
    ``allow_negative``, and another currency.

    Raises:
        InvalidMoney: with a message that says what was wrong.
    """
    want = get_currency(currency)
    if type(value) is str:
        quantum = _PLAIN.get(want.code)
        if quantum is None:
            quantum = _plain(want)
        if quantum[0].fullmatch(value):  # the usual amount: "1100.00", "42", "0.5"
            return Money(Decimal(value).quantize(quantum[1]), want)
    if isinstance(value, Money):
        if value.currency != want:
            raise InvalidMoney(
                f"{field}: currency {value.currency.code} given where {want.code} is required"
            )
        amount = value.amount
    elif isinstance(value, (bool, int, float)):
        raise InvalidMoney(
            f"{field}: money must be a decimal string such as \"1100.00\", not a number ({value!r})"
        )
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        amount = _parse_decimal_string(value, field)
    else:
        raise InvalidMoney(
            f"{field}: money must be a decimal string such as \"1100.00\", "
            f"not {type(value).__name__}"
        )
    if not amount.is_finite():
        raise InvalidMoney(f"{field}: {amount} is not a finite amount")
    places = _places(want)
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -places:
        raise InvalidMoney(f"{field}: {value} has more than {places} decimal places")
    if abs(amount) >= Decimal(10) ** MAX_INTEGER_DIGITS:
        raise InvalidMoney(f"{field}: {value} is too large (at most {MAX_INTEGER_DIGITS} digits)")
    if amount < 0 and not allow_negative:
        raise InvalidMoney(f"{field}: {value} is negative; a positive amount is required")
    return Money(amount.quantize(Decimal(1).scaleb(-places)) + 0, want)


#: Per currency code: the pattern of a plain amount (digits, then at most the currency's places;
#: no sign, at most MAX_INTEGER_DIGITS digits before the point) and the currency's quantum.
_PLAIN: dict[str, tuple[re.Pattern[str], Decimal]] = {}


def _plain(currency: Currency) -> tuple[re.Pattern[str], Decimal]:
    places = _places(currency)
    fraction = rf"(\.[0-9]{{1,{places}}})?" if places else ""
    found = _PLAIN[currency.code] = (re.compile(rf"[0-9]{{1,{MAX_INTEGER_DIGITS}}}{fraction}"),
                                     Decimal(1).scaleb(-places))
    return found


def _parse_decimal_string(text: str, field: str) -> Decimal:
    stripped = text.strip()
    if not stripped:
        raise InvalidMoney(f"{field}: money is an empty string; give an amount such as \"1100.00\"")
    if stripped.lower() in _NOT_A_NUMBER:
        raise InvalidMoney(f"{field}: {text!r} is not a finite amount")
    if stripped != text:
        raise InvalidMoney(f"{field}: {text!r} has surrounding spaces")
    if "e" in text.lower():
        raise InvalidMoney(f"{field}: {text!r} uses exponent notation; write the amount in full")
    if not _DECIMAL_STRING.fullmatch(text):
        raise InvalidMoney(
            f"{field}: {text!r} is not a decimal amount; write digits with an optional point "
            "and at most 2 places, e.g. \"1100.00\" (no currency symbols or separators)"
        )
    whole = text.lstrip("-").split(".")[0]
    if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise InvalidMoney(f"{field}: {text!r} is too large (at most {MAX_INTEGER_DIGITS} digits)")
    try:
        return Decimal(text)
    except InvalidOperation as error:  # pragma: no cover - the pattern above already guarantees it
        raise InvalidMoney(f"{field}: {text!r} is not a decimal amount") from error
