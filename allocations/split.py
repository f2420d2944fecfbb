"""Largest-remainder (Hamilton) splitting of money in integer minor units.

Invariants of every :class:`Allocation` (tested as laws in ``tests/allocations``):

* conservation: the shares sum to the total exactly;
* quota: every share is within one minor unit (penny) of its exact quota ``total * w / sum(w)``;
* priority: leftover pennies go one each to the largest remainders, ties to the party listed
  first; a party with weight zero gets nothing;
* mirror: a negative total splits as the exact negation of its positive;
* scale: multiplying every weight by the same positive number changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from math import gcd, lcm
from typing import TypeVar

import attrs
from moneyed import Currency, Money

from allocations.exceptions import InvalidParties, InvalidWeights, UnknownParty
from allocations.money import format_money, from_minor, minor_units, parse_money, to_minor

__all__ = [
    "Allocation",
    "Explanation",
    "Increment",
    "Reason",
    "Weight",
    "hamilton",
    "integer_weights",
    "normalise_weights",
    "split_by_weight",
    "split_evenly",
    "split_increment",
    "split_minor",
]

Weight = int | Decimal | Fraction
P = TypeVar("P", bound=Hashable)


def _coerce_total(total: Money | str | Decimal) -> Money:
    if isinstance(total, Money):
        to_minor(total)  # refuses sub-penny amounts
        return total
    return parse_money(total, field="total", allow_negative=True)


def _as_fraction(party: Hashable, weight: object) -> Fraction:
    if isinstance(weight, bool) or not isinstance(weight, (int, Decimal, Fraction)):
        raise InvalidWeights(
            f"weight of {party!r} is {weight!r} ({type(weight).__name__}); "
            "weights must be int, Decimal or Fraction (never float)"
        )
    if isinstance(weight, Decimal) and not weight.is_finite():
        raise InvalidWeights(f"weight of {party!r} is {weight}, not a finite number")
    value = Fraction(weight)
    if value < 0:
        raise InvalidWeights(f"weight of {party!r} is negative ({weight})")
    return value


def normalise_weights(weights: Mapping[P, Weight]) -> tuple[tuple[P, ...], list[int]]:
    """Check ``weights`` and scale them to the smallest equivalent integers.

    Returns the parties in input order and their integer weights.

    Raises:
        InvalidParties: if there are no parties.
        InvalidWeights: if a weight is a float, negative, not finite, or every weight is zero.
    """
    parties = tuple(weights)
    if not parties:
        raise InvalidParties("no parties to split between")
    return parties, integer_weights(parties, list(weights.values()))


def integer_weights(parties: Sequence[Hashable], values: Sequence[object]) -> list[int]:
    """Check ``values`` (the weights of ``parties``, in order: at least one) and scale them to
    the smallest equivalent integers.

    Raises:
        InvalidWeights: if a weight is a float, negative, not finite, or every weight is zero.
    """
    integers: list[int] = []  # in one pass: whole weights (ints, whole fractions)
    whole = True
    for value in values:
        if type(value) is int:
            integers.append(value)
        elif type(value) is Fraction and value.denominator == 1:
            integers.append(value.numerator)
        else:
            whole = False
            break
    if whole:
        if min(integers) < 0:
            party, value = next((p, v) for p, v in zip(parties, integers, strict=True) if v < 0)
            raise InvalidWeights(f"weight of {party!r} is negative ({value})")
    else:
        fractions = [_as_fraction(p, v) for p, v in zip(parties, values, strict=True)]
        scale = lcm(*(f.denominator for f in fractions))
        integers = [int(f * scale) for f in fractions]
    if not any(integers):
        raise InvalidWeights("every weight is zero; at least one party must have a positive weight")
    return integers


def hamilton(total: int, numerators: Sequence[int], denominator: int) -> tuple[list[int], set[int]]:
    """Split the integer ``total`` by exact quotas ``numerators[i] / denominator``.

    ``sum(numerators)`` must equal ``abs(total) * denominator``. Each index gets the floor of its
    quota; the leftover units go one each to the largest remainders, ties to the lowest index.
    A negative total is the mirror of its positive. Returns the shares and the set of indices that
    received a leftover unit.
    """
    sign = -1 if total < 0 else 1
    shares = []
    remainders = []
    for numerator in numerators:
        share, remainder = divmod(numerator, denominator)
        shares.append(share)
        remainders.append(remainder)
    leftover = abs(total) - sum(shares)
    lucky: set[int] = set()
    if leftover:
        # what heapq.nlargest documents as its equivalent (ties to the lowest index), faster
        # when many units are left over
        ordered = sorted(range(len(shares)), key=remainders.__getitem__, reverse=True)
        lucky = set(ordered[:leftover])
        for index in lucky:
            shares[index] += 1
    if sign < 0:
        shares = [-share for share in shares]
    return shares, lucky


class _Shares(Mapping[Hashable, Money]):
    """A read-only mapping party -> Money over integer minor units (built on access, in order)."""

    __slots__ = ("_currency", "_index", "_minor", "_parties")

    def __init__(self, parties: tuple[Hashable, ...], minor: Sequence[int], currency: Currency):
        self._parties = parties
        self._minor = minor
        self._currency = currency
        self._index: dict[Hashable, int] | None = None

    def index(self, party: Hashable) -> int:
        if self._index is None:
            self._index = {p: i for i, p in enumerate(self._parties)}
        try:
            return self._index[party]
        except KeyError:
            raise UnknownParty(f"{party!r} is not a party to this allocation") from None

    def __getitem__(self, party: Hashable) -> Money:
        try:
            return from_minor(self._minor[self.index(party)], self._currency)
        except UnknownParty:
            raise KeyError(party) from None

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._parties)

    def __len__(self) -> int:
        return len(self._parties)

    def __repr__(self) -> str:
        inner = ", ".join(f"{p!r}: {format_money(self[p])}" for p in self._parties)
        return "{" + inner + "}"


@attrs.frozen
class Explanation:
    """Why a party got what it got.

    Attributes:
        party: the party explained.
        weight: its weight, scaled with the others to the smallest integers.
        total_weight: the sum of the scaled weights.
        fraction: its weight over the sum of the weights.
        share: the money it received.
        remainder_penny: whether it received one of the leftover minor units.
        reason: a sentence a finance officer can quote.
    """

    party: Hashable
    weight: int
    total_weight: int
    fraction: Fraction
    share: Money
    remainder_penny: bool
    reason: str
    minor_total: int = attrs.field(repr=False)

    @property
    def quota(self) -> Fraction:
        """The exact share in major units (pounds), before rounding."""
        unit = minor_units(self.share.currency)
        return Fraction(self.minor_total * self.weight, self.total_weight * unit)


@attrs.frozen(eq=False)
class Allocation:
    """A total split between parties; the shares sum to the total by construction.

    Build one with :func:`split_by_weight` or :func:`split_evenly`, not directly.
    """

    total: Money
    parties: tuple[Hashable, ...]
    weights: tuple[int, ...]
    minor_shares: tuple[int, ...]
    lucky: frozenset[int]

    @property
    def shares(self) -> Mapping[Hashable, Money]:
        """The shares as a read-only mapping party -> Money, in input (priority) order."""
        return _Shares(self.parties, self.minor_shares, self.total.currency)

    def fraction(self, party: Hashable) -> Fraction:
        """Return the party's weight over the sum of the weights."""
        index = self.shares_index(party)
        return Fraction(self.weights[index], sum(self.weights))

    def got_remainder_penny(self, party: Hashable) -> bool:
        """Return whether ``party`` received one of the leftover minor units."""
        return self.shares_index(party) in self.lucky

    def shares_index(self, party: Hashable) -> int:
        """Return the position of ``party`` (raises :class:`UnknownParty`)."""
        for index, candidate in enumerate(self.parties):
            if candidate == party:
                return index
        raise UnknownParty(f"{party!r} is not a party to this allocation")

    def explain(self, party: Hashable) -> Explanation:
        """Explain the share of ``party``: weight, exact quota, and any remainder penny."""
        return self._explain(self.shares_index(party), sum(self.weights),
                             to_minor(self.total), {})

    def explanations(self) -> tuple[Explanation, ...]:
        """Explain every share, in party order."""
        total_weight, minor_total = sum(self.weights), to_minor(self.total)
        reasons = _reasons(self.weights, abs(minor_total) % total_weight)
        currency = self.total.currency
        return tuple(
            Explanation(party, weight, total_weight, fraction,
                        from_minor(minor, currency), lucky, reason, minor_total)
            for party, weight, minor, (fraction, lucky, reason)
            in zip(self.parties, self.weights, self.minor_shares, reasons, strict=True))

    def _explain(self, index: int, total_weight: int, minor_total: int,
                 memo: dict[tuple[int, bool], tuple[Fraction, str]]) -> Explanation:
        weight = self.weights[index]
        lucky = index in self.lucky
        known = memo.get((weight, lucky))
        if known is None:
            known = memo[(weight, lucky)] = (Fraction(weight, total_weight),
                                             _reason(weight, lucky, total_weight, minor_total,
                                                     len(self.lucky)))
        share = from_minor(self.minor_shares[index], self.total.currency)
        return Explanation(self.parties[index], weight, total_weight, known[0], share, lucky,
                           known[1], minor_total)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Allocation):
            return NotImplemented
        return (self.total, self.parties, self.minor_shares) == (
            other.total, other.parties, other.minor_shares)

    def __hash__(self) -> int:
        return hash((self.parties, self.minor_shares))


def _reason(weight: int, lucky: bool, total_weight: int, minor_total: int, leftover: int
            ) -> str:
    numerator = abs(minor_total) * weight % total_weight
    common = gcd(numerator, total_weight)
    remainder = f"{numerator // common}/{total_weight // common}"
    if weight == 0:
        return "weight zero: receives nothing"
    if leftover == 0:
        return "the exact quota is a whole number of pence: no remainder penny was needed"
    if lucky:
        return (f"got one of the {leftover} leftover pennies: its remainder of {remainder} "
                f"of a penny is among the {leftover} largest (ties go to the party listed "
                "first)")
    if numerator == 0:
        return "no leftover penny: its quota is a whole number of pence"
    return (f"no leftover penny: its remainder of {remainder} of a penny is not among "
            f"the {leftover} largest (ties go to the party listed first)")


@functools.lru_cache(maxsize=4096)
def _reasons(weights: tuple[int, ...], residue: int) -> tuple[tuple[Fraction, bool, str], ...]:
    """Each party's fraction, leftover penny and reason. They depend on the total only through
    ``residue`` (its magnitude in minor units modulo the sum of the weights), so the sentences
    are built once per split shape and residue, not once per split (the cache is bounded)."""
    total_weight = sum(weights)
    _, lucky = hamilton(residue, [residue * weight for weight in weights], total_weight)
    memo: dict[tuple[int, bool], tuple[Fraction, bool, str]] = {}
    explained = []
    for index, weight in enumerate(weights):
        key = (weight, index in lucky)
        known = memo.get(key)
        if known is None:
            known = memo[key] = (Fraction(weight, total_weight), key[1],
                                 _reason(weight, key[1], total_weight, residue, len(lucky)))
        explained.append(known)
    return tuple(explained)


#: Why a party got its share: its weight over the sum of the weights, whether it received a
#: leftover minor unit, and the sentence a finance officer can quote (see :class:`Explanation`).
Reason = tuple[Fraction, bool, str]


def split_minor(total: int, weights: tuple[int, ...]) -> tuple[list[int], tuple[Reason, ...]]:
    """Split ``total`` minor units by ``weights`` (integers >= 0, not all zero, as
    :func:`normalise_weights` makes them): each party's share and why.

    The same shares and reasons as :func:`split_by_weight` and
    :meth:`Allocation.explanations`, without making a money value or an explanation object
    per party (the reasons depend on the total only through its residue modulo the sum of the
    weights, and are built once per shape). The shares sum to ``total``.
    """
    denominator = sum(weights)
    magnitude = abs(total)
    reasons = _reasons(weights, magnitude % denominator)
    # Each quota's floor, plus the leftover unit where the reasons say so: with
    # magnitude = q * denominator + residue, every quota is q * weight plus the quota of the
    # residue, so the floors differ from the residue's by q * weight, the remainders and the
    # leftover count are the residue's, and :func:`hamilton` on the whole total would pick the
    # same parties.
    shares = [magnitude * weight // denominator + lucky
              for weight, (_, lucky, _) in zip(weights, reasons, strict=True)]
    if total < 0:
        shares = [-share for share in shares]
    return shares, reasons


def split_by_weight(total: Money | str | Decimal, weights: Mapping[P, Weight]) -> Allocation:
    """Split ``total`` between the parties of ``weights`` in proportion to their weights.

    Args:
        total: a ``Money``, or a strict decimal string / ``Decimal`` in GBP; may be negative.
        weights: party -> weight (int, Decimal or Fraction, >= 0, not all zero), in priority
            order: ties for a remainder penny go to the party listed first.

    Raises:
        AllocationError: (a subclass) naming what was wrong with the total or the weights.
    """
    money = _coerce_total(total)
    parties, integers = normalise_weights(weights)
    minor_total = to_minor(money)
    denominator = sum(integers)
    magnitude = abs(minor_total)
    numerators = [magnitude * w for w in integers]
    shares, lucky = hamilton(minor_total, numerators, denominator)
    return Allocation(money, parties, tuple(integers), tuple(shares), frozenset(lucky))


def split_evenly(total: Money | str | Decimal, parties: Iterable[Hashable]) -> Allocation:
    """Split ``total`` equally; leftover pennies go to the parties listed first.

    Raises:
        InvalidParties: if ``parties`` is empty or lists a party twice.
    """
    weights: dict[Hashable, int] = {}
    for party in parties:
        if party in weights:
            raise InvalidParties(f"party listed more than once: {party!r}")
        weights[party] = 1
    return split_by_weight(total, weights)


@attrs.frozen
class Increment:
    """What each party owes for a new tranche: ``current - previous`` share by share.

    ``previous`` and ``current`` are the splits of the running totals, so a party's running total
    is always exactly its share of the running total: rounding never drifts.
    """

    previous: Allocation
    current: Allocation

    @property
    def total(self) -> Money:
        """The increment of the total (``current.total - previous.total``)."""
        return self.current.total - self.previous.total

    @property
    def minor_shares(self) -> tuple[int, ...]:
        """The per-party increments in minor units, in party order."""
        return tuple(
            now - before
            for now, before in zip(self.current.minor_shares, self.previous.minor_shares,
                                   strict=True)
        )

    @property
    def shares(self) -> Mapping[Hashable, Money]:
        """The per-party increments as a mapping party -> Money, in party order."""
        return _Shares(self.current.parties, self.minor_shares, self.current.total.currency)


def split_increment(
    previous_total: Money | str | Decimal,
    new_total: Money | str | Decimal,
    weights: Mapping[P, Weight],
) -> Increment:
    """Split the change from ``previous_total`` to ``new_total`` without drift.

    The increment of each party is ``split(new_total) - split(previous_total)``, so after any
    number of tranches each party holds exactly ``split_by_weight(running_total)``.
    """
    previous = split_by_weight(previous_total, weights)
    current = split_by_weight(new_total, weights)
    if previous.total.currency != current.total.currency:
        raise InvalidParties("previous and new totals are in different currencies")
    return Increment(previous, current)

