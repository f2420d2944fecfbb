"""Domestic Homicide Review costs apportioned among the statutory partners on a date.

Invariants (tested as laws): the shares sum to the total cost; every body billed is active and
statutory on the governing date; each body filling a role is billed once; with equal weights
every partner's share is within a penny of every other's.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import attrs
from moneyed import Currency, Money

import allocations
from rules.arrangements import Arrangement, Contribution
from rules.exceptions import NotCovered, RequestInvalid
from rules.membership import Partner, partners_on, remember, ruleset_memo
from rules.ruleset import Ruleset

__all__ = [
    "Apportionment",
    "Cost",
    "DhrRequest",
    "Part",
    "ResolvedSplit",
    "Share",
    "apportion",
    "choose_arrangement",
    "resolve_split",
]


@attrs.frozen
class Cost:
    """An item of cost (``overview-author``) and its amount."""

    item: str
    amount: Money


@attrs.frozen
class DhrRequest:
    """What to apportion: the victim's district, the billing date and the costs.

    ``commissioned`` is the review's commission date, needed only by arrangements governed by it.
    ``any_health_body`` accepts any statutory health commissioner active on the date as
    ``health_body``, inside the district map or not (a ledger case, where the victim's GP
    registration decides).
    """

    district: str
    date: datetime.date
    costs: tuple[Cost, ...]
    health_body: str | None = None
    arrangement: str | None = None
    commissioned: datetime.date | None = None
    any_health_body: bool = False


@attrs.frozen
class Share:
    """One payer's part: a partner's share of the split, or a contribution taken before it.

    ``fraction`` is the partner's weight over the split's total weight (``None`` for a
    contribution); ``remainder_penny`` says whether it got one of the leftover pennies.
    """

    organisation: str
    role: str
    amount: Money
    fraction: Fraction | None
    remainder_penny: bool
    reason: str


@attrs.frozen
class Part:
    """A :class:`Share` before it is money: its amount in minor units (pence) of the costs'
    currency."""

    organisation: str
    role: str
    minor: int
    fraction: Fraction | None
    remainder_penny: bool
    reason: str

    def share(self, currency: Currency) -> Share:
        """This part as a share, its amount money of ``currency``."""
        return Share(self.organisation, self.role, allocations.from_minor(self.minor, currency),
                     self.fraction, self.remainder_penny, self.reason)


@attrs.frozen
class Apportionment:
    """The split of a request's costs; ``sum(share.amount) == total`` by construction.

    Kept as columns: the contributions taken first (as parts), then each partner with its
    amount in minor units and its reason (fraction, leftover penny, sentence), in order; an
    answer reads them without making an object per payer. ``parts`` (the shares in minor
    units) and ``shares`` (the same as money) are made when asked for.
    """

    request: DhrRequest
    arrangement: Arrangement
    governing_date: date
    total: Money
    contributions: tuple[Part, ...]
    partners: tuple[Partner, ...]
    minor: tuple[int, ...]
    reasons: tuple[allocations.Reason, ...]

    @functools.cached_property
    def parts(self) -> tuple[Part, ...]:
        """Every payer's part, contributions first, in order."""
        return _parts(self.contributions, self.partners, self.minor, self.reasons)

    @functools.cached_property
    def shares(self) -> tuple[Share, ...]:
        """Each payer's share as money, in the order of :attr:`parts`."""
        currency = self.total.currency
        return tuple(part.share(currency) for part in self.parts)


def _parts(contributions: tuple[Part, ...], partners: Sequence[Partner], minor: Sequence[int],
           reasons: Sequence[allocations.Reason]) -> tuple[Part, ...]:
    """A split's columns as parts: the contributions', then each partner's, in order."""
    return contributions + tuple(
        Part(partner.organisation, partner.role, amount, fraction, lucky, reason)
        for partner, amount, (fraction, lucky, reason)
        in zip(partners, minor, reasons, strict=True))


def governing_date(arrangement: Arrangement, request: DhrRequest) -> date:
    """Return the date that resolves the partners: billing (default) or commission date."""
    if arrangement.governing_date == "commission":
        if request.commissioned is None:
            raise RequestInvalid(
                f"arrangement {arrangement.id!r} is governed by the commission date; "
                "give commissioned", field="commissioned")
        return request.commissioned
    return request.date


def choose_arrangement(ruleset: Ruleset, request: DhrRequest) -> Arrangement:
    """Return the arrangement named by the request, or the one covering its district and date.

    Raises:
        UnknownId: an unknown district or arrangement.
        NotCovered: no arrangement covers the district, or none is in force on the date.
        RequestInvalid: several arrangements would apply and none was named.
    """
    key = (request.district, request.arrangement, request.date, request.commissioned)
    memo = ruleset_memo(ruleset, "dhr.arrangements")
    found: Arrangement | None = memo.get(key)
    if found is None:  # a refusal is not kept: it is made again, naming its field
        found = remember(memo, key, _choose_arrangement(ruleset, request))
    return found


def _choose_arrangement(ruleset: Ruleset, request: DhrRequest) -> Arrangement:
    ruleset.district(request.district, field="district")
    if request.arrangement is not None:
        arrangement = ruleset.arrangement(request.arrangement, field="arrangement")
        candidates = [arrangement]
    else:
        candidates = [a for a in ruleset.arrangements.values()
                      if request.district in a.districts]
    covering = [a for a in candidates if request.district in a.districts]
    if not covering:
        known = sorted({d for a in ruleset.arrangements.values() for d in a.districts})
        raise NotCovered(
            f"no arrangement covers district {request.district!r}; covered districts: "
            f"{', '.join(known) or 'none'}", field="district")
    in_force = [a for a in covering if a.in_force.contains(governing_date(a, request))]
    if not in_force:
        spans = "; ".join(f"{a.id} is in force from {a.in_force.start.isoformat()}"
                          + (f" to {a.in_force.end.isoformat()}" if a.in_force.end else "")
                          for a in covering)
        when = governing_date(covering[0], request).isoformat()
        raise NotCovered(f"no arrangement for {request.district!r} is in force on {when}: {spans}",
                         field="date")
    if len(in_force) > 1:
        raise RequestInvalid(
            f"several arrangements cover {request.district!r} then: "
            f"{', '.join(a.id for a in in_force)}; name one as arrangement", field="arrangement")
    return in_force[0]


@attrs.frozen
class ResolvedSplit:
    """An arrangement resolved on a date: the partners with their weights and the
    contributions taken first. It splits any costs without the ruleset, so a ledger can keep
    the split a tranche was billed under (``to_dict`` / ``from_dict``) whatever the rules become.

    Two resolutions with the same :attr:`key` split every cost identically.
    """

    arrangement: str
    governing_date: date
    partners: tuple[Partner, ...]
    contributions: tuple[Contribution, ...] = ()

    @property
    def key(self) -> str:
        """A canonical text of what decides the split (not the date it was resolved on)."""
        data = self.to_dict()
        del data["governing_date"]
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    def shares(self, costs: Sequence[Cost]) -> tuple[Share, ...]:
        """Split ``costs``: contributions first (a percent of an item, half-up to the penny,
        capped), then the rest by weight, leftover pennies to the largest remainders, ties to
        the partner listed first. The shares sum to the costs' total."""
        currency = _currency(costs)
        return tuple(part.share(currency) for part in self.parts(costs))

    def parts(self, costs: Sequence[Cost]) -> tuple[Part, ...]:
        """:meth:`shares` in minor units: the same split, no money value made per partner."""
        contributions, minor, reasons = self.columns(
            costs, sum(allocations.to_minor(cost.amount) for cost in costs))
        return _parts(contributions, self.partners, minor, reasons)

    def columns(self, costs: Sequence[Cost], total: int
                ) -> tuple[tuple[Part, ...], tuple[int, ...], tuple[allocations.Reason, ...]]:
        """The split of ``costs`` (``total`` minor units) as columns: the contributions' parts,
        then each partner's amount in minor units and its reason, in :attr:`partners` order."""
        contributions = tuple(
            Part(share.organisation, share.role, allocations.to_minor(share.amount), None,
                 False, share.reason)
            for share in _contributions(self.contributions, costs)
        ) if self.contributions else ()
        pool = total - sum(part.minor for part in contributions)
        if not self.partners:
            raise allocations.InvalidParties("no parties to split between")
        minor, reasons = allocations.split_minor(pool, self._weights)
        return contributions, tuple(minor), reasons

    @functools.cached_property
    def _weights(self) -> tuple[int, ...]:
        """The partners' weights scaled to the smallest equivalent integers (checked)."""
        _, weights = allocations.normalise_weights(
            {partner.organisation: partner.weight for partner in self.partners})
        return tuple(weights)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (weights and percents as exact strings, money as pence strings)."""
        return {
            "arrangement": self.arrangement, "governing_date": self.governing_date.isoformat(),
            "partners": [[p.organisation, p.role, str(p.weight)] for p in self.partners],
            "contributions": [[c.organisation, c.item, str(c.percent),
                               None if c.cap is None else allocations.format_money(c.cap)]
                              for c in self.contributions]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResolvedSplit:
        """The inverse of :meth:`to_dict`."""
        return cls(
            data["arrangement"], date.fromisoformat(data["governing_date"]),
            tuple(Partner(o, r, Fraction(w)) for o, r, w in data["partners"]),
            tuple(Contribution(o, i, Decimal(p), None if cap is None
                               else allocations.parse_money(cap))
                  for o, i, p, cap in data["contributions"]))


def resolve_split(ruleset: Ruleset, request: DhrRequest) -> tuple[Arrangement, ResolvedSplit]:
    """Resolve the arrangement for the request and check its cost items.

    Raises:
        RulesError: naming the field at fault (district, date, health_body, costs.N.item...).
    """
    arrangement = choose_arrangement(ruleset, request)
    when = governing_date(arrangement, request)
    for index, cost in enumerate(request.costs):
        if cost.item not in arrangement.shared_items:
            raise NotCovered(
                f"arrangement {arrangement.id!r} does not share cost item {cost.item!r}; "
                f"shared items: {', '.join(arrangement.shared_items)}",
                field=f"costs.{index}.item")
    # The same arrangement, district, day and health body resolve the same way: the split
    # (and the integer weights it keeps) is made once per ruleset.
    key = (arrangement.id, request.district, when, request.health_body,
           request.any_health_body)
    memo = ruleset_memo(ruleset, "dhr.splits")
    split: ResolvedSplit | None = memo.get(key)
    if split is None:
        district = ruleset.district(request.district, field="district")
        partners = partners_on(ruleset, arrangement, district, when, request.health_body,
                               request.any_health_body)
        if not partners:
            raise NotCovered(f"no statutory partner fills a role of {arrangement.id!r} on "
                             f"{when.isoformat()}", field="date")
        contributions = tuple(c for c in arrangement.contributions
                              if ruleset.organisation(c.organisation).active_on(when))
        split = remember(memo, key, ResolvedSplit(arrangement.id, when, partners, contributions))
    return arrangement, split


def apportion(ruleset: Ruleset, request: DhrRequest) -> Apportionment:
    """Apportion the request's costs among the partners in force on the governing date.

    Contributions set by the arrangement (a percent of an item, capped) are taken first; the
    rest is split by the partners' weights, leftover pennies to the largest remainders, ties to
    the partner listed first (arrangement order).
    """
    if not request.costs:
        raise RequestInvalid("no costs given", field="costs")
    arrangement, split = resolve_split(ruleset, request)
    currency = _currency(request.costs)
    total = sum(allocations.to_minor(cost.amount) for cost in request.costs)
    contributions, minor, reasons = split.columns(request.costs, total)
    return Apportionment(request, arrangement, split.governing_date,
                         allocations.from_minor(total, currency), contributions,
                         split.partners, minor, reasons)


def _currency(costs: Sequence[Cost]) -> Currency:
    """The costs' currency (all must share it; GBP when there are none)."""
    if len(costs) == 1:
        return costs[0].amount.currency
    currencies = {cost.amount.currency for cost in costs}
    if len(currencies) > 1:
        raise RequestInvalid("costs are in more than one currency: "
                             f"{', '.join(sorted(c.code for c in currencies))}", field="costs")
    return currencies.pop() if currencies else allocations.GBP


def _contributions(contributions: Sequence[Contribution], costs: Sequence[Cost]) -> list[Share]:
    shares = []
    for contribution in contributions:
        item_total = sum((c.amount for c in costs if c.item == contribution.item),
                         allocations.zero())
        if not item_total.amount:
            continue
        exact = item_total.amount * contribution.percent / Decimal(100)
        amount = Money(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), item_total.currency)
        reason = f"pays {contribution.percent}% of {contribution.item} before the split"
        if contribution.cap is not None and amount > contribution.cap:
            amount = contribution.cap
            reason += f", capped at {allocations.format_money(contribution.cap)}"
        shares.append(Share(contribution.organisation, "contribution", amount, None, False,
                            reason))
    return shares
