"""Hypothesis strategies shared by the test layers."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import attrs
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


#: Any JSON value (small).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=8)

#: Texts near and across the edges of the wire's fields (ids, dates, money, choices).
_WIRE_TEXTS = ["amber-valley", "erewash", "DHR-2013-02", "open", "paid", "json", "csv", "GBP",
               "USD", "", " ", "bad id!", "x" * 101, "2013-05-01", "2013-02-30", "20130501",
               "2013-05-01T00:00:00", "4250.00", "1.5", "-3.00", "1e3", "0.001", "1,000.00",
               "overview-author", "panel-chair", "2013-14", "13-14"]


@st.composite
def wire_data(draw: st.DrawFn, schema: object, depth: int = 0) -> object:
    """Input for a marshmallow request ``schema``: mostly well-formed objects with fields left
    out, set to null, to plausible texts or to any JSON, and sometimes an unknown key."""
    import marshmallow as ma
    from marshmallow import fields

    assert isinstance(schema, ma.Schema)
    if depth > 2 or draw(st.integers(0, 19)) == 0:
        return draw(json_values)

    def value_for(field: fields.Field) -> object:  # type: ignore[type-arg]
        choice = draw(st.integers(0, 19))
        if choice == 0:
            return None
        if choice == 1:
            return draw(json_values)
        if choice == 2:
            return draw(st.sampled_from(_WIRE_TEXTS))
        if isinstance(field, fields.Nested):
            return draw(wire_data(field.schema, depth + 1))
        if isinstance(field, fields.List):
            return [value_for(field.inner) for _ in range(draw(st.integers(0, 3)))]
        if isinstance(field, fields.Boolean):
            return draw(st.sampled_from([True, False, "true", 1, 0, "no"]))
        if isinstance(field, fields.Integer):
            return draw(st.sampled_from([0, 1, 5, -1, 2**62, 2**63, "3", 1.5]))
        if isinstance(field, fields.Date):
            return draw(st.dates().map(date.isoformat))
        if type(field).__name__ == "Money":
            return draw((positive_pence | pence).map(lambda p: str(from_minor(p).amount)))
        for validator in field.validators:
            if isinstance(validator, ma.validate.OneOf):
                return draw(st.sampled_from(list(validator.choices)))
            if isinstance(validator, ma.validate.Regexp):
                return draw(st.from_regex(validator.regex, fullmatch=True))
        return draw(st.text(max_size=10))

    data: dict[str, object] = {}
    for name, field in schema.load_fields.items():
        if draw(st.integers(0, 9)) > 0:
            data[field.data_key or name] = value_for(field)
    if draw(st.integers(0, 19)) == 0:
        data[draw(st.text(min_size=1, max_size=5))] = draw(json_values)
    return data

# --- what-if: a proportional line and a changed copy ---------------------------------------------

recipient_ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=8)
small_weights = st.sampled_from(range(41)).map(Fraction)
#: Pots in pence, spread evenly (integers() would favour the smallest).
small_pots = st.sampled_from(range(501))

#: The changes a what-if makes to one line.
LINE_CHANGES = ("pot", "weight", "join", "leave", "merge")


@attrs.frozen
class LineSpec:
    """A proportional line: its pot in pence, weights by recipient (in order) and floor."""

    pot: int
    weights: dict[str, Fraction]
    floor: int | None = None


def _with_a_positive_weight(draw: st.DrawFn, weights: dict[str, Fraction]) -> dict[str, Fraction]:
    if not any(weights.values()):
        weights[draw(st.sampled_from(sorted(weights)))] = Fraction(1)
    return weights


@st.composite
def line_scenarios(draw: st.DrawFn, floors: bool = True) -> tuple[LineSpec, LineSpec, list[str]]:
    """A line and the same line after one to three changes (pot, a weight, a recipient joining,
    leaving, two merging), with the changes made. Small pots and weights, where rounding
    paradoxes are frequent."""
    names = draw(st.lists(recipient_ids, min_size=2, max_size=9, unique=True))
    weights = _with_a_positive_weight(draw, {name: draw(small_weights) for name in names})
    pot = draw(small_pots)
    changes = draw(st.one_of(st.just(["pot"]), st.just(["weight"]),
                             st.sampled_from(LINE_CHANGES).map(lambda change: [change]),
                             st.lists(st.sampled_from(LINE_CHANGES), min_size=2, max_size=3,
                                      unique=True)))
    new_pot, new = pot, dict(weights)
    for change in changes:
        if change == "pot":  # often by a few pence, where the Alabama paradox lives
            step = draw(st.integers(min_value=-3, max_value=3))
            new_pot = max(0, draw(st.one_of(small_pots, st.just(pot + step))))
        elif change == "weight":  # one to three weights, anew or by a few units
            for name in draw(st.lists(st.sampled_from(sorted(new)), min_size=1, max_size=3,
                                      unique=True)):
                nudged = max(Fraction(0), new[name] + draw(st.integers(-3, 6)))
                new[name] = draw(st.one_of(small_weights, st.just(nudged)))
        elif change == "join":
            new[draw(recipient_ids.filter(lambda n: n not in new))] = draw(small_weights)
        elif change == "leave" and len(new) > 2:
            del new[draw(st.sampled_from(sorted(new)))]
        elif change == "merge" and len(new) > 2:
            first, second = draw(st.lists(st.sampled_from(sorted(new)), min_size=2, max_size=2,
                                          unique=True))
            merged = new.pop(first) + new.pop(second)
            new[draw(recipient_ids.filter(lambda n: n not in new))] = merged
    new = _with_a_positive_weight(draw, new)
    floor = new_floor = None
    if floors and draw(st.booleans()):
        floor = draw(st.integers(min_value=0, max_value=pot // len(weights)))
        new_floor = min(floor, new_pot // len(new))
    return LineSpec(pot, weights, floor), LineSpec(new_pot, new, new_floor), changes


@st.composite
def exact_line_scenarios(draw: st.DrawFn) -> tuple[LineSpec, LineSpec]:
    """A line and a changed copy (pot, weights, members) where every exact share is a whole
    number of pence on both sides: an exactly proportional change."""
    def side() -> LineSpec:
        names = draw(st.lists(recipient_ids, min_size=1, max_size=9, unique=True))
        weights = _with_a_positive_weight(
            draw, {name: Fraction(draw(st.integers(min_value=0, max_value=40))) for name in names})
        per_weight = draw(st.integers(min_value=0, max_value=1000))
        return LineSpec(per_weight * int(sum(weights.values())), weights)

    base = side()
    if draw(st.booleans()):  # keep some recipients and their weights, change the rest
        kept = {n: w for n, w in base.weights.items() if draw(st.booleans())}
        other = side()
        weights = _with_a_positive_weight(
            draw, {**kept, **{n: w for n, w in other.weights.items() if n not in kept}})
        return base, LineSpec(draw(st.integers(0, 1000)) * int(sum(weights.values())), weights)
    return base, side()


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
