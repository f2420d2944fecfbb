"""Fund lines: fixed, per-recipient, proportional (floor, cap, damping), passport, bids, residual.

:func:`allocate_lines` applies lines in order to a fund's total. Invariants (laws in
``tests/allocations/test_lines.py``):

* conservation: ``allocated + unallocated == total``, every line's shares sum to the line's
  amount, and the recipients' totals sum to ``allocated``;
* a proportional line's shares are each within a penny of the exact clamped quota
  ``clamp(lambda * weight, low, high)`` where ``lambda`` makes the quotas sum to the pot and
  ``low`` / ``high`` are the floor / cap, narrowed by damping to the recipient's amount last year
  less ``max_decrease`` percent / plus ``max_increase`` percent (the bounds are whole pence, so
  rounding never takes a share outside them);
* a passport line gives each recipient exactly the amount it is given (its amount from earlier);
* a bids line funds approved bids in full when the pot suffices; otherwise each approved bid gets
  its largest-remainder share of the pot in proportion to the amount requested (within a penny
  of ``requested * pot / sum(requested)``);
* lines that need more than what remains raise :class:`OverAllocation` naming the line.

Every recipient's amount on every line is explained (:class:`LineExplanation`): its exact quota,
its fraction of the line, whether a floor, cap or damping bound held it, and whether it received a
remainder penny. Building a result is ``O(n log n)`` in the number of recipients.
"""

from __future__ import annotations

import operator
from collections.abc import Hashable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, overload

import attrs
from moneyed import Money

from allocations.exceptions import AllocationError, InvalidLine, LineError, OverAllocation
from allocations.money import MinorAmounts, format_money, from_minor, minor_units, to_minor
from allocations.split import Weight, hamilton, integer_weights

__all__ = [
    "HELD",
    "Bid",
    "BidAward",
    "BidAwards",
    "Bids",
    "Damping",
    "Fixed",
    "Line",
    "LineExplanation",
    "LineResult",
    "LinesAllocation",
    "Passport",
    "PerRecipient",
    "Proportional",
    "Residual",
    "allocate_lines",
]

#: What may hold a proportional quota away from its weighted share.
HELD = ("floor", "cap", "max-decrease", "max-increase")

_HUNDRED = Fraction(100)


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
class Damping:
    """Limits on how far each recipient of a proportional line moves from its earlier amount.

    Attributes:
        previous: recipient -> its amount from the same line of the fund followed. A recipient
            absent from it, or with nothing last time, is not damped (a percentage of nothing
            would hold it at nothing).
        max_decrease: percent (0..100) a recipient may lose at most, or ``None`` for no limit.
        max_increase: percent (>= 0) a recipient may gain at most, or ``None`` for no limit.
    """

    previous: Mapping[Any, Money]
    max_decrease: Weight | None = None
    max_increase: Weight | None = None


@attrs.frozen
class Proportional:
    """A pot shared by weight, optionally with a floor, a cap and damping per recipient.

    ``weights`` maps each recipient to its weight; recipients default to the fund's and every
    recipient must have a weight. A floor or cap overrides damping where they conflict (a
    floor above a recipient's damped maximum lifts it to the floor).
    """

    id: str
    amount: Money
    weights: Mapping[Any, Weight]
    floor: Money | None = None
    cap: Money | None = None
    recipients: tuple[Hashable, ...] | None = None
    damping: Damping | None = None
    kind: str = attrs.field(default="proportional", init=False)


@attrs.frozen
class Passport:
    """Each recipient gets exactly the amount given (what it had from lines of an earlier fund)."""

    id: str
    amounts: Mapping[Any, Money]
    kind: str = attrs.field(default="passport", init=False)


@attrs.frozen
class Bid:
    """A proposal: who asks, for how much, and whether it was approved."""

    id: str
    recipient: Hashable
    amount: Money
    approved: bool


@attrs.frozen
class Bids:
    """A pot for approved bids: each funded in full, or all scaled down exactly if it is short."""

    id: str
    amount: Money
    bids: tuple[Bid, ...] = ()
    kind: str = attrs.field(default="bids", init=False)


@attrs.frozen
class Residual:
    """What is left of the total: to ``recipient``, or explicitly unallocated when ``None``."""

    id: str
    recipient: Hashable | None = None
    kind: str = attrs.field(default="residual", init=False)


Line = Fixed | PerRecipient | Proportional | Passport | Bids | Residual


@attrs.frozen
class BidAward:
    """What one bid received (kept in integers: the money and the fraction are made when
    asked for, so a line of many bids costs no more than its arithmetic).

    Attributes:
        bid: the bid.
        awarded_minor: what it was given, in minor units (nothing unless approved).
        quota_numerator, quota_denominator: its exact award in pounds, as a numerator over a
            denominator (``requested * pot / sum(requested)`` when scaled).
        remainder_penny: whether it received one of the leftover pennies of the scaling.
        requested_minor: what it asked for, in minor units (approved or not).
    """

    bid: Bid
    awarded_minor: int
    quota_numerator: int
    quota_denominator: int
    remainder_penny: bool
    requested_minor: int

    @property
    def awarded(self) -> Money:
        """What it was given (nothing unless approved)."""
        return from_minor(self.awarded_minor, self.bid.amount.currency)

    @property
    def quota(self) -> Fraction:
        """Its exact award in pounds (``requested * pot / sum(requested)`` when scaled)."""
        return Fraction(self.quota_numerator, self.quota_denominator)


@attrs.frozen
class BidAwards(Sequence[BidAward]):
    """Every bid's award on a bids line, in bid order, kept in columns: a line of many bids
    makes a :class:`BidAward` only when one is read.

    Attributes:
        bids: the bids, as listed.
        requested_minor, awarded_minor: what each asked for and was given, in minor units.
        quota_numerators, quota_denominator: each one's exact award in pounds.
        lucky: the positions of the bids that received a leftover penny of the scaling.
    """

    bids: tuple[Bid, ...] = ()
    requested_minor: tuple[int, ...] = ()
    awarded_minor: tuple[int, ...] = ()
    quota_numerators: tuple[int, ...] = ()
    quota_denominator: int = 1
    lucky: frozenset[int] = frozenset()

    def award(self, index: int) -> BidAward:
        """The award of the bid at ``index``."""
        return BidAward(self.bids[index], self.awarded_minor[index],
                        self.quota_numerators[index], self.quota_denominator,
                        index in self.lucky, self.requested_minor[index])

    @overload
    def __getitem__(self, index: int) -> BidAward: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[BidAward, ...]: ...

    def __getitem__(self, index: int | slice) -> BidAward | tuple[BidAward, ...]:
        if isinstance(index, slice):
            return tuple(self.award(i) for i in range(len(self.bids))[index])
        return self.award(range(len(self.bids))[index])

    def __len__(self) -> int:
        return len(self.bids)


@attrs.frozen
class LineExplanation:
    """Why a recipient got what it got from one line.

    Attributes:
        line: the line's id.
        recipient: the recipient explained.
        amount: what it received from the line.
        quota: its exact amount in pounds before rounding to pence.
        fraction: ``quota`` over the line's amount (``None`` when the line gave nothing).
        floored / capped: its quota was held at the line's floor / cap.
        damped: its quota was held at a damping bound (``held`` says which).
        remainder_penny: it received one of the line's leftover pennies.
        held: ``"floor"``, ``"cap"``, ``"max-decrease"``, ``"max-increase"`` or ``None``.
    """

    line: str
    recipient: Hashable
    amount: Money
    quota: Fraction
    fraction: Fraction | None
    remainder_penny: bool
    held: str | None = None

    @property
    def floored(self) -> bool:
        """Whether the floor held the recipient's quota up."""
        return self.held == "floor"

    @property
    def capped(self) -> bool:
        """Whether the cap held the recipient's quota down."""
        return self.held == "cap"

    @property
    def damped(self) -> bool:
        """Whether damping held the recipient's quota (up or down)."""
        return self.held in ("max-decrease", "max-increase")


@attrs.frozen
class LineResult:
    """One line's outcome: its amount and the share of each of its recipients (minor units).

    The exact share of recipient ``i`` in minor units before rounding is
    ``quota_numerators[i] / quota_denominator`` (its share where there are no numerators);
    ``held`` says, per recipient, which bound (if any) held its quota; ``lucky`` holds the indices
    that received a remainder penny; ``bids`` the award of every bid of a bids line; ``weights``
    each recipient's weight on a proportional line as given (on a bids line: what it asked for in
    approved bids, in minor units; none on other kinds).
    """

    id: str
    kind: str
    amount: Money
    recipients: tuple[Hashable, ...]
    minor_shares: tuple[int, ...]
    lucky: frozenset[int] = frozenset()
    quota_numerators: tuple[int, ...] = ()
    quota_denominator: int = 1
    held: tuple[str | None, ...] = ()
    bids: BidAwards = BidAwards()
    weights: tuple[Weight, ...] = ()

    @property
    def shares(self) -> dict[Hashable, Money]:
        """Recipient -> Money for this line, in line order."""
        currency = self.amount.currency
        return {r: from_minor(m, currency) for r, m in zip(self.recipients, self.minor_shares,
                                                            strict=True)}

    def quota_terms(self) -> tuple[tuple[int, ...], int]:
        """Every recipient's exact share in minor units before rounding, as numerators over one
        denominator (its share over 1 where the line keeps no numerators)."""
        if self.quota_numerators:
            return self.quota_numerators, self.quota_denominator
        return self.minor_shares, 1

    def explanations(self) -> tuple[LineExplanation, ...]:
        """Explain every recipient's share of this line, in line order (its ``fraction`` is
        its quota over the line's amount: ``quota_terms`` over the minor units the line
        gives)."""
        currency = self.amount.currency
        unit = minor_units(currency)
        line_minor = sum(self.minor_shares)
        numerators, denominator = self.quota_terms()
        held = self.held or (None,) * len(self.recipients)
        return tuple(
            LineExplanation(self.id, recipient, from_minor(share, currency),
                            Fraction(numerator, denominator * unit),
                            Fraction(numerator, denominator * line_minor) if line_minor else None,
                            index in self.lucky, held[index])
            for index, (recipient, share, numerator) in enumerate(
                zip(self.recipients, self.minor_shares, numerators, strict=True)))


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

    def line(self, line_id: str) -> LineResult | None:
        """Return the result of the line ``line_id`` (``None`` if there is no such line)."""
        return next((line for line in self.lines if line.id == line_id), None)

    def by_line(self, recipient: Hashable) -> dict[str, Money]:
        """Line id -> amount for ``recipient`` (only the lines that include it)."""
        result: dict[str, Money] = {}
        for line in self.lines:
            for candidate, amount in zip(line.recipients, line.minor_shares, strict=True):
                if candidate == recipient:
                    result[line.id] = from_minor(amount, self.total.currency)
        return result

    def explanations(self) -> dict[Hashable, tuple[LineExplanation, ...]]:
        """Recipient -> the explanation of its share of each line that includes it, in order."""
        found: dict[Hashable, list[LineExplanation]] = {}
        for line in self.lines:
            for explanation in line.explanations():
                found.setdefault(explanation.recipient, []).append(explanation)
        return {recipient: tuple(items) for recipient, items in found.items()}


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
        InvalidLine: when a line is malformed (no recipients, negative amount, missing weight,
            infeasible floor or damping...).
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
                          (remaining,))
    numerators: tuple[int, ...] = ()
    denominator = 1
    held: tuple[str | None, ...] = ()
    awards = BidAwards()
    weights: tuple[Weight, ...] = ()
    lucky: set[int] = set()
    if isinstance(line, Fixed):
        recipients: tuple[Hashable, ...] = (line.recipient,)
        shares = [_line_amount(line)]
    elif isinstance(line, PerRecipient):
        recipients = _line_recipients(line, default)
        shares = [_line_amount(line)] * len(recipients)
    elif isinstance(line, Proportional):
        _line_amount(line)
        recipients = _line_recipients(line, default)
        shares, lucky, numerators, denominator, held, weights = _proportional(line, recipients)
    elif isinstance(line, Passport):
        recipients, shares = _passport(line)
    else:
        _line_amount(line)
        recipients, shares, lucky, numerators, denominator, awards, asked = _bids(line)
        weights = tuple(asked)
    needed = sum(shares)
    if needed > remaining:
        raise OverAllocation(
            f"line '{line.id}' needs {format_money(from_minor(needed, currency))} but only "
            f"{format_money(from_minor(remaining, currency))} of the "
            f"{format_money(total)} total remains"
        )
    return LineResult(line.id, line.kind, from_minor(needed, currency), recipients, tuple(shares),
                      frozenset(lucky), numerators, denominator, held, awards, weights)


def _line_amount(line: Fixed | PerRecipient | Proportional | Bids) -> int:
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


# --- proportional ------------------------------------------------------------------------------

_Bounds = tuple[list[int], list[str | None], list[int | None], list[str | None]]


def _proportional(line: Proportional, recipients: tuple[Hashable, ...]) -> tuple[
        list[int], set[int], tuple[int, ...], int, tuple[str | None, ...], tuple[Weight, ...]]:
    """Each recipient's share, who got a remainder penny, the exact quotas (numerators over a
    denominator), what held each, and each one's weight as given."""
    weights_of = line.weights
    try:
        given = tuple([weights_of[r] for r in recipients])
    except KeyError:
        missing = next(r for r in recipients if r not in weights_of)
        raise InvalidLine(f"line '{line.id}' has no weight for {missing!r}") from None
    if len(weights_of) != len(recipients):  # (the recipients are listed once each)
        members = set(recipients)
        extra = next(r for r in weights_of if r not in members)
        raise InvalidLine(
            f"line '{line.id}' has a weight for {extra!r}, not one of its recipients")
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
    lows, low_by, highs, high_by = _bounds(line, recipients, low, high)
    count = len(recipients)
    if pot == 0:
        return [0] * count, set(), (0,) * count, 1, (None,) * count, given
    try:
        weights = integer_weights(recipients, given)
    except AllocationError as error:
        raise InvalidLine(f"line '{line.id}': {error}") from error
    numerators, denominator, held = _clamped_quotas(pot, weights, lows, highs, low_by, high_by)
    shares, lucky = hamilton(sum(numerators) // denominator, numerators, denominator)
    return shares, lucky, tuple(numerators), denominator, tuple(held), given


def _percent(line: Proportional, name: str, value: Weight | None) -> Fraction | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, Fraction)) or (
            isinstance(value, Decimal) and not value.is_finite()) or value < 0:
        raise InvalidLine(f"line '{line.id}': damping {name} must be a percentage of at least 0, "
                          f"not {value!r}")
    if name == "max_decrease" and value > _HUNDRED:
        raise InvalidLine(f"line '{line.id}': damping max_decrease is {value}%; at most 100")
    return Fraction(value)


def _bounds(line: Proportional, recipients: tuple[Hashable, ...], floor: int, cap: int | None
            ) -> _Bounds:
    """Per recipient: the lowest and highest quota allowed, and what sets each.

    Damping bounds are whole pence (rounded inwards) so rounding keeps shares inside them; a
    floor or cap overrides damping where they conflict.
    """
    count = len(recipients)
    lows: list[int] = [floor] * count
    low_by: list[str | None] = ["floor" if floor else None] * count
    highs: list[int | None] = [cap] * count
    high_by: list[str | None] = ["cap" if cap is not None else None] * count
    damping = line.damping
    if damping is None:
        return lows, low_by, highs, high_by
    decrease = _percent(line, "max_decrease", damping.max_decrease)
    increase = _percent(line, "max_increase", damping.max_increase)
    # least = ceil(before * (100 - decrease) / 100), most = floor(before * (100 + increase) / 100)
    keep = None if decrease is None else (_HUNDRED - decrease) / 100
    grow = None if increase is None else (_HUNDRED + increase) / 100
    keep_top, keep_bottom = (0, 1) if keep is None else (keep.numerator, keep.denominator)
    grow_top, grow_bottom = (0, 1) if grow is None else (grow.numerator, grow.denominator)
    previous = _minor_amounts(damping.previous)
    for index, recipient in enumerate(recipients):
        before = previous.get(recipient, 0)
        if before < 0:
            raise InvalidLine(f"line '{line.id}': the earlier amount of {recipient!r} is "
                              "negative")
        if before:
            if keep is not None:
                least = -(-before * keep_top // keep_bottom)
                if least > lows[index]:
                    lows[index], low_by[index] = least, "max-decrease"
            if grow is not None:
                most = before * grow_top // grow_bottom
                if cap is None or most < cap:
                    highs[index], high_by[index] = most, "max-increase"
        high_now = highs[index]
        if high_now is not None and high_now < lows[index]:  # a floor or cap wins over damping
            if low_by[index] == "floor":
                highs[index], high_by[index] = lows[index], "floor"
            else:
                lows[index], low_by[index] = high_now, high_by[index]
    needed = sum(lows)
    if needed > to_minor(line.amount):
        currency = line.amount.currency
        raise InvalidLine(
            f"line '{line.id}': damping keeps each recipient to at most a {decrease}% decrease, "
            f"which needs {format_money(from_minor(needed, currency))}, more than "
            f"the line's {format_money(line.amount)}; raise max_decrease or the line's amount")
    return lows, low_by, highs, high_by


def _clamped_quotas(pot: int, weights: list[int], lows: list[int], highs: list[int | None],
                    low_by: list[str | None], high_by: list[str | None]
                    ) -> tuple[list[int], int, list[str | None]]:
    """Exact quotas ``clamp(lam * w, low, high)`` summing to ``pot`` (or to the ceilings if less).

    This is the fixed point of "hold whoever crosses a bound at it and share what is freed or
    needed by weight among the rest, until stable". The sum ``f(lam)`` is piecewise linear and
    non-decreasing in ``lam``: a few rounds of holding and sharing usually settle on where it
    meets ``pot`` (:func:`_settled`, ``O(n)`` a round); otherwise sweep its breakpoints (where
    a recipient leaves its lower bound or reaches its upper one), sorted once (:func:`_swept`,
    ``O(n log n)``). In integers. Returns each quota's numerator over a common denominator,
    and what held it.
    """
    count = len(weights)
    unbounded = any(w > 0 and h is None for w, h in zip(weights, highs, strict=True))
    if not unbounded:
        ceiling = [h if w > 0 and h is not None else lo
                   for w, lo, h in zip(weights, lows, highs, strict=True)]
        if sum(ceiling) <= pot:
            return ceiling, 1, [high_by[i] if w > 0 else low_by[i] for i, w in enumerate(weights)]
    lam = _settled(pot, weights, lows, highs)
    if lam is None:
        lam = _swept(pot, weights, lows, highs)
    top, denominator = lam.numerator, lam.denominator
    numerators: list[int] = [0] * count
    held: list[str | None] = [None] * count
    for index, weight in enumerate(weights):
        share = top * weight
        lo, hi = lows[index], highs[index]
        if share < lo * denominator:
            numerators[index], held[index] = lo * denominator, low_by[index]
        elif hi is not None and share > hi * denominator:
            numerators[index], held[index] = hi * denominator, high_by[index]
        else:
            numerators[index] = share
    return numerators, denominator, held


def _settled(pot: int, weights: list[int], lows: list[int], highs: list[int | None]
             ) -> Fraction | None:
    """``lam`` found by holding whoever crosses a bound and sharing the rest by weight, a few
    rounds, in integers; ``None`` unless it settles where the sweep of :func:`_swept` would.

    ``lam`` has settled when holding at their bounds those it puts outside them gives ``lam``
    back: then ``f(lam) == pot``. If some recipient is also free just below ``lam`` (strictly
    above its lower bound), ``f`` rises there, so ``lam`` is the one point the sweep finds.
    Usually a few rounds (floors and caps hold few recipients), without sorting.
    """
    lam = Fraction(pot, sum(weights))
    for _ in range(_ROUNDS):
        top, denominator = lam.numerator, lam.denominator
        held_sum = free_weight = 0
        rising = False
        for weight, lo, hi in zip(weights, lows, highs, strict=True):
            share = top * weight
            if share < lo * denominator:
                held_sum += lo
            elif hi is not None and share > hi * denominator:
                held_sum += hi
            else:
                free_weight += weight
                rising = rising or share > lo * denominator
        if not free_weight:
            return None
        again = Fraction(pot - held_sum, free_weight)
        if again == lam:
            return lam if rising else None
        lam = again
    return None


#: How many rounds :func:`_settled` tries before sweeping.
_ROUNDS = 4


def _swept(pot: int, weights: list[int], lows: list[int], highs: list[int | None]) -> Fraction:
    """``lam`` where ``f`` meets ``pot``, by sweeping the sorted breakpoints."""
    # Breakpoints bound / weight: a recipient leaves its lower bound (+1) or reaches its upper
    # bound (-1). Sorted by their correctly rounded float (monotonic, so only runs of equal
    # floats can be out of exact order), then each such run sorted exactly.
    events: list[tuple[float, int, int, int]] = []
    for weight, lo, hi in zip(weights, lows, highs, strict=True):
        if weight > 0:
            events.append((lo / weight, lo, weight, 1))
            if hi is not None:
                events.append((hi / weight, hi, weight, -1))
    events.sort(key=_FIRST)
    _exact_runs(events)
    held_sum = sum(lows)  # the sum of the quotas held at a bound
    slope = 0  # the sum of the weights of the free recipients
    lam: Fraction | None = None
    for _, bound, weight, change in events:
        # f(bound / weight) = held_sum + slope * bound / weight on the segment before this event
        if slope > 0 and held_sum * weight + slope * bound >= pot * weight:
            lam = Fraction(pot - held_sum, slope)
            break
        if change > 0:
            held_sum -= bound
            slope += weight
        else:
            held_sum += bound
            slope -= weight
    if lam is None:
        lam = Fraction(pot - held_sum, slope)
    return lam


#: An event's float key (C-level: the sort calls it once per event).
_FIRST = operator.itemgetter(0)


def _exact_runs(events: list[tuple[float, int, int, int]]) -> None:
    """Sort, in place and exactly, each run of events whose float keys are equal."""
    start = 0
    total = len(events)
    while start < total:
        end = start + 1
        key = events[start][0]
        while end < total and events[end][0] == key:
            end += 1
        if end - start > 1 and any(  # unless already in exact order (e.g. equal bounds)
                a[1] * b[2] > b[1] * a[2] for a, b in zip(events[start:end - 1],
                                                       events[start + 1:end], strict=True)):
            events[start:end] = sorted(events[start:end],
                                       key=lambda event: Fraction(event[1], event[2]))
        start = end


# --- passport and bids -------------------------------------------------------------------------

def _minor_amounts(amounts: Mapping[Any, Money]) -> Mapping[Any, int]:
    """``amounts`` in minor units (read as they are from :class:`MinorAmounts`)."""
    if isinstance(amounts, MinorAmounts):
        return amounts.minor
    return {key: to_minor(money) for key, money in amounts.items()}


def _passport(line: Passport) -> tuple[tuple[Hashable, ...], list[int]]:
    amounts = _minor_amounts(line.amounts)
    recipients = tuple(amounts)
    shares = list(amounts.values())
    negative = next((r for r, s in zip(recipients, shares, strict=True) if s < 0), None)
    if negative is not None:
        raise InvalidLine(f"line '{line.id}' passports a negative amount to {negative!r}")
    return recipients, shares


def _refuse_bids(line: Bids, asks: list[int]) -> None:
    """Raise :class:`InvalidLine` naming the first bid, as listed, whose id was seen before
    or that asks for a negative amount."""
    seen: set[str] = set()
    for bid, ask in zip(line.bids, asks, strict=True):
        if bid.id in seen:
            raise InvalidLine(f"line '{line.id}' has two bids with the id {bid.id!r}")
        seen.add(bid.id)
        if ask < 0:
            raise InvalidLine(f"line '{line.id}': bid {bid.id!r} asks for a negative amount")


def _bids(line: Bids) -> tuple[tuple[Hashable, ...], list[int], set[int], tuple[int, ...], int,
                               BidAwards, list[int]]:
    """The approved bids' recipients (in order of their first bid), what each gets, which got
    a remainder penny, each one's exact award over ``denominator``, every bid's award, and
    what each recipient asked for in approved bids (minor units)."""
    unit = minor_units(line.amount.currency)
    pot = to_minor(line.amount)
    asks = [to_minor(bid.amount) for bid in line.bids]
    if len({bid.id for bid in line.bids}) != len(asks) or (asks and min(asks) < 0):
        _refuse_bids(line, asks)
    requested = [ask if bid.approved else 0 for bid, ask in zip(line.bids, asks, strict=True)]
    asked = sum(requested)
    if asked <= pot:
        awarded, lucky_bids = list(requested), set[int]()
        bid_numerators, denominator = requested, 1
    else:
        bid_numerators, denominator = [r * pot for r in requested], asked
        awarded, lucky_bids = hamilton(pot, bid_numerators, asked)
    approved = [position for position, bid in enumerate(line.bids) if bid.approved]
    recipients = [line.bids[position].recipient for position in approved]
    if len(set(recipients)) == len(recipients):  # the usual case: one approved bid each
        shares = [awarded[position] for position in approved]
        numerators = [bid_numerators[position] for position in approved]
        asked_by = [requested[position] for position in approved]
        lucky = {at for at, position in enumerate(approved) if position in lucky_bids}
    else:
        recipients, shares, lucky, numerators, asked_by = _by_recipient(
            line.bids, approved, awarded, lucky_bids, bid_numerators, requested)
    awards = BidAwards(line.bids, tuple(asks), tuple(awarded), tuple(bid_numerators),
                       denominator * unit, frozenset(lucky_bids))
    return tuple(recipients), shares, lucky, tuple(numerators), denominator, awards, asked_by


def _by_recipient(bids: tuple[Bid, ...], approved: list[int], awarded: list[int],
                  lucky_bids: set[int], bid_numerators: list[int], requested: list[int]
                  ) -> tuple[list[Hashable], list[int], set[int], list[int], list[int]]:
    """The approved bids added up per recipient (in order of its first bid): what each gets,
    which got a remainder penny, the numerators of its exact award, what it asked for."""
    index_of: dict[Hashable, int] = {}
    recipients: list[Hashable] = []
    shares: list[int] = []
    numerators: list[int] = []
    asked_by: list[int] = []
    lucky: set[int] = set()
    for position in approved:
        recipient = bids[position].recipient
        at = index_of.get(recipient)
        if at is None:
            at = index_of[recipient] = len(recipients)
            recipients.append(recipient)
            shares.append(0)
            numerators.append(0)
            asked_by.append(0)
        shares[at] += awarded[position]
        numerators[at] += bid_numerators[position]
        asked_by[at] += requested[position]
        if position in lucky_bids:
            lucky.add(at)
    return recipients, shares, lucky, numerators, asked_by
