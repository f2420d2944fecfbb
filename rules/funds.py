"""Funds: a year's total and ordered lines, allocated to the recipients active in the year.

A fund may name the fund it ``follows`` (the previous year's): its proportional lines may then be
damped against the same lines of that fund, and year-on-year change is a query. A ``passport``
line gives each recipient what it had from named lines of an earlier fund; a ``bids`` line funds
approved bids. A fund's ``stages`` split each recipient's award into payments with due dates and
conditions; a recipient's stages always sum exactly to its award.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs
from moneyed import Money

import allocations
from rules.exceptions import NotCovered, RequestInvalid, UnknownId
from rules.periods import financial_year_start

if TYPE_CHECKING:
    from rules.ruleset import Ruleset

__all__ = [
    "LINE_KINDS",
    "WARNING_RULES",
    "BidRule",
    "DampingRule",
    "Fund",
    "FundAllocation",
    "FundLine",
    "FundWarning",
    "StagePayment",
    "StageRule",
    "allocate_fund",
    "fund_warnings",
]

#: Every kind of fund line (the one list: parsing, the API schema and the docs use it).
LINE_KINDS = ("fixed", "per-recipient", "proportional", "passport", "bids", "residual")


@attrs.frozen
class DampingRule:
    """Percent limits on a proportional line's change against the fund followed (``None``: none)."""

    max_decrease: Decimal | None = None
    max_increase: Decimal | None = None


@attrs.frozen
class BidRule:
    """A bid to a ``bids`` line: who asks, for how much, whether it was approved."""

    id: str
    recipient: str
    amount: Money
    approved: bool = False
    name: str = ""


@attrs.frozen
class StageRule:
    """A payment stage of a fund: a percentage of each award, due on a date, maybe conditional."""

    id: str
    percent: Decimal
    due: date
    condition: str | None = None


@attrs.frozen
class FundLine:
    """One line of a fund, as written in the rules.

    Attributes:
        kind: one of :data:`LINE_KINDS`.
        amount: the line's amount (per recipient for ``per-recipient``; the pot of a
            ``proportional`` or ``bids`` line; none for ``residual`` and ``passport``).
        recipient: the organisation or CSP of a ``fixed`` line; of a ``residual`` line, or
            ``None`` to leave the rest explicitly unallocated.
        recipients: who shares a per-recipient or proportional line (default: the fund's).
        weights: recipient -> weight, or the id of a weight set of the ruleset.
        floor, cap: bounds per recipient of a proportional line.
        damping: limits on a proportional line's change against the fund followed.
        fund, lines: a passport line's earlier fund and the ids of its lines passported.
        bids: a bids line's proposals.
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
    damping: DampingRule | None = None
    fund: str | None = None
    lines: tuple[str, ...] | None = None
    bids: tuple[BidRule, ...] | None = None


@attrs.frozen
class Fund:
    """A total for a financial year (``"2012-13"``) with ordered lines, maybe stages.

    ``funder`` is the organisation that pays it (the funding organisation of open data).
    """

    id: str
    name: str
    year: str
    total: Money
    recipients: tuple[str, ...]
    lines: tuple[FundLine, ...]
    source: str = ""
    follows: str | None = None
    stages: tuple[StageRule, ...] = ()
    funder: str | None = None


@attrs.frozen
class StagePayment:
    """One stage of one recipient's award: its amount, due date and condition."""

    stage: str
    amount: Money
    due: date
    condition: str | None
    remainder_penny: bool


@attrs.frozen
class FundWarning:
    """Something a reader of an allocation should know (e.g. a recipient that lost while the
    pot grew); ``kind`` names it, ``detail`` says it in words."""

    kind: str
    recipient: str
    detail: str


@attrs.frozen
class FundAllocation:
    """A fund allocated on the first day of its year.

    ``result.allocated + result.unallocated == fund.total`` always; every recipient's
    ``schedules`` (when the fund has stages) sum exactly to its award.

    Attributes:
        followed: the allocation of the fund this one follows (``None`` if it follows none),
            for year-on-year comparisons and :func:`fund_warnings`.
        schedules: recipient -> its stage payments, in stage order (empty without stages).
    """

    fund: Fund
    year_start: date
    recipients: tuple[str, ...]
    result: allocations.LinesAllocation
    followed: FundAllocation | None = None
    schedules: Mapping[str, tuple[StagePayment, ...]] = attrs.field(factory=dict)

    def explanations(self) -> dict[str, tuple[allocations.LineExplanation, ...]]:
        """Recipient -> the explanation of its amount on each line that includes it."""
        return {str(r): e for r, e in self.result.explanations().items()}

    @property
    def awards(self) -> dict[str, Money]:
        """Recipient -> its total over every line, in order of first appearance."""
        return {str(r): amount for r, amount in self.result.recipients.items()}


#: Rules that find warnings in an allocation (typically against ``allocation.followed``); each
#: returns the warnings it finds. :func:`fund_warnings` runs them all, in order.
WARNING_RULES: list[Callable[[FundAllocation], Iterable[FundWarning]]] = []


def fund_warnings(allocation: FundAllocation) -> tuple[FundWarning, ...]:
    """Return what every rule of :data:`WARNING_RULES` finds in ``allocation``."""
    return tuple(warning for rule in WARNING_RULES for warning in rule(allocation))


def allocate_fund(ruleset: Ruleset, fund: Fund, field: str = "fund") -> FundAllocation:
    """Allocate ``fund`` to the recipients active on 1 April of its year.

    A recipient that has ended by then is replaced by its successors (a merged CSP receives
    for its predecessors, with their weights added); one that has not started is left out.
    The funds it follows or passports from are allocated first (each must start earlier).

    Raises:
        RulesError: naming the field (``fund.lines.2.recipient``...) of the problem.
    """
    return _Allocator(ruleset).allocate(fund, field)


class _Allocator:
    """Allocates a fund and, once each, the earlier funds it depends on."""

    def __init__(self, ruleset: Ruleset):
        self.ruleset = ruleset
        self.done: dict[str, FundAllocation] = {}

    def earlier(self, fund: Fund, fund_id: str, field: str) -> FundAllocation:
        """The allocation of ``fund_id``, which must start before ``fund``."""
        found = self.done.get(fund_id)
        if found is not None:
            return found
        earlier = self.ruleset.fund(fund_id, field=field)
        if financial_year_start(earlier.year) >= financial_year_start(fund.year):
            raise RequestInvalid(
                f"fund {fund_id!r} is for {earlier.year}, not a year before {fund.year}",
                field=field)
        result = self.done[fund_id] = self.allocate(earlier, f"funds.{fund_id}")
        return result

    def allocate(self, fund: Fund, field: str) -> FundAllocation:
        start = financial_year_start(fund.year)
        stand_ins = _Recipients(self.ruleset, start)
        followed = None
        if fund.follows is not None:
            followed = self.earlier(fund, fund.follows, f"{field}.follows")
        recipients = stand_ins.resolve_all(fund.recipients, f"{field}.recipients")
        lines: list[allocations.Line] = []
        for index, line in enumerate(fund.lines):
            lines.append(self.line(fund, followed, stand_ins, line, recipients,
                                   f"{field}.lines.{index}"))
        try:
            result = allocations.allocate_lines(fund.total, lines, recipients)
        except allocations.LineError as error:
            at = next((i for i, line in enumerate(fund.lines) if line.id == error.line), None)
            where = f"{field}.lines.{at}" if at is not None else f"{field}.lines"
            raise RequestInvalid(str(error), field=where) from error
        except allocations.AllocationError as error:
            raise RequestInvalid(str(error), field=field) from error
        schedules = _schedules(fund, result, f"{field}.stages")
        return FundAllocation(fund, start, recipients, result, followed, schedules)

    def line(self, fund: Fund, followed: FundAllocation | None, stand_ins: _Recipients,
             line: FundLine, fund_recipients: tuple[str, ...], field: str) -> allocations.Line:
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
            return self.proportional(followed, stand_ins, line, amount, recipients,
                                     fund_recipients, field)
        if line.kind == "passport":
            return self.passport(fund, stand_ins, line, field)
        if line.kind == "bids":
            bids = tuple(
                allocations.Bid(bid.id, stand_ins.resolved_one(bid.recipient)
                                or stand_ins.resolve_one(bid.recipient,
                                                         f"{field}.bids.{i}.recipient"),
                                bid.amount, bid.approved)
                for i, bid in enumerate(line.bids or ()))
            return allocations.Bids(line.id, amount, bids)
        if line.kind == "residual":
            target = None
            if line.recipient is not None:
                target = stand_ins.resolve_one(line.recipient, f"{field}.recipient")
            return allocations.Residual(line.id, target)
        raise RequestInvalid(f"unknown line kind {line.kind!r}; use one of "
                             f"{', '.join(LINE_KINDS)}", field=f"{field}.kind")

    def proportional(self, followed: FundAllocation | None, stand_ins: _Recipients,
                     line: FundLine, amount: Money, recipients: tuple[str, ...] | None,
                     fund_recipients: tuple[str, ...], field: str) -> allocations.Proportional:
        if line.weights is None:
            raise RequestInvalid("a proportional line needs weights", field=f"{field}.weights")
        if isinstance(line.weights, str):
            named = self.ruleset.weight_set(line.weights, field=f"{field}.weights").values
            weights = stand_ins.weights(named, f"{field}.weights")
            wanted = set(recipients if recipients is not None else fund_recipients)
            if weights.keys() != wanted:  # (usually the set weighs just the recipients)
                weights = {r: w for r, w in weights.items() if r in wanted}
        else:
            weights = stand_ins.weights(line.weights, f"{field}.weights")
        damping = None
        if line.damping is not None:
            where = f"{field}.damping"
            if followed is None:
                raise RequestInvalid("damping needs the fund to name the fund it follows "
                                     "('follows')", field=where)
            before = followed.result.line(line.id)
            if before is None:
                raise RequestInvalid(
                    f"the fund followed, {followed.fund.id!r}, has no line {line.id!r} to damp "
                    "against", field=where)
            previous = stand_ins.carried(before, followed.fund.id, where)
            damping = allocations.Damping(previous, line.damping.max_decrease,
                                          line.damping.max_increase)
        return allocations.Proportional(line.id, amount, weights, line.floor, line.cap,
                                        recipients, damping)

    def passport(self, fund: Fund, stand_ins: _Recipients, line: FundLine, field: str
                 ) -> allocations.Passport:
        if line.fund is None:
            raise RequestInvalid("a passport line names the earlier fund", field=f"{field}.fund")
        earlier = self.earlier(fund, line.fund, f"{field}.fund")
        amounts: dict[Hashable, int] = {}
        for index, line_id in enumerate(line.lines or ()):
            result = earlier.result.line(line_id)
            if result is None:
                known = [x.id for x in earlier.fund.lines]
                raise UnknownId(f"line of fund {line.fund!r}", line_id, known,
                                field=f"{field}.lines.{index}")
            carried = stand_ins.carried(result, line.fund, f"{field}.lines.{index}")
            if not amounts:
                amounts = dict(carried.minor)
                continue
            for recipient, minor in carried.minor.items():
                amounts[recipient] = amounts.get(recipient, 0) + minor
        return allocations.Passport(line.id, allocations.MinorAmounts(amounts, fund.total.currency))


def _schedules(fund: Fund, result: allocations.LinesAllocation, field: str
               ) -> dict[str, tuple[StagePayment, ...]]:
    if not fund.stages:
        return {}
    stages = [allocations.Stage(stage.id, stage.percent) for stage in fund.stages]
    try:
        allocations.check_stages(stages)
    except allocations.InvalidStages as error:
        raise RequestInvalid(str(error), field=field) from error
    schedules: dict[str, tuple[StagePayment, ...]] = {}
    for recipient, award in result.recipients.items():
        parts = allocations.split_stages(award, stages)
        schedules[str(recipient)] = tuple(
            StagePayment(rule.id, part.amount, rule.due, rule.condition, part.remainder_penny)
            for rule, part in zip(fund.stages, parts, strict=True))
    return schedules


class _Recipients:
    """Who receives for a listed recipient on the year's first day."""

    def __init__(self, ruleset: Ruleset, start: date):
        self.ruleset = ruleset
        self.start = start
        self.known: dict[str, tuple[str, ...]] = {}  # each recipient resolved once per fund
        self.themselves: set[str] = set()  # the recipients known to stand for themselves

    def resolve(self, recipient: str, field: str) -> tuple[str, ...]:
        found = self.known.get(recipient)
        if found is not None:
            return found
        if recipient not in self.ruleset.csps and recipient not in self.ruleset.organisations:
            known = list(self.ruleset.csps) + list(self.ruleset.organisations)
            raise UnknownId("recipient", recipient, known, field=field)
        found = self.known[recipient] = self.ruleset.successors_on(recipient, self.start)
        if found == (recipient,):
            self.themselves.add(recipient)
        return found

    def resolve_all(self, listed: tuple[str, ...], field: str) -> tuple[str, ...]:
        found: dict[str, None] = {}
        known = self.known
        organisations, csps, start = self.ruleset.organisations, self.ruleset.csps, self.start
        for index, recipient in enumerate(listed):
            stand_ins = known.get(recipient)
            if stand_ins is None:
                body = organisations.get(recipient) or csps.get(recipient)
                if body is not None and body.active_on(start):  # the usual case: itself
                    stand_ins = known[recipient] = (recipient,)
                    self.themselves.add(recipient)
                else:
                    stand_ins = self.resolve(recipient, f"{field}.{index}")
            for stand_in in stand_ins:
                found[stand_in] = None
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

    def resolved_one(self, recipient: str) -> str | None:
        """Who alone stands for ``recipient``, if it is resolved already (else ``None``)."""
        found = self.known.get(recipient)
        return found[0] if found is not None and len(found) == 1 else None

    def carried(self, line: allocations.LineResult, fund_id: str, field: str
                ) -> allocations.MinorAmounts:
        """An earlier fund's line, each recipient's amount credited to who stands for it now."""
        currency = line.amount.currency
        if self.themselves.issuperset(line.recipients):  # the usual case: each is still itself
            return allocations.MinorAmounts(dict(zip(line.recipients, line.minor_shares,
                                                     strict=True)), currency)
        carried: dict[Hashable, int] = {}
        for recipient, minor in zip(line.recipients, line.minor_shares, strict=True):
            now = self.resolved_one(str(recipient))  # the usual case: resolved already
            if now is None:
                try:
                    now = self.resolve_one(str(recipient), field)
                except NotCovered as error:
                    raise NotCovered(f"from fund {fund_id!r}: {error.message}",
                                     field=field) from None
            carried[now] = carried.get(now, 0) + minor
        return allocations.MinorAmounts(carried, currency)

    def weights(self, weights: Mapping[str, Fraction], field: str) -> dict[str, Fraction]:
        combined: dict[str, Fraction] = {}
        known = self.known
        for recipient, weight in weights.items():
            stand_ins = known.get(recipient)
            if stand_ins is None:
                stand_ins = self.resolve(recipient, f"{field}.{recipient}")
            if len(stand_ins) == 1 and stand_ins[0] not in combined:  # the usual case
                combined[stand_ins[0]] = weight if type(weight) is Fraction else Fraction(weight)
                continue
            for stand_in in stand_ins:
                combined[stand_in] = combined.get(stand_in, Fraction(0)) + weight / len(stand_ins)
        return combined
