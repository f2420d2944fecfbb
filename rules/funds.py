"""Funds: a year's total and ordered lines, allocated to the recipients active in the year."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs
from moneyed import Money

import allocations
from rules.exceptions import NotCovered, RequestInvalid, UnknownId
from rules.periods import financial_year_start

if TYPE_CHECKING:
    from rules.ruleset import Ruleset

__all__ = ["LINE_KINDS", "Fund", "FundAllocation", "FundLine", "allocate_fund"]

LINE_KINDS = ("fixed", "per-recipient", "proportional", "residual")


@attrs.frozen
class FundLine:
    """One line of a fund, as written in the rules.

    Attributes:
        kind: ``fixed`` / ``per-recipient`` / ``proportional`` / ``residual``.
        amount: the line's amount (per recipient for ``per-recipient``; none for ``residual``).
        recipient: the organisation or CSP of a ``fixed`` line; of a ``residual`` line, or
            ``None`` to leave the rest explicitly unallocated.
        recipients: who shares a per-recipient or proportional line (default: the fund's).
        weights: recipient -> weight, or the id of a weight set of the ruleset.
        floor, cap: bounds per recipient of a proportional line.
    """

    id: str
    kind: str
    name: str = ""
    amount: Money | None = None
    recipient: str | None = None
    recipients: tuple[str, ...] | None = None
    weights: Mapping[str, Fraction] | str | None = None
    floor: Money | None = None
    cap: Money | None = None


@attrs.frozen
class Fund:
    """A total for a financial year (``"2012-13"``) with ordered lines."""

    id: str
    name: str
    year: str
    total: Money
    recipients: tuple[str, ...]
    lines: tuple[FundLine, ...]
    source: str = ""


@attrs.frozen
class FundAllocation:
    """A fund allocated on the first day of its year.

    ``result.allocated + result.unallocated == fund.total`` always.
    """

    fund: Fund
    year_start: date
    recipients: tuple[str, ...]
    result: allocations.LinesAllocation


def allocate_fund(ruleset: Ruleset, fund: Fund, field: str = "fund") -> FundAllocation:
    """Allocate ``fund`` to the recipients active on 1 April of its year.

    A recipient that has ended by then is replaced by its successors (a merged CSP receives
    for its predecessors, with their weights added); one that has not started is left out.

    Raises:
        RulesError: naming the field (``fund.lines.2.recipient``...) of the problem.
    """
    start = financial_year_start(fund.year)
    stand_ins = _Recipients(ruleset, start)
    recipients = stand_ins.resolve_all(fund.recipients, f"{field}.recipients")
    lines: list[allocations.Line] = []
    for index, line in enumerate(fund.lines):
        lines.append(_line(ruleset, stand_ins, line, recipients, f"{field}.lines.{index}"))
    try:
        result = allocations.allocate_lines(fund.total, lines, recipients)
    except allocations.LineError as error:
        at = next((i for i, line in enumerate(fund.lines) if line.id == error.line), None)
        where = f"{field}.lines.{at}" if at is not None else f"{field}.lines"
        raise RequestInvalid(str(error), field=where) from error
    except allocations.AllocationError as error:
        raise RequestInvalid(str(error), field=field) from error
    return FundAllocation(fund, start, recipients, result)


class _Recipients:
    """Who receives for a listed recipient on the year's first day."""

    def __init__(self, ruleset: Ruleset, start: date):
        self.ruleset = ruleset
        self.start = start

    def resolve(self, recipient: str, field: str) -> tuple[str, ...]:
        if recipient not in self.ruleset.csps and recipient not in self.ruleset.organisations:
            known = list(self.ruleset.csps) + list(self.ruleset.organisations)
            raise UnknownId("recipient", recipient, known, field=field)
        return self.ruleset.successors_on(recipient, self.start)

    def resolve_all(self, listed: tuple[str, ...], field: str) -> tuple[str, ...]:
        found: list[str] = []
        for index, recipient in enumerate(listed):
            for stand_in in self.resolve(recipient, f"{field}.{index}"):
                if stand_in not in found:
                    found.append(stand_in)
        return tuple(found)

    def resolve_one(self, recipient: str, field: str) -> str:
        stand_ins = self.resolve(recipient, field)
        if len(stand_ins) != 1:
            year = f"the year starting {self.start.isoformat()}"
            detail = (f"is succeeded by {', '.join(stand_ins)}" if stand_ins
                      else "is not active then")
            raise NotCovered(
                f"recipient {recipient!r} {detail} in {year}; name one recipient", field=field)
        return stand_ins[0]

    def weights(self, weights: Mapping[str, Fraction], field: str) -> dict[str, Fraction]:
        combined: dict[str, Fraction] = {}
        for recipient, weight in weights.items():
            stand_ins = self.resolve(recipient, f"{field}.{recipient}")
            for stand_in in stand_ins:
                combined[stand_in] = combined.get(stand_in, Fraction(0)) + weight / len(stand_ins)
        return combined


def _line(ruleset: Ruleset, stand_ins: _Recipients, line: FundLine,
          fund_recipients: tuple[str, ...], field: str) -> allocations.Line:
    amount = line.amount if line.amount is not None else allocations.zero()
    recipients = None
    if line.recipients is not None:
        recipients = stand_ins.resolve_all(line.recipients, f"{field}.recipients")
    if line.kind == "fixed":
        if line.recipient is None:
            raise RequestInvalid("a fixed line needs a recipient", field=f"{field}.recipient")
        recipient = stand_ins.resolve_one(line.recipient, f"{field}.recipient")
        return allocations.Fixed(line.id, recipient, amount)
    if line.kind == "per-recipient":
        return allocations.PerRecipient(line.id, amount, recipients)
    if line.kind == "proportional":
        if line.weights is None:
            raise RequestInvalid("a proportional line needs weights", field=f"{field}.weights")
        if isinstance(line.weights, str):
            named = ruleset.weight_set(line.weights, field=f"{field}.weights").values
            weights = stand_ins.weights(named, f"{field}.weights")
            wanted = recipients if recipients is not None else fund_recipients
            weights = {r: w for r, w in weights.items() if r in wanted}
        else:
            weights = stand_ins.weights(line.weights, f"{field}.weights")
        return allocations.Proportional(line.id, amount, weights, line.floor, line.cap, recipients)
    if line.kind == "residual":
        target = None
        if line.recipient is not None:
            target = stand_ins.resolve_one(line.recipient, f"{field}.recipient")
        return allocations.Residual(line.id, target)
    raise RequestInvalid(f"unknown line kind {line.kind!r}; use one of {', '.join(LINE_KINDS)}",
                         field=f"{field}.kind")
