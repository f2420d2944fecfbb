"""The parsing kit of ruleset files and scenario changes: typed readers that collect problems.

Every converter takes ``(value, path)`` and returns the parsed value or raises
:class:`BadValue`; a :class:`Reader` records that problem with the path of its entry
(``organisations.some-trust.active.0.to``) instead of raising, so a whole file is read before
its problems are reported together.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, TypeVar

from moneyed import Money

import allocations
from rules.periods import Period

__all__ = [
    "BadValue",
    "Converter",
    "Problems",
    "Reader",
    "iso_date",
    "list_of",
    "money",
    "one_of",
    "parse_weight",
    "percent",
    "period",
    "periods",
    "slug",
    "table_of",
    "text",
    "weights_map",
]

T = TypeVar("T")

#: A converter: ``(value, path) -> parsed value``, raising :class:`BadValue`.
Converter = Callable[[object, str], T]


class Problems:
    """Collects ``(path, message)`` problems while reading."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        """Record that the entry at ``path`` is wrong."""
        self.items.append((path, message))


class Reader:
    """Typed access to one table of the file, recording problems instead of raising."""

    def __init__(self, data: object, path: str, problems: Problems, allowed: set[str]):
        self.path = path
        self.problems = problems
        self.ok = isinstance(data, dict)
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        if not self.ok:
            problems.add(path or "(top)", f"must be a table, not {type(data).__name__}")
        for key in self.data:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                problems.add(self._at(key), f"unknown field (allowed: {known})")

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, convert: Converter[T], default: T | None = None,
            required: bool = True) -> T | None:
        """Return ``convert`` of the field ``key``; on a problem record it, return ``default``.

        A missing (or ``None``) field is a problem only when ``required``.
        """
        value = self.data.get(key)
        if value is None:
            if required and self.ok:
                self.problems.add(self._at(key), "is required")
            return default
        try:
            return convert(value, self._at(key))
        except BadValue as bad:
            self.problems.add(self._at(key), str(bad))
            return default


class BadValue(ValueError):
    """A value that cannot be read; the message says why, without the path."""


def text(value: object, path: str) -> str:
    """A string."""
    if not isinstance(value, str):
        raise BadValue(f"must be a string, not {type(value).__name__}")
    return value


#: An id: an ASCII letter or digit, then up to 99 more of them or ``-``, ``_``, ``.`` (the
#: pattern the OpenAPI document gives every id).
SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def slug(value: object, path: str) -> str:
    """An id: 1 to 100 ASCII letters, digits, ``-``, ``_`` or ``.``, starting with a letter or
    digit (:data:`SLUG`)."""
    string = text(value, path)
    if SLUG.fullmatch(string) is None:
        raise BadValue(f"{string!r} is not an id (letters, digits, '-', '_', '.'; at most 100)")
    return string


def iso_date(value: object, path: str) -> date:
    """A date (TOML date or ``YYYY-MM-DD`` string), never a datetime."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise BadValue(f"{value!r} is not a date (YYYY-MM-DD)")


def money(value: object, path: str) -> Money:
    """An amount of money, as :func:`allocations.parse_money` reads it."""
    try:
        return allocations.parse_money(value, field=path)
    except allocations.AllocationError as error:
        raise BadValue(str(error).removeprefix(f"{path}: ")) from error


def parse_weight(value: object, path: str = "weight") -> Fraction:
    """Parse a weight: an integer or a decimal string, never a float; >= 0.

    Raises:
        BadValue: naming the problem (a :class:`ValueError`).
    """
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal, Fraction)):
        raise BadValue(f"{value!r} is not a weight: give an integer or a decimal string such as "
                   "\"0.5\" (never a float)")
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise BadValue(f"{value!r} is not a decimal number") from None
        if not number.is_finite() or "e" in value.lower() or len(value) > 40:
            raise BadValue(f"{value!r} is not a plain finite decimal number")
        result = Fraction(number)
    else:
        result = Fraction(value)
    if result < 0:
        raise BadValue(f"{value} is negative")
    return result


def percent(value: object, path: str) -> Decimal:
    """A percentage from 0 to 100, written like a weight."""
    share = parse_weight(value, path)
    if share > 100:
        raise BadValue(f"{value} is more than 100 percent")
    return Decimal(share.numerator) / Decimal(share.denominator)


def list_of(item: Converter[T]) -> Converter[tuple[T, ...]]:
    """A converter of lists whose items ``item`` converts; one problem names every bad item."""
    def convert(value: object, path: str) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise BadValue(f"must be a list, not {type(value).__name__}")
        found = []
        problems = []
        for index, element in enumerate(value):
            try:
                found.append(item(element, f"{path}.{index}"))
            except BadValue as bad:
                problems.append(f"item {index}: {bad}")
        if problems:
            raise BadValue("; ".join(problems))
        return tuple(found)
    return convert


def one_of(options: tuple[str, ...]) -> Converter[str]:
    """A converter of strings that must be one of ``options``."""
    def convert(value: object, path: str) -> str:
        string = text(value, path)
        if string not in options:
            raise BadValue(f"{string!r} is not one of {', '.join(options)}")
        return string
    return convert


def periods(value: object, path: str, problems: Problems) -> tuple[Period, ...]:
    """A list of ``{from, to}`` periods; bad ones are recorded in ``problems`` and left out."""
    if not isinstance(value, list):
        problems.add(path, "must be a list of {from, to} periods")
        return ()
    return tuple(p for i, v in enumerate(value)
                 if (p := period(v, f"{path}.{i}", problems)) is not None)


def period(value: object, path: str, problems: Problems) -> Period | None:
    """A ``{from, to}`` period (``to`` optional, excluded), or ``None`` after a problem."""
    reader = Reader(value, path, problems, {"from", "to"})
    start = reader.get("from", iso_date)
    end = reader.get("to", iso_date, required=False)
    if start is None:
        return None
    try:
        return Period(start, end)
    except ValueError as error:
        problems.add(path, str(error))
        return None


def table_of(data: Mapping[str, Any], key: str, problems: Problems) -> dict[str, Any]:
    """The table ``data[key]`` keyed by id (empty if absent); bad ids are recorded."""
    table = data.get(key, {})
    if not isinstance(table, dict):
        problems.add(key, "must be a table keyed by id")
        return {}
    for entry_id in table:
        try:
            slug(entry_id, key)
        except BadValue as bad:
            problems.add(f"{key}.{entry_id}", str(bad))
    return table



def weights_map(value: object, path: str) -> dict[str, Fraction]:
    """A table of ``id = weight``."""
    if not isinstance(value, dict):
        raise BadValue("must be a table of id = weight")
    result = {}
    for key, weight in value.items():
        slug(key, path)
        result[key] = parse_weight(weight, f"{path}.{key}")
    return result

