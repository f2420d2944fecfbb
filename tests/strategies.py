"""Hypothesis strategies shared by the test layers."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st

import rules
from allocations import from_minor

#: Money amounts as integer pence (up to £10 billion either way).
pence = st.integers(min_value=-(10**12), max_value=10**12)
positive_pence = st.integers(min_value=0, max_value=10**12)
money = pence.map(from_minor)
positive_money = positive_pence.map(from_minor)

parties = st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=25, unique=True)

weight_values = st.one_of(
    st.integers(min_value=0, max_value=10**9),
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False),
    st.fractions(min_value=0, max_value=10**6, max_denominator=1000),
)


@st.composite
def weights(draw: st.DrawFn, min_size: int = 1, max_size: int = 25
            ) -> dict[str, int | Decimal | Fraction]:
    """A mapping party -> weight with at least one positive weight."""
    names = draw(st.lists(st.text(min_size=1, max_size=6), min_size=min_size,
                          max_size=max_size, unique=True))
    values = [draw(weight_values) for _ in names]
    if not any(values):
        values[draw(st.integers(0, len(values) - 1))] = 1
    return dict(zip(names, values, strict=True))


#: Dates over the life of the Derbyshire arrangement and beyond.
arrangement_dates = st.dates(min_value=date(2011, 9, 1), max_value=date(2031, 3, 31))

#: Every boundary date of the embedded timeline, with the day before each.
TIMELINE = [date(2011, 9, 1), date(2012, 11, 22), date(2013, 4, 1), date(2014, 6, 1),
            date(2019, 4, 1), date(2021, 6, 26), date(2022, 7, 1)]
boundary_dates = st.sampled_from(TIMELINE + [d - timedelta(days=1) for d in TIMELINE])


# --- fund lines (grants) -----------------------------------------------------------------------

#: Short recipient names for fund lines.
recipient_names = st.lists(st.sampled_from("abcdefghijklmnop"), min_size=1, max_size=16,
                           unique=True)

#: Percentages as written in rules: whole numbers, or with up to two places.
percents = st.one_of(st.integers(0, 100), st.decimals(min_value=0, max_value=100, places=2,
                                                     allow_nan=False, allow_infinity=False))


@st.composite
def stage_percents(draw: st.DrawFn, max_stages: int = 5) -> list[Fraction]:
    """Positive percentages (at most two places) summing to exactly 100."""
    count = draw(st.integers(1, max_stages))
    cuts = sorted(draw(st.lists(st.integers(1, 9999), min_size=count - 1, max_size=count - 1,
                                unique=True)))
    points = [0, *cuts, 10000]
    return [Fraction(b - a, 100) for a, b in itertools.pairwise(points)]


@st.composite
def bid_lists(draw: st.DrawFn, names: list[str] | None = None
              ) -> list[tuple[str, str, int, bool]]:
    """Bids as ``(id, recipient, pence requested, approved)``; a recipient may bid twice."""
    who = names or draw(recipient_names)
    count = draw(st.integers(0, 12))
    return [(f"bid-{i}", draw(st.sampled_from(who)), draw(st.integers(0, 10**8)),
             draw(st.booleans())) for i in range(count)]

#: Cost items a split may see (contributions name one of them).
ITEMS = ("panel-chair", "overview-author")
PARTNER_NAMES = ("police", "council", "probation", "fire", "health", "district", "crc", "opcc")


@st.composite
def resolved_splits(draw: st.DrawFn) -> rules.ResolvedSplit:
    """A resolved split: 1-7 partners with weights (not all zero), maybe a contribution."""
    names = draw(st.lists(st.sampled_from(PARTNER_NAMES[:-1]), min_size=1, max_size=7,
                          unique=True))
    weights = [Fraction(draw(st.integers(0, 4))) for _ in names]
    if not any(weights):
        weights[0] = Fraction(1)
    partners = tuple(rules.Partner(n, f"role-{n}", w) for n, w in zip(names, weights,
                                                                       strict=True))
    contributions: tuple[rules.Contribution, ...] = ()
    if draw(st.booleans()):
        cap = draw(st.one_of(st.none(), positive_pence.map(from_minor)))
        contributions = (rules.Contribution(
            draw(st.sampled_from(["opcc", names[0]])), draw(st.sampled_from(ITEMS)),
            Decimal(draw(st.integers(1, 100))), cap),)
    return rules.ResolvedSplit("arrangement", date(2013, 4, 1), partners, contributions)


#: A tranche as the settlement core sees it: (item, pence >= 0).
tranche_costs = st.tuples(st.sampled_from(ITEMS), st.integers(0, 10**9))
