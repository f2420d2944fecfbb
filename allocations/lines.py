"""Fund lines: fixed, per-recipient, proportional (with floor and cap) and residual.

:func:`allocate_lines` applies lines in order to a fund's total. Invariants:

* ``allocated + unallocated == total`` and every line's shares sum to the line's amount;
* a proportional line's shares are each within a penny of the exact clamped quota
  ``clamp(lambda * weight, floor, cap)`` where ``lambda`` makes the quotas sum to the pot;
* lines that need more than what remains raise :class:`OverAllocation` naming the line.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction
from math import lcm
from typing import Any

import attrs
from moneyed import Money

from allocations.exceptions import AllocationError, InvalidLine, LineError, OverAllocation
from allocations.money import format_money, from_minor, to_minor
from allocations.split import Weight, hamilton, normalise_weights

__all__ = [
    "Fixed",
    "Line",
    "LineResult",
    "LinesAllocation",
    "PerRecipient",
    "Proportional",
    "Residual",
    "allocate_lines",
]


@attrs.frozen
class Fixed:
    """A named amount to one recipient."""

    id: str
    recipient: Hashable
    amount: Money
    kind: str = attrs.field(default="fixed", init=False)


@attrs.frozen
class PerRecipient:
    """The same amount to each recipient (the fund's recipients unless given)."""

    id: str
    amount: Money
    recipients: tuple[Hashable, ...] | None = None
    kind: str = attrs.field(default="per-recipient", init=False)


@attrs.frozen
class Proportional:
    """A pot shared by weight, optionally with a floor and a cap per recipient.

    ``weights`` maps each recipient to its weight; recipients default to the fund's and every
    recipient must have a weight.
    """

    id: str
    amount: Money
    weights: Mapping[Any, Weight]
    floor: Money | None = None
    cap: Money | None = None
    recipients: tuple[Hashable, ...] | None = None
    kind: str = attrs.field(default="proportional", init=False)


@attrs.frozen
class Residual:
    """What is left of the total: to ``recipient``, or explicitly unallocated when ``None``."""

    id: str
    recipient: Hashable | None = None
    kind: str = attrs.field(default="residual", init=False)


Line = Fixed | PerRecipient | Proportional | Residual


@attrs.frozen
class LineResult:
    """One line's outcome: its amount and the share of each of its recipients (minor units).

    ``quotas`` are the exact amounts before rounding to the penny (minor units; a proportional
    line's clamped quota, every other kind's share itself) and ``weights`` each recipient's weight
    as given (``1`` where the line has none), both in recipient order.
    """

    id: str
    kind: str
    amount: Money
    recipients: tuple[Hashable, ...]
    minor_shares: tuple[int, ...]
    lucky: frozenset[int] = frozenset()
    quotas: tuple[Fraction, ...] = ()
    weights: tuple[Fraction, ...] = ()

    @property
    def shares(self) -> dict[Hashable, Money]:
        """Recipient -> Money for this line, in line order."""
        currency = self.amount.currency
        return {r: from_minor(m, currency) for r, m in zip(self.recipients, self.minor_shares,
                                                            strict=True)}


@attrs.frozen
class LinesAllocation:
    """A fund's total allocated line by line.

    Attributes:
        total: the fund's total.
        allocated: what the lines gave to recipients.
        unallocated: what is left (``total - allocated``), never negative.
        lines: each line's result, in order.
    """

    total: Money
    allocated: Money
    unallocated: Money
    lines: tuple[LineResult, ...]

    @property
    def recipients(self) -> dict[Hashable, Money]:
        """Recipient -> total received over all lines, in order of first appearance."""
        minor: dict[Hashable, int] = {}
        for line in self.lines:
            for recipient, amount in zip(line.recipients, line.minor_shares, strict=True):
                minor[recipient] = minor.get(recipient, 0) + amount
        return {r: from_minor(m, self.total.currency) for r, m in minor.items()}

    def by_line(self, recipient: Hashable) -> dict[str, Money]:
        """Line id -> amount for ``recipient`` (only the lines that include it)."""
        result: dict[str, Money] = {}
        for line in self.lines:
            for candidate, amount in zip(line.recipients, line.minor_shares, strict=True):
                if candidate == recipient:
                    result[line.id] = from_minor(amount, self.total.currency)
        return result


def allocate_lines(
    total: Money, lines: Sequence[Line], recipients: Sequence[Hashable] = ()
) -> LinesAllocation:
    """Apply ``lines`` in order to ``total``.

    Args:
        total: the fund's total (non-negative).
        lines: the lines, applied in order.
        recipients: the fund's recipients, the default for per-recipient and proportional lines.

    Raises:
        OverAllocation: when a line needs more than what remains (the message names the line).
        InvalidLine: when a line is malformed (no recipients, negative amount, missing weight...).
    """
    remaining = to_minor(total)
    if remaining < 0:
        raise InvalidLine(f"the fund's total {format_money(total)} is negative")
    seen_ids: set[str] = set()
    results = []
    for line in lines:
        if line.id in seen_ids:
            raise InvalidLine(f"line '{line.id}' appears twice", line.id)
        seen_ids.add(line.id)
        try:
            result = _apply(line, remaining, tuple(recipients), total)
        except LineError as error:
            error.line = line.id
            raise
        remaining -= to_minor(result.amount)
        results.append(result)
    unallocated = from_minor(remaining, total.currency)
    return LinesAllocation(total, total - unallocated, unallocated, tuple(results))


def _apply(line: Line, remaining: int, default: tuple[Hashable, ...], total: Money) -> LineResult:
    currency = total.currency
    if isinstance(line, Residual):
        if line.recipient is None:
            return LineResult(line.id, line.kind, from_minor(0, currency), (), ())
        return LineResult(line.id, line.kind, from_minor(remaining, currency), (line.recipient,),
                          (remaining,), quotas=(Fraction(remaining),), weights=(Fraction(1),))
    amount = _line_amount(line)
    if isinstance(line, Fixed):
        needed = amount
        recipients: tuple[Hashable, ...] = (line.recipient,)
        shares: list[int] = [amount]
        lucky: set[int] = set()
        quotas: list[Fraction] = [Fraction(amount)]
        weights: list[Fraction] = [Fraction(1)]
    else:
        recipients = _line_recipients(line, default)
        if isinstance(line, PerRecipient):
            shares = [amount] * len(recipients)
            needed = amount * len(recipients)
            lucky = set()
            quotas = [Fraction(amount)] * len(recipients)
            weights = [Fraction(1)] * len(recipients)
        else:
            shares, lucky, quotas = _proportional(line, recipients)
            weights = [Fraction(line.weights[r]) for r in recipients]
            needed = sum(shares)
    if needed > remaining:
        raise OverAllocation(
            f"line '{line.id}' needs {format_money(from_minor(needed, currency))} but only "
            f"{format_money(from_minor(remaining, currency))} of the "
            f"{format_money(total)} total remains"
        )
    return LineResult(line.id, line.kind, from_minor(needed, currency), recipients, tuple(shares),
                      frozenset(lucky), tuple(quotas), tuple(weights))


def _line_amount(line: Fixed | PerRecipient | Proportional) -> int:
    amount = to_minor(line.amount)
    if amount < 0:
        raise InvalidLine(f"line '{line.id}' has a negative amount ({format_money(line.amount)})")
    return amount


def _line_recipients(line: PerRecipient | Proportional, default: tuple[Hashable, ...]
                     ) -> tuple[Hashable, ...]:
    recipients = default if line.recipients is None else tuple(line.recipients)
    if not recipients:
        raise InvalidLine(f"line '{line.id}' has no recipients")
    if len(set(recipients)) != len(recipients):
        raise InvalidLine(f"line '{line.id}' lists a recipient twice")
    return recipients


def _bound(line: Proportional, name: str, value: Money | None) -> int | None:
    if value is None:
        return None
    minor = to_minor(value)
    if minor < 0:
        raise InvalidLine(f"line '{line.id}' has a negative {name} ({format_money(value)})")
    return minor


def _proportional(line: Proportional, recipients: tuple[Hashable, ...]
                  ) -> tuple[list[int], set[int], list[Fraction]]:
    missing = [r for r in recipients if r not in line.weights]
    if missing:
        raise InvalidLine(f"line '{line.id}' has no weight for {missing[0]!r}")
    extra = [r for r in line.weights if r not in set(recipients)]
    if extra:
        raise InvalidLine(
            f"line '{line.id}' has a weight for {extra[0]!r}, not one of its recipients")
    ordered = {r: line.weights[r] for r in recipients}
    pot = to_minor(line.amount)
    low = _bound(line, "floor", line.floor) or 0
    high = _bound(line, "cap", line.cap)
    if high is not None and high < low:
        raise InvalidLine(f"line '{line.id}' has a cap below its floor")
    if low * len(recipients) > pot:
        raise InvalidLine(
            f"line '{line.id}': a floor of {format_money(from_minor(low, line.amount.currency))} "
            f"for {len(recipients)} recipients needs more than the line's "
            f"{format_money(line.amount)}"
        )
    if pot == 0:
        return [0] * len(recipients), set(), [Fraction(0)] * len(recipients)
    try:
        _, weights = normalise_weights(ordered)
    except AllocationError as error:
        raise InvalidLine(f"line '{line.id}': {error}") from error
    quotas = _clamped_quotas(pot, weights, low, high)
    denominator = lcm(*(quota.denominator for quota in quotas))
    numerators = [int(quota * denominator) for quota in quotas]
    shares, lucky = hamilton(sum(numerators) // denominator, numerators, denominator)
    return shares, lucky, quotas


def _clamped_quotas(pot: int, weights: list[int], low: int, high: int | None) -> list[Fraction]:
    """Exact quotas ``clamp(lam * w, low, high)`` summing to ``pot`` (or to the caps if smaller).

    The sum ``f(lam)`` is piecewise linear and non-decreasing in ``lam``; sweep its breakpoints
    (where a recipient leaves its floor or reaches its cap) to find where it meets ``pot``.
    """
    if high is not None:
        ceiling = [Fraction(high if weight > 0 else low) for weight in weights]
        if sum(ceiling) <= pot:
            return ceiling
    events: list[tuple[Fraction, int]] = []
    for weight in weights:
        if weight > 0:
            events.append((Fraction(low, weight), weight))
            if high is not None:
                events.append((Fraction(high, weight), -weight))
    events.sort(key=lambda event: event[0])
    lam = Fraction(0)
    value = Fraction(low * len(weights))
    slope = 0
    found: Fraction | None = None
    for point, change in events:
        reached = value + slope * (point - lam)
        if reached >= pot and slope > 0:
            found = lam + (pot - value) / slope
            break
        lam, value = point, reached
        slope += change
    if found is None:
        found = lam + (pot - value) / slope
    result = []
    for weight in weights:
        quota = max(found * weight, Fraction(low))
        result.append(quota if high is None else min(quota, Fraction(high)))
    return result
