"""Half-open date intervals ``[start, end)`` and financial years."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import attrs

from rules.exceptions import RequestInvalid

__all__ = ["Period", "active_on", "ended_by", "financial_year_start", "parse_financial_year"]

_YEAR = re.compile(r"([0-9]{4})-([0-9]{2})")


@attrs.frozen
class Period:
    """The dates ``start <= d < end``; ``end`` ``None`` means open-ended."""

    start: date
    end: date | None = None

    def __attrs_post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"period ends ({self.end}) on or before it starts ({self.start})")

    def contains(self, when: date) -> bool:
        """Return whether ``when`` is inside the period."""
        return self.start <= when and (self.end is None or when < self.end)

    def ended_by(self, when: date) -> bool:
        """Return whether the period is over on ``when`` (``when >= end``)."""
        return self.end is not None and when >= self.end

    def cut(self, when: date) -> Period | None:
        """Return the part of the period before ``when`` (``None`` if nothing is left)."""
        if when <= self.start:
            return None
        if self.end is not None and self.end <= when:
            return self
        return Period(self.start, when)


def active_on(periods: Iterable[Period], when: date) -> bool:
    """Return whether any of ``periods`` contains ``when``."""
    for period in periods:  # (a loop: called per recipient of a fund, it is hot)
        if period.start <= when and (period.end is None or when < period.end):
            return True
    return False


def ended_by(periods: tuple[Period, ...], when: date) -> bool:
    """Return whether every one of ``periods`` is over by ``when`` (and there was one)."""
    return bool(periods) and all(period.ended_by(when) for period in periods)


def parse_financial_year(text: str) -> int:
    """Return the starting calendar year of a financial year written ``"2013-14"``.

    Raises:
        RequestInvalid: (a ``ValueError``) naming ``year``, if ``text`` is not ``YYYY-YY``
            with consecutive years, both of them calendar years a date can hold (``0000-01``
            and ``9999-00`` are refused).
    """
    match = _YEAR.fullmatch(text)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise RequestInvalid(f"{text!r} is not a financial year such as \"2013-14\"",
                             field="year")
    start = int(match.group(1))
    if not 1 <= start < date.max.year:
        raise RequestInvalid(f"{text!r} is not a financial year: years run from 0001-02 to "
                             f"{date.max.year - 1}-{date.max.year % 100:02d}", field="year")
    return start


def financial_year_start(text: str) -> date:
    """Return 1 April of the financial year ``text`` (``"2013-14"`` -> 2013-04-01)."""
    return date(parse_financial_year(text), 4, 1)
