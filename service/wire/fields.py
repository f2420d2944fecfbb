"""Wire fields shared by every input format: money as a decimal string, ids, strict schemas.

Not HTTP-specific: the API, the CLI and the pages validate with the same fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

import allocations

__all__ = [
    "CASE_YEAR_PATTERN",
    "DATE_PATTERN",
    "FINANCIAL_YEAR_PATTERN",
    "MONEY_PATTERN",
    "NON_NEGATIVE_MONEY_PATTERN",
    "NO_NUL",
    "PLAUSIBLE_DATES",
    "PLAUSIBLE_DATE_PATTERN",
    "REFERENCE_MAX_LENGTH",
    "REFERENCE_PATTERN",
    "REFERENCE_RULE",
    "REFERENCE_SHAPE",
    "RESERVED_SEGMENTS",
    "SLUG_PATTERN",
    "WEIGHT_PATTERN",
    "Cursor",
    "Day",
    "FinancialYear",
    "FullMatch",
    "Money",
    "Reference",
    "Slug",
    "Strict",
    "cursor_text",
    "flatten",
    "is_reference",
]


MONEY_PATTERN = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"
NON_NEGATIVE_MONEY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"


SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
#: Free text: anything but NUL (which no database stores; every request refuses it).
NO_NUL = r"^[^\x00]*$"


WEIGHT_PATTERN = r"^[0-9]{1,15}(\.[0-9]{1,10})?$"


class Money(fields.Field):  # type: ignore[type-arg]
    """Money on the wire: a decimal string with at most two places; never a JSON number.

    Loads as py-moneyed ``Money``; dumps as the two-place string.
    """

    def __init__(self, *, allow_negative: bool = False, **kwargs: Any):
        metadata = {"type": "string",
                    "pattern": MONEY_PATTERN if allow_negative else NON_NEGATIVE_MONEY_PATTERN,
                    "example": "1100.00",
                    "description": "money: a decimal string with at most 2 places (GBP)"
                    + ("" if allow_negative else ", not negative")}
        super().__init__(metadata=metadata | kwargs.pop("metadata", {}), **kwargs)
        self.allow_negative = allow_negative

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            return allocations.parse_money(value, field="amount",
                                           allow_negative=self.allow_negative)
        except allocations.InvalidMoney as error:
            raise ma.ValidationError(str(error).removeprefix("amount: ")) from error

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else allocations.format_money(value)


DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: The OpenAPI pattern of a date: ``YYYY-MM-DD`` within :data:`PLAUSIBLE_DATES` (the format
#: ``date`` rules out the days a month lacks).
PLAUSIBLE_DATE_PATTERN = r"^(199[0-9]|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"

#: The dates any input may name: nothing in this domain happened before 1990 or is planned
#: after 2100; outside that, a typing slip (0213-05-01, 20135-01-01) is refused at once.
PLAUSIBLE_DATES = (date(1990, 1, 1), date(2100, 12, 31))


class Day(fields.Date):
    """A calendar date written strictly ``YYYY-MM-DD`` (ISO 8601's extended form only: no
    ``20130501``, no week dates, no times), between 1990-01-01 and 2100-12-31
    (:data:`PLAUSIBLE_DATES`)."""

    def __init__(self, **kwargs: Any):
        metadata = {"pattern": PLAUSIBLE_DATE_PATTERN, "example": "2013-05-01"}
        super().__init__(metadata=metadata | kwargs.pop("metadata", {}), **kwargs)
        low, high = PLAUSIBLE_DATES
        self.validators.insert(0, validate.Range(
            min=low, max=high, error=f"an implausible date: give one between {low.isoformat()} "
                                     f"and {high.isoformat()}"))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or not re.fullmatch(DATE_PATTERN, value):
            raise ma.ValidationError("Not a valid date: write YYYY-MM-DD, e.g. 2013-05-01")
        return super()._deserialize(value, attr, data, **kwargs)


class FullMatch(validate.Regexp):
    """A pattern the whole text must match: the OpenAPI document states the pattern as it is
    given (``^...$``), and a trailing newline, which ``$`` alone would let through, is refused
    (marshmallow's ``Regexp`` only matches at the start)."""

    def __init__(self, regex: str, *, error: str | None = None):
        super().__init__(regex, error=error)
        self._whole = re.compile(regex)

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or self._whole.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


def Slug(**kwargs: Any) -> fields.String:
    """An id: letters, digits, ``-``, ``_``, ``.``; at most 100 characters."""
    return fields.String(validate=FullMatch(SLUG_PATTERN, error="not a valid id"), **kwargs)


_CONSECUTIVE = "|".join(f"{n:02d}-{(n + 1) % 100:02d}" for n in range(100))
#: A financial year ``2013-14``: two consecutive calendar years a date can hold (``0000-01``
#: and ``9999-00`` are not), as :func:`rules.periods.parse_financial_year` reads it; written
#: out so that the OpenAPI document refuses ``2013-15`` too.
FINANCIAL_YEAR_PATTERN = rf"^(?!0000-)(?!9999-)[0-9]{{2}}(?:{_CONSECUTIVE})$"
#: A year commissioned, as the case list filters it: ``2015`` or the financial year ``2015-16``.
CASE_YEAR_PATTERN = rf"^(?:19|20)[0-9]{{2}}$|^(?:19|20)(?:{_CONSECUTIVE})$"


def FinancialYear(**kwargs: Any) -> fields.String:
    """A financial year such as ``2013-14`` (:data:`FINANCIAL_YEAR_PATTERN`)."""
    return fields.String(validate=FullMatch(
        FINANCIAL_YEAR_PATTERN, error="a financial year such as 2013-14: two consecutive "
                                      "years"), **kwargs)


class Strict(ma.Schema):
    """Base schema: unknown fields are an error."""

    class Meta:
        unknown = ma.RAISE


#: Words the case URLs use after a reference (``/cases/{reference}/costs``, ``.../billing``,
#: ``.../rebill``; the web app's ``.../details`` and ``.../documents/...``): no segment of a
#: reference after the first is one of them, so every URL names one case and one action.
RESERVED_SEGMENTS = ("costs", "billing", "rebill", "documents", "details")
#: The longest reference.
REFERENCE_MAX_LENGTH = 40
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._-]*"
#: A reference's shape without its length or whole-value rules (the URL converter's regex):
#: segments joined by single slashes, each starting with a letter or digit (so no empty,
#: ``.`` or ``..`` segment that a client or the router would rewrite), none after the first
#: being a reserved word.
REFERENCE_SHAPE = (rf"{_SEGMENT}(?:/(?!(?:{'|'.join(RESERVED_SEGMENTS)})(?![^/])){_SEGMENT})*")
#: The whole rule (with ``maxLength`` :data:`REFERENCE_MAX_LENGTH`): ``new`` alone is the web
#: app's new-case page, so it is no reference either.
REFERENCE_PATTERN = rf"^(?!new$){REFERENCE_SHAPE}$"
_REFERENCE = re.compile(rf"(?!new\Z){REFERENCE_SHAPE}")
REFERENCE_RULE = (
    "a reference such as DHR/2015/01 or DHR-2013-02: up to 40 letters, digits and / . _ -, "
    "each part between slashes starting with a letter or digit; no spaces or control "
    "characters; no part after the first may be " + ", ".join(RESERVED_SEGMENTS)
    + " (the words of the case URLs), and it is not \"new\"")


def is_reference(value: str) -> bool:
    """Whether ``value`` is a case reference (matched in full, trailing newline included)."""
    return len(value) <= REFERENCE_MAX_LENGTH and _REFERENCE.fullmatch(value) is not None


def Reference(**kwargs: Any) -> fields.String:
    """A case reference as councils write them (``DHR/2015/01``, ``DHR-2013-02``): letters,
    digits, ``/ . _ -``, starting with a letter or digit, at most 40 characters, matched in
    full (no whitespace or control characters anywhere, a trailing newline included); see
    :data:`REFERENCE_PATTERN` for the parts between slashes."""

    def full_match(value: str) -> None:
        if not is_reference(value):
            raise ma.ValidationError(REFERENCE_RULE)

    return fields.String(validate=full_match, metadata={
        "pattern": REFERENCE_PATTERN, "maxLength": REFERENCE_MAX_LENGTH,
        "example": "DHR/2015/01"} | kwargs.pop("metadata", {}), **kwargs)


def flatten(messages: object, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested error messages into ``{"costs.0.amount": [...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key in ("value", "key") and prefix:
                path = prefix
            elif key == "_schema":
                path = prefix or "body"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for sub, texts in flatten(value, path).items():
                flat.setdefault(sub, []).extend(texts)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "body"] = list(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            for sub, texts in flatten(value, f"{prefix}.{index}" if prefix else str(index)
                                      ).items():
                flat.setdefault(sub, []).extend(texts)
    else:
        flat[prefix or "body"] = [str(messages)]
    return flat


_CURSOR = re.compile(r"c[0-9a-z]{1,13}")


class Cursor(fields.Field):  # type: ignore[type-arg]
    """Where a page of a list starts: the opaque ``cursor`` of the previous page's ``next``.

    On the wire an opaque text; loaded, the position (an integer) after which the page starts.
    """

    _PREFIX = "c"

    def __init__(self, **kwargs: Any):
        super().__init__(metadata={
            "type": "string", "pattern": r"^c[0-9a-z]{1,13}$",
            "description": "where the page starts: the cursor in the previous page's `next`"},
            **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and _CURSOR.fullmatch(value):
            position = int(value[1:], 36)
            if position < 2**62:
                return position
        raise ma.ValidationError("not a cursor of this list (use the `next` of a page)")

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else cursor_text(int(value))


def cursor_text(position: int) -> str:
    """The wire form of a page's start (see :class:`Cursor`)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        position, digit = divmod(position, 36)
        text = digits[digit] + text
        if not position:
            return Cursor._PREFIX + text
