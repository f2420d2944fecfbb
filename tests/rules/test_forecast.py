"""DHR forecast: examples across membership changes, history ranges, and the laws."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import allocations
import rules
from rules.forecast import (
    History,
    Range,
    ReviewCosts,
    cost_range,
    forecast,
    history_ranges,
    previous_years,
)

#: Districts with one health commissioner at every date (no health_body needed).
SINGLE = ["amber-valley", "bolsover", "chesterfield", "erewash", "south-derbyshire"]


def pence(pounds: str) -> Fraction:
    return Fraction(allocations.to_minor(allocations.parse_money(pounds)))


def test_one_review_in_2026_27_is_a_six_way_split(derbyshire: rules.Ruleset) -> None:
    result = forecast(derbyshire, "2026-27", {"amber-valley": Range.exactly(Fraction(1))},
                      Range.exactly(pence("6000.00")))
    assert result.total == Range.exactly(pence("6000.00"))
    assert {p.organisation: p.expected for p in result.partners} == {
        "derbyshire-constabulary": 100000, "derbyshire-county-council": 100000,
        "probation-service": 100000, "derbyshire-fire-rescue": 100000,
        "derby-derbyshire-icb": 100000, "amber-valley-council": 100000}
    assert all(p.low == p.expected == p.high for p in result.partners)


def test_a_change_within_the_year_shares_the_year_by_days(derbyshire: rules.Ruleset) -> None:
    # CCGs end on 2022-07-01: 91 of the year's 365 days fall to the CCG, 274 to the ICB.
    result = forecast(derbyshire, "2022-23", {"amber-valley": Range.exactly(Fraction(1))},
                      Range.exactly(pence("6000.00")))
    by_org = {p.organisation: p.expected for p in result.partners}
    assert by_org["derby-derbyshire-ccg"] == 24932  # £1,000 x 91/365 = £249.315...
    assert by_org["derby-derbyshire-icb"] == 75068
    assert sum(by_org.values()) == 600000
    assert [(p.start, p.end) for p in result.periods] == [
        (date(2022, 4, 1), date(2022, 7, 1)), (date(2022, 7, 1), date(2023, 4, 1))]


def test_police_authority_abolished_within_2012_13(derbyshire: rules.Ruleset) -> None:
    result = forecast(derbyshire, "2012-13", {"erewash": Range.exactly(Fraction(1))},
                      Range.exactly(pence("7000.00")))
    by_org = {p.organisation: p.expected for p in result.partners}
    # 1 April to 22 November 2012: 235 days of 365 seven ways; then six ways.
    exact_authority = Fraction(700000, 7) * Fraction(235, 365)
    assert abs(by_org["derbyshire-police-authority"] - exact_authority) < 1
    assert sum(by_org.values()) == 700000


def test_a_split_district_needs_its_health_body(derbyshire: rules.Ruleset) -> None:
    with pytest.raises(rules.NotCovered) as raised:
        forecast(derbyshire, "2015-16", {"high-peak": Range.exactly(Fraction(1))},
                 Range.exactly(pence("5000.00")))
    assert raised.value.field == "health_bodies.high-peak"
    named = forecast(derbyshire, "2015-16", {"high-peak": Range.exactly(Fraction(1))},
                     Range.exactly(pence("5000.00")), {"high-peak": "tameside-glossop-ccg"})
    assert "tameside-glossop-ccg" in {p.organisation for p in named.partners}


@pytest.mark.parametrize(("reviews", "year", "field"), [
    ({"derby-city": Range.exactly(Fraction(1))}, "2026-27", "reviews.derby-city"),
    ({"nowhere": Range.exactly(Fraction(1))}, "2026-27", "reviews.nowhere"),
    ({"erewash": Range.exactly(Fraction(-1))}, "2026-27", "reviews.erewash"),
    ({"erewash": Range.exactly(Fraction(1))}, "2026-28", "year"),
    ({"erewash": Range.exactly(Fraction(1))}, "2010-11", "reviews.erewash"),
])
def test_bad_requests_name_the_field(derbyshire: rules.Ruleset, reviews: dict[str, Range],
                                     year: str, field: str) -> None:
    with pytest.raises(rules.RulesError) as raised:
        forecast(derbyshire, year, reviews, Range.exactly(pence("1.00")))
    assert raised.value.field == field


def test_history_gives_the_range() -> None:
    history = History.of(
        reviews=(("erewash", "2022-23"), ("erewash", "2022-23"), ("erewash", "2024-25"),
                 ("bolsover", "2023-24")),
        costs=(500000, 700000, 650001))
    assert sorted(history.reviews) == [("bolsover", "2023-24", 1), ("erewash", "2022-23", 2),
                                       ("erewash", "2024-25", 1)]
    years = previous_years("2026-27", history, complete_before=date(2026, 11, 25))
    assert years == ("2022-23", "2023-24", "2024-25", "2025-26")
    ranges = history_ranges(history, years, ["erewash", "bolsover", "chesterfield"])
    assert ranges["erewash"] == Range(Fraction(0), Fraction(3, 4), Fraction(2))
    assert ranges["bolsover"] == Range(Fraction(0), Fraction(1, 4), Fraction(1))
    assert ranges["chesterfield"] == Range.exactly(Fraction(0))
    assert cost_range(history.costs) == Range(Fraction(500000), Fraction(616667),
                                              Fraction(700000))
    assert cost_range(ReviewCosts()) is None
    assert cost_range(ReviewCosts.of([1])) == Range.exactly(Fraction(1))
    # A year not yet over does not count; nor does the forecast year or later.
    assert previous_years("2026-27", history, date(2026, 3, 31))[-1] == "2024-25"
    assert previous_years("2022-23", history, date(2030, 1, 1)) == ()


# --- laws ----------------------------------------------------------------------------------------

review_counts = st.fractions(min_value=0, max_value=6, max_denominator=12)
years = st.integers(min_value=2012, max_value=2030).map(lambda y: f"{y}-{(y + 1) % 100:02d}")


@st.composite
def forecast_inputs(draw: st.DrawFn) -> tuple[str, dict[str, Range], Range]:
    districts = draw(st.lists(st.sampled_from(SINGLE), min_size=1, max_size=5, unique=True))
    reviews = {}
    for district in districts:
        low, expected, high = sorted(draw(review_counts) for _ in range(3))
        reviews[district] = Range(low, expected, high)
    low_cost, cost, high_cost = sorted(draw(st.integers(0, 10**8)) for _ in range(3))
    return draw(years), reviews, Range(Fraction(low_cost), Fraction(cost), Fraction(high_cost))


def half_up(value: Fraction) -> int:
    return int((Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP))


@given(forecast_inputs())
def test_totals_are_reviews_times_cost_and_partners_split_them(
        derbyshire: rules.Ruleset, inputs: tuple[str, dict[str, Range], Range]) -> None:
    year, reviews, cost = inputs
    result = forecast(derbyshire, year, reviews, cost)
    for pick in ("low", "expected", "high"):
        exact = sum(getattr(r, pick) for r in reviews.values()) * getattr(cost, pick)
        total = getattr(result.total, pick)
        assert total == half_up(exact)
        assert sum(getattr(p, pick) for p in result.partners) == total


@given(st.sampled_from(SINGLE), review_counts, st.integers(0, 10**8),
       st.integers(min_value=2023, max_value=2030))
def test_with_no_change_in_the_year_a_partner_gets_its_split_of_the_total(
        derbyshire: rules.Ruleset, district: str, count: Fraction, cost: int, start: int) -> None:
    year = f"{start}-{(start + 1) % 100:02d}"
    result = forecast(derbyshire, year, {district: Range.exactly(count)},
                      Range.exactly(Fraction(cost)))
    assert len(result.periods) == 1
    total = allocations.from_minor(int(result.total.expected))
    _, split = rules.resolve_split(derbyshire, rules.DhrRequest(
        district, date(start, 4, 1), ()))
    if total.amount:
        expected = allocations.split_by_weight(
            total, {p.organisation: p.weight for p in split.partners})
        assert {p.organisation: allocations.from_minor(p.expected) for p in result.partners} \
            == dict(expected.shares)
