"""DHR forecast: what each partner should provide for reviews in a coming financial year.

Expected reviews per district (given, or the yearly average of a history) times a cost per
review (given, or the average of past reviews' costs), split among the partners of the
arrangement in force on the year's first day; where membership changes within the year (a body
ends, a commissioner is replaced), each district's expected cost is shared between the parts of
the year in proportion to their days, each part under the partners of its own start. A low and
a high figure come from the history's quietest and busiest year per district and its cheapest
and dearest review; where everything is given, low = expected = high.

Laws (property-tested): each total is the expected reviews times the cost per review, rounded to
the penny; every partner's figure is its share of that total (largest remainder by its exact
expected share), so the partners' figures add up to the total exactly.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import attrs

import allocations
from rules.dhr import DhrRequest, ResolvedSplit, resolve_split
from rules.exceptions import NotCovered, RequestInvalid, RulesError
from rules.periods import financial_year_start, parse_financial_year
from rules.ruleset import Ruleset

__all__ = ["Forecast", "History", "PartnerForecast", "Period", "Range", "ReviewCosts",
           "cost_range", "districts_in_force", "financial_year_of", "forecast", "forecast_year",
           "history_ranges", "needs_history", "previous_years"]


@attrs.frozen
class Range:
    """A low, expected and high figure (reviews as fractions, money as pence)."""

    low: Fraction
    expected: Fraction
    high: Fraction

    @classmethod
    def exactly(cls, value: Fraction) -> Range:
        """A figure known exactly: low = expected = high."""
        return cls(value, value, value)


@attrs.frozen
class ReviewCosts:
    """What finished reviews cost, in pence: how many there are, their total, the cheapest
    and the dearest (all a forecast needs of them, so a ledger sums them where it keeps them).
    """

    count: int = 0
    total: int = 0
    cheapest: int = 0
    dearest: int = 0

    @classmethod
    def of(cls, costs: Iterable[int]) -> ReviewCosts:
        """The summary of each review's cost."""
        found = list(costs)
        return cls(len(found), sum(found), min(found, default=0), max(found, default=0))


@attrs.frozen
class History:
    """What the ledger knows about past reviews.

    Attributes:
        reviews: ``(district, financial year, how many reviews were commissioned)``.
        costs: what finished reviews cost.
    """

    reviews: tuple[tuple[str, str, int], ...] = ()
    costs: ReviewCosts = ReviewCosts()

    @classmethod
    def of(cls, reviews: Iterable[tuple[str, str]], costs: Iterable[int]) -> History:
        """The history of reviews given one by one (``(district, financial year)``) and of the
        cost of each finished one."""
        counted = collections.Counter(reviews)
        return cls(tuple((d, y, n) for (d, y), n in counted.items()), ReviewCosts.of(costs))


@attrs.frozen
class PartnerForecast:
    """One partner's forecast for the year, in pence."""

    organisation: str
    low: int
    expected: int
    high: int


@attrs.frozen
class Period:
    """A part of the year with the same partners for a district: ``[start, end)``."""

    district: str
    start: date
    end: date
    partners: tuple[str, ...]


@attrs.frozen
class Forecast:
    """A year's forecast: reviews per district and cost per review (each a range), the totals
    and every partner's figures (in pence), and the parts of the year per district."""

    year: str
    start: date
    end: date
    reviews: Mapping[str, Range]
    cost_per_review: Range
    total: Range
    partners: tuple[PartnerForecast, ...]
    periods: tuple[Period, ...]
    history_years: tuple[str, ...] = ()


def previous_years(year: str, history: History, complete_before: date) -> tuple[str, ...]:
    """The financial years a history can speak for: from its first review's year through the
    year before ``year``, keeping only years over by ``complete_before``."""
    first_year = parse_financial_year(year)
    # each year written once (a history holds thousands of reviews over a few years)
    starts = [parse_financial_year(y) for y in {y for _, y, _ in history.reviews}]
    if not starts:
        return ()
    years = []
    for start in range(min(starts), first_year):
        if date(start + 1, 4, 1) <= complete_before:
            years.append(f"{start}-{(start + 1) % 100:02d}")
    return tuple(years)


def history_ranges(history: History, years: Sequence[str], districts: Iterable[str]
                   ) -> dict[str, Range]:
    """Per district: its fewest, average and most reviews a year over ``years``."""
    counts = {(d, y): 0 for d in districts for y in years}
    for district, year, reviews in history.reviews:
        if (district, year) in counts:
            counts[(district, year)] += reviews
    ranges = {}
    for district in districts:
        per_year = [counts[(district, y)] for y in years]
        if per_year:
            ranges[district] = Range(Fraction(min(per_year)), Fraction(sum(per_year), len(years)),
                                     Fraction(max(per_year)))
    return ranges


def cost_range(costs: ReviewCosts) -> Range | None:
    """The cheapest, average (to the penny, half up) and dearest review, or ``None``."""
    if not costs.count:
        return None
    return Range(Fraction(costs.cheapest),
                 Fraction(_half_up(Fraction(costs.total, costs.count))),
                 Fraction(costs.dearest))


def _half_up(value: Fraction) -> int:
    return int((Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP)) if value >= 0 else -_half_up(-value)


def forecast(ruleset: Ruleset, year: str, reviews: Mapping[str, Range], cost: Range,
             health_bodies: Mapping[str, str] | None = None,
             history_years: Sequence[str] = ()) -> Forecast:
    """The forecast for ``year`` (``"2026-27"``).

    Args:
        reviews: per district, its expected reviews in the year (low / expected / high).
        cost: the cost of one review in pence (low / expected / high).
        health_bodies: the health commissioner to bill, per district where several cover it.

    Raises:
        RulesError: naming the field at fault (``year``, ``reviews.<district>``,
            ``health_bodies.<district>``).
    """
    try:
        start = financial_year_start(year)
    except ValueError as error:
        raise RequestInvalid(str(error), field="year") from error
    end = date(start.year + 1, 4, 1)
    for district, count in reviews.items():
        ruleset.district(district, field=f"reviews.{district}")
        if min(count.low, count.expected, count.high) < 0:
            raise RequestInvalid("a number of reviews cannot be negative",
                                 field=f"reviews.{district}")
    if min(cost.low, cost.expected, cost.high) < 0:
        raise RequestInvalid("a cost per review cannot be negative", field="cost_per_review")
    health = dict(health_bodies or {})
    resolved = {district: _periods(ruleset, district, start, end, health.get(district))
                for district in reviews}
    periods = [period for parts in resolved.values() for period, _ in parts]
    weights = {district: _weights(parts, (end - start).days)
               for district, parts in resolved.items()}

    def figures(pick: str) -> tuple[int, dict[str, int]]:
        exact: dict[str, Fraction] = {}
        for district, count in reviews.items():
            amount = getattr(count, pick) * getattr(cost, pick)
            for organisation, share in weights[district].items():
                exact[organisation] = exact.get(organisation, Fraction(0)) + amount * share
        total = _half_up(sum(getattr(r, pick) for r in reviews.values()) * getattr(cost, pick))
        return total, _split(total, exact)

    low, expected, high = figures("low"), figures("expected"), figures("high")
    partners = tuple(PartnerForecast(o, low[1].get(o, 0), amount, high[1].get(o, 0))
                     for o, amount in expected[1].items())
    return Forecast(year, start, end, dict(reviews), cost,
                    Range(Fraction(low[0]), Fraction(expected[0]), Fraction(high[0])),
                    partners, tuple(periods), tuple(history_years))


def _split(total: int, exact: Mapping[str, Fraction]) -> dict[str, int]:
    """``total`` pence shared by the exact expected amounts (largest remainder)."""
    if not any(exact.values()):
        return dict.fromkeys(exact, 0)
    split = allocations.split_by_weight(allocations.from_minor(total), dict(exact))
    return {str(o): allocations.to_minor(amount) for o, amount in split.shares.items()}


def _boundaries(ruleset: Ruleset, start: date, end: date) -> list[date]:
    """The dates inside ``(start, end)`` where any membership, coverage or arrangement
    changes."""
    periods = [p for o in ruleset.organisations.values() for p in o.active]
    periods += [p for k in ruleset.kinds.values() for p in k.statutory]
    periods += [h.period for d in ruleset.districts.values() for h in d.health]
    periods += [a.in_force for a in ruleset.arrangements.values()]
    dates = {d for p in periods for d in (p.start, p.end) if d is not None and start < d < end}
    return sorted(dates)


def _resolve(ruleset: Ruleset, district: str, when: date, health_body: str | None
             ) -> ResolvedSplit:
    """The partners of ``district`` on ``when``; a named health body that no longer covers the
    district then gives way to the one that does (succession is followed, never a dead end)."""
    try:
        return resolve_split(ruleset, DhrRequest(district, when, (), health_body))[1]
    except RulesError as error:
        if health_body is None or error.field != "health_body":
            raise
        try:
            return resolve_split(ruleset, DhrRequest(district, when, ()))[1]
        except RulesError:
            raise error from None


def _periods(ruleset: Ruleset, district: str, start: date, end: date,
             health_body: str | None) -> list[tuple[Period, ResolvedSplit]]:
    cuts = [start, *_boundaries(ruleset, start, end), end]
    found: list[tuple[Period, ResolvedSplit]] = []
    for begin, finish in itertools.pairwise(cuts):
        try:
            split = _resolve(ruleset, district, begin, health_body)
        except RulesError as error:
            if error.field in ("health_body", None, ""):
                error.field = f"health_bodies.{district}"
            elif error.field in ("district", "date"):
                error.field = f"reviews.{district}"
            error.message = f"{district} from {begin.isoformat()}: {error.message}"
            error.args = (error.message,)
            raise
        if found and found[-1][1].key == split.key:
            found[-1] = (attrs.evolve(found[-1][0], end=finish), found[-1][1])
        else:
            partners = tuple(p.organisation for p in split.partners)
            found.append((Period(district, begin, finish, partners), split))
    return found


def _weights(periods: Sequence[tuple[Period, ResolvedSplit]], days: int
             ) -> dict[str, Fraction]:
    """Each partner's exact part of one review in a district over the year: per part of the
    year, its days over the year's days times its weight over the part's total weight."""
    weights: dict[str, Fraction] = {}
    for period, split in periods:
        total = sum((p.weight for p in split.partners), Fraction(0))
        if not total:
            raise NotCovered(f"no partner of {period.district} has a weight from "
                             f"{period.start.isoformat()}", field=f"reviews.{period.district}")
        part = Fraction((period.end - period.start).days, days)
        for partner in split.partners:
            weights[partner.organisation] = (weights.get(partner.organisation, Fraction(0))
                                             + part * partner.weight / total)
    return weights

def financial_year_of(when: date) -> str:
    """The financial year (``"2013-14"``) a date falls in."""
    start = when.year if when >= date(when.year, 4, 1) else when.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def districts_in_force(ruleset: Ruleset, on: date) -> tuple[str, ...]:
    """The districts covered by an arrangement in force on ``on``, in ruleset order."""
    covered = {d for a in ruleset.arrangements.values() if a.in_force.contains(on)
               for d in a.districts}
    return tuple(d for d in ruleset.districts if d in covered)


def needs_history(reviews: Mapping[str, Fraction] | None, cost: int | None) -> bool:
    """Whether a forecast asked for this way reads the ledger's history."""
    return reviews is None or cost is None


def forecast_year(ruleset: Ruleset, year: str, reviews: Mapping[str, Fraction] | None = None,
                  cost: int | None = None, history: History | None = None,
                  complete_before: date | None = None,
                  health_bodies: Mapping[str, str] | None = None) -> Forecast:
    """The forecast for ``year`` from what is given, the rest from ``history``.

    ``reviews`` (per district) and ``cost`` (pence per review) are used exactly when given;
    otherwise the history's complete years before ``year`` (over by ``complete_before``)
    give them, with their low and high.

    Raises:
        RulesError: naming the field (``year``, ``reviews``, ``cost_per_review``...).
    """
    try:
        start = financial_year_start(year)
    except ValueError as error:
        raise RequestInvalid(str(error), field="year") from error
    history = history or History()
    years = previous_years(year, history, complete_before or start)
    if reviews is not None:
        ranges = {d: Range.exactly(Fraction(n)) for d, n in reviews.items()}
    elif years:
        ranges = history_ranges(history, years, districts_in_force(ruleset, start))
    else:
        raise RequestInvalid(f"the ledger holds no complete year of reviews before {year}; "
                             "give the expected reviews per district", field="reviews")
    if cost is not None:
        cost_per_review = Range.exactly(Fraction(cost))
    else:
        found = cost_range(history.costs)
        if found is None:
            raise RequestInvalid("no review in the ledger has costs yet; give cost_per_review",
                                 field="cost_per_review")
        cost_per_review = found
    used = years if needs_history(reviews, cost) else ()
    return forecast(ruleset, year, ranges, cost_per_review, health_bodies, used)
