"""Grant lines: passport, bids, damping, stages and explanations; examples and laws."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from allocations import (
    Bid,
    Bids,
    Damping,
    Fixed,
    InvalidLine,
    InvalidStages,
    MinorAmounts,
    OverAllocation,
    Passport,
    PerRecipient,
    Proportional,
    Residual,
    Stage,
    allocate_lines,
    from_minor,
    parse_money,
    split_stages,
    to_minor,
)
from allocations.lines import Line
from allocations.money import Money
from tests.strategies import bid_lists, percents, recipient_names, stage_percents

POUNDS = parse_money


def _pence(mapping: Mapping[Any, Money]) -> dict[Any, int]:
    return {k: to_minor(v) for k, v in mapping.items()}


# --- examples ----------------------------------------------------------------------------------

def test_passport_gives_each_recipient_its_earlier_amount() -> None:
    earlier = {"a": POUNDS("23250.00"), "b": POUNDS("23250.00"), "probation": POUNDS("82000.00")}
    result = allocate_lines(POUNDS("322000.00"), [Passport("csf", earlier), Residual("r")])
    assert result.recipients == earlier
    assert to_minor(result.unallocated) == 32200000 - 12850000
    (line,) = [x for x in result.lines if x.id == "csf"]
    assert [e.fraction for e in line.explanations()] == [
        Fraction(2325000, 12850000), Fraction(2325000, 12850000), Fraction(8200000, 12850000)]


def test_bids_within_the_pot_are_funded_in_full() -> None:
    line = Bids("bids", POUNDS("250000.00"), (
        Bid("b1", "a", POUNDS("40000.00"), True), Bid("b2", "b", POUNDS("90000.00"), False),
        Bid("b3", "a", POUNDS("10000.00"), True)))
    result = allocate_lines(POUNDS("250000.00"), [line])
    assert _pence(result.recipients) == {"a": 5000000}
    assert to_minor(result.unallocated) == 20000000
    assert [to_minor(award.awarded) for award in result.lines[0].bids] == [4000000, 0, 1000000]


def test_bids_beyond_the_pot_are_scaled_by_largest_remainder() -> None:
    line = Bids("bids", POUNDS("100.00"), (
        Bid("x", "a", POUNDS("100.00"), True), Bid("y", "b", POUNDS("100.00"), True),
        Bid("z", "c", POUNDS("100.00"), True)))
    result = allocate_lines(POUNDS("100.00"), [line])
    # 100/3 = 33.333...: one leftover penny, to the bid listed first.
    assert _pence(result.recipients) == {"a": 3334, "b": 3333, "c": 3333}
    first = result.lines[0].explanations()[0]
    assert first.remainder_penny and first.fraction == Fraction(1, 3)


def test_a_bid_fund_with_no_bids_leaves_the_pot_unallocated() -> None:
    result = allocate_lines(POUNDS("250000.00"), [Bids("bids", POUNDS("250000.00"))])
    assert result.recipients == {} and to_minor(result.unallocated) == 25000000


def test_damping_holds_the_gainer_and_shares_what_it_frees_among_the_rest() -> None:
    # Last year 100 each; this year weights 1:1:2 of 300 would give 75, 75, 150.
    previous = {r: POUNDS("100.00") for r in "abc"}
    line = Proportional("f", POUNDS("300.00"), {"a": 1, "b": 1, "c": 2},
                        damping=Damping(previous, Fraction(10), Fraction(10)))
    result = allocate_lines(POUNDS("300.00"), [line], ["a", "b", "c"])
    # c may rise to 110 only; the 190 left is shared by weight: 95 each, inside 90..110.
    assert _pence(result.recipients) == {"a": 9500, "b": 9500, "c": 11000}
    held = {e.recipient: e.held for e in result.lines[0].explanations()}
    assert held == {"a": None, "b": None, "c": "max-increase"}


def test_amounts_kept_in_minor_units_allocate_as_money_does() -> None:
    previous = {r: POUNDS("100.00") for r in "abc"}
    minor = MinorAmounts({r: 100_00 for r in "abc"})
    assert minor == previous and minor["a"] == POUNDS("100.00") and list(minor) == list("abc")
    lines: dict[str, list[Any]] = {}
    for name, amounts in (("money", previous), ("minor", minor)):
        lines[name] = [Passport("p", amounts),
                       Proportional("f", POUNDS("300.00"), {"a": 1, "b": 1, "c": 2},
                                    damping=Damping(amounts, Fraction(10), Fraction(10)))]
    results = [allocate_lines(POUNDS("600.00"), lines[name], ["a", "b", "c"])
               for name in ("money", "minor")]
    assert results[0] == results[1]


def test_damping_holds_the_losers_up() -> None:
    previous = {r: POUNDS("100.00") for r in "abc"}
    line = Proportional("f", POUNDS("290.00"), {"a": 1, "b": 1, "c": 8},
                        damping=Damping(previous, Fraction(10), Fraction(10)))
    result = allocate_lines(POUNDS("290.00"), [line], ["a", "b", "c"])
    assert _pence(result.recipients) == {"a": 9000, "b": 9000, "c": 11000}
    held = {e.recipient: e.held for e in result.lines[0].explanations()}
    assert held == {"a": "max-decrease", "b": "max-decrease", "c": None}


def test_damping_holds_everyone_and_leaves_the_rest_unallocated() -> None:
    previous = {r: POUNDS("100.00") for r in "abc"}
    line = Proportional("f", POUNDS("400.00"), {"a": 1, "b": 1, "c": 8},
                        damping=Damping(previous, Fraction(10), Fraction(10)))
    result = allocate_lines(POUNDS("400.00"), [line], ["a", "b", "c"])
    assert _pence(result.recipients) == {"a": 11000, "b": 11000, "c": 11000}
    assert to_minor(result.unallocated) == 7000
    assert all(e.held == "max-increase" and e.damped for e in result.lines[0].explanations())


def test_damping_with_room_redistributes_by_weight() -> None:
    previous = {r: POUNDS("100.00") for r in "abc"}
    line = Proportional("f", POUNDS("300.00"), {"a": 1, "b": 1, "c": 2},
                        damping=Damping(previous, Fraction(10), None))
    result = allocate_lines(POUNDS("300.00"), [line], ["a", "b", "c"])
    assert _pence(result.recipients) == {"a": 9000, "b": 9000, "c": 12000}
    explained = {e.recipient: e for e in result.lines[0].explanations()}
    assert explained["a"].damped and not explained["c"].damped
    assert not explained["c"].floored and not explained["c"].capped


def test_a_new_recipient_is_not_damped() -> None:
    line = Proportional("f", POUNDS("300.00"), {"a": 1, "new": 2},
                        damping=Damping({"a": POUNDS("300.00")}, Fraction(50), Fraction(0)))
    result = allocate_lines(POUNDS("300.00"), [line], ["a", "new"])
    assert _pence(result.recipients) == {"a": 15000, "new": 15000}


def test_damping_that_cannot_be_met_names_the_line() -> None:
    previous = {r: POUNDS("735.00") for r in "ab"}
    line = Proportional("formula", POUNDS("322.00"), {"a": 1, "b": 1},
                        damping=Damping(previous, Fraction(10), None))
    with pytest.raises(InvalidLine, match=r"'formula'.*max_decrease") as caught:
        allocate_lines(POUNDS("1000.00"), [line], ["a", "b"])
    assert caught.value.line == "formula"


def test_a_floor_overrides_damping() -> None:
    previous = {"a": POUNDS("10.00"), "b": POUNDS("90.00")}
    line = Proportional("f", POUNDS("120.00"), {"a": 1, "b": 9}, floor=POUNDS("20.00"),
                        damping=Damping(previous, Fraction(5), Fraction(5)))
    result = allocate_lines(POUNDS("120.00"), [line], ["a", "b"])
    explained = {e.recipient: e for e in result.lines[0].explanations()}
    assert to_minor(explained["a"].amount) == 2000 and explained["a"].floored  # not 10.50
    assert to_minor(explained["b"].amount) == 9450 and explained["b"].damped  # 105% of 90
    assert to_minor(result.unallocated) == 550


def test_floor_and_cap_flags() -> None:
    line = Proportional("f", POUNDS("100.00"), {"a": 1, "b": 10, "c": 100},
                        floor=POUNDS("10.00"), cap=POUNDS("60.00"))
    result = allocate_lines(POUNDS("100.00"), [line], ["a", "b", "c"])
    explained = {e.recipient: e for e in result.lines[0].explanations()}
    assert explained["a"].floored and explained["c"].capped
    assert not explained["b"].floored and not explained["b"].capped
    assert _pence(result.recipients) == {"a": 1000, "b": 3000, "c": 6000}


@pytest.mark.parametrize(("line", "says"), [
    (Bids("p", POUNDS("10.00"), (Bid("x", "a", POUNDS("1.00"), True),
                                 Bid("x", "b", POUNDS("1.00"), True))), "two bids"),
    (Bids("p", POUNDS("10.00"), (Bid("x", "a", from_minor(-1), True),)), "negative"),
    (Passport("p", {"a": from_minor(-1)}), "negative"),
    (Proportional("p", POUNDS("10.00"), {"a": 1, "b": 1},
                  damping=Damping({}, Fraction(101), None)), "at most 100"),
    (Proportional("p", POUNDS("10.00"), {"a": 1, "b": 1},
                  damping=Damping({}, None, Fraction(-1))), "at least 0"),
    (Proportional("p", POUNDS("10.00"), {"a": 1, "b": 1},
                  damping=Damping({"a": from_minor(-5)}, Fraction(1), None)), "negative"),
])
def test_invalid_grant_lines(line: Line, says: str) -> None:
    with pytest.raises(InvalidLine, match=says) as caught:
        allocate_lines(POUNDS("100.00"), [line], ["a", "b"])
    assert caught.value.line == "p"


def test_stages_80_20() -> None:
    stages = [Stage("award", 80), Stage("evaluation", 20)]
    amounts = split_stages(POUNDS("23250.01"), stages)
    assert [to_minor(s.amount) for s in amounts] == [1860001, 465000]
    assert amounts[0].remainder_penny


@pytest.mark.parametrize(("stages", "says"), [
    ([], "at least one"), ([Stage("a", 50), Stage("a", 50)], "twice"),
    ([Stage("a", 80), Stage("b", 30)], "sum to 110"), ([Stage("a", 100), Stage("b", 0)],
                                                         "more than 0"),
    ([Stage("a", 1.5)], "number"),  # type: ignore[arg-type]
])
def test_invalid_stages(stages: list[Stage], says: str) -> None:
    with pytest.raises(InvalidStages, match=says):
        split_stages(POUNDS("10.00"), stages)


# --- laws --------------------------------------------------------------------------------------

@st.composite
def damped_lines(draw: st.DrawFn) -> tuple[list[str], Proportional]:
    names = draw(recipient_names)
    weights = {n: draw(st.integers(0, 10**6)) for n in names}
    assume(any(weights.values()))
    previous = {n: from_minor(draw(st.integers(0, 10**8))) for n in names}
    for name in draw(st.lists(st.sampled_from(names), unique=True)):
        previous.pop(name)  # new recipients, not damped
    pot = draw(st.integers(0, 10**9))
    floor = draw(st.none() | st.integers(0, pot // len(names)))
    cap = draw(st.none() | st.integers(floor or 0, 10**9))
    damping = Damping(previous, draw(st.none() | percents), draw(st.none() | percents))
    return names, Proportional("p", from_minor(pot), weights,
                               None if floor is None else from_minor(floor),
                               None if cap is None else from_minor(cap), damping=damping)


def _limits(line: Proportional, name: str) -> tuple[int, int | None]:
    """The bounds the line promises ``name``: floor/cap, narrowed by damping (floor/cap win)."""
    low = to_minor(line.floor) if line.floor is not None else 0
    high = to_minor(line.cap) if line.cap is not None else None
    assert line.damping is not None
    before_money = line.damping.previous.get(name)
    before = to_minor(before_money) if before_money is not None else 0
    d_low, d_high = 0, None
    if before:
        if line.damping.max_decrease is not None:
            d_low = -(-before * (100 - Fraction(line.damping.max_decrease)) // 100)
        if line.damping.max_increase is not None:
            d_high = int(before * (100 + Fraction(line.damping.max_increase)) // 100)
    lo = max(low, d_low)
    hi = d_high if high is None else (high if d_high is None else min(high, d_high))
    if hi is not None and hi < lo:
        if low >= d_low:  # the floor wins
            hi = lo
        else:  # the cap wins
            lo = hi
    return int(lo), hi


@given(damped_lines())
def test_damping_bounds_hold_after_redistribution(case: tuple[list[str], Proportional]) -> None:
    names, line = case
    limits = {n: _limits(line, n) for n in names}
    pot = to_minor(line.amount)
    if sum(lo for lo, _ in limits.values()) > pot:
        with pytest.raises(InvalidLine, match="'p'"):
            allocate_lines(from_minor(10**10), [line], names)
        return
    result = allocate_lines(from_minor(10**10), [line], names)
    shares = _pence(result.lines[0].shares)
    for name in names:  # every bound holds exactly, after rounding
        lo, hi = limits[name]
        assert shares[name] >= lo
        assert hi is None or shares[name] <= hi
    weight = {n: Fraction(line.weights[n]) for n in names}
    ceiling: int | None = None
    if all(hi is not None for n, (_, hi) in limits.items() if weight[n]):
        ceiling = sum((hi if weight[n] and hi is not None else lo)
                      for n, (lo, hi) in limits.items())
    if ceiling is not None and ceiling <= pot:
        assert sum(shares.values()) == ceiling
        return
    assert sum(shares.values()) == pot
    # The oracle: bisect lambda over the exact clamped sum; each share is within a penny of
    # clamp(lambda * w, lo, hi), i.e. what is freed or needed is shared by weight among the rest.
    positive = [n for n in names if weight[n]]
    lam_low, lam_high = Fraction(0), Fraction(pot + 1) / min(weight[n] for n in positive)
    for _ in range(90):
        middle = (lam_low + lam_high) / 2
        total = sum(_clamp(middle * weight[n], *limits[n]) for n in names)
        lam_low, lam_high = (middle, lam_high) if total < pot else (lam_low, middle)
    for explanation in result.lines[0].explanations():
        name = str(explanation.recipient)
        exact = _clamp(lam_high * weight[name], *limits[name])
        assert abs(shares[name] - exact) < 1 + Fraction(1, 10**6)
        assert abs(explanation.quota * 100 - exact) < Fraction(1, 10**6)
        if explanation.held is not None:  # a held quota sits exactly on its bound
            assert explanation.quota * 100 in limits[name]


def _clamp(value: Fraction, low: int, high: int | None) -> Fraction:
    value = max(value, Fraction(low))
    return value if high is None else min(value, Fraction(high))


@given(st.integers(0, 10**9), bid_lists())
def test_bid_scaling_is_within_a_penny_of_exact_proportion(
        pot: int, specs: list[tuple[str, str, int, bool]]) -> None:
    bids = tuple(Bid(i, r, from_minor(a), ok) for i, r, a, ok in specs)
    result = allocate_lines(from_minor(10**10), [Bids("b", from_minor(pot), bids)])
    asked = sum(a for _, _, a, ok in specs if ok)
    awards = result.lines[0].bids
    assert sum(to_minor(award.awarded) for award in awards) == min(pot, asked)
    assert to_minor(result.lines[0].amount) == min(pot, asked)
    for award, (_, _, amount, approved) in zip(awards, specs, strict=True):
        got = to_minor(award.awarded)
        if not approved:
            assert got == 0
        elif asked <= pot:
            assert got == amount
        else:
            assert abs(got - Fraction(amount * pot, asked)) < 1
            assert got <= amount
    # per recipient, the line sums its bids
    per: dict[str, int] = {}
    for award in awards:
        if award.bid.approved:
            per[str(award.bid.recipient)] = per.get(str(award.bid.recipient), 0) + to_minor(
                award.awarded)
    assert _pence(result.lines[0].shares) == per


@st.composite
def any_lines(draw: st.DrawFn) -> tuple[int, list[str], list[Line]]:
    names = draw(recipient_names)
    lines: list[Line] = []
    for index in range(draw(st.integers(0, 7))):
        kind = draw(st.sampled_from(["fixed", "per", "prop", "damped", "passport", "bids",
                                     "residual"]))
        line_id = f"l{index}"
        amount = from_minor(draw(st.integers(0, 10**7)))
        if kind == "fixed":
            lines.append(Fixed(line_id, draw(st.sampled_from(names)), amount))
        elif kind == "per":
            lines.append(PerRecipient(line_id, amount))
        elif kind in ("prop", "damped"):
            weights = {n: draw(st.integers(1, 1000)) for n in names}
            damping = None
            if kind == "damped":
                damping = Damping({n: from_minor(draw(st.integers(0, 10**6))) for n in names},
                                  draw(st.none() | percents), draw(st.none() | percents))
            lines.append(Proportional(line_id, amount, weights, damping=damping))
        elif kind == "passport":
            lines.append(Passport(line_id, {n: from_minor(draw(st.integers(0, 10**6)))
                                            for n in draw(st.lists(st.sampled_from(names),
                                                                   unique=True))}))
        elif kind == "bids":
            lines.append(Bids(line_id, amount, tuple(
                Bid(i, r, from_minor(a), ok) for i, r, a, ok in draw(bid_lists(names)))))
        else:
            lines.append(Residual(line_id, draw(st.none() | st.sampled_from(names))))
    return draw(st.integers(0, 10**8)), names, lines


@given(any_lines())
def test_conservation_on_every_line_kind(case: tuple[int, list[str], list[Line]]) -> None:
    total, names, lines = case
    try:
        result = allocate_lines(from_minor(total), lines, names)
    except (OverAllocation, InvalidLine) as error:
        assert error.line is not None and f"'{error.line}'" in str(error)
        return
    assert to_minor(result.allocated) + to_minor(result.unallocated) == total
    assert to_minor(result.unallocated) >= 0
    assert sum(to_minor(v) for v in result.recipients.values()) == to_minor(result.allocated)
    for line in result.lines:
        assert sum(line.minor_shares) == to_minor(line.amount)
        explained = line.explanations()
        assert sum(to_minor(e.amount) for e in explained) == to_minor(line.amount)
        for explanation in explained:  # each amount within a penny of its exact quota
            assert abs(to_minor(explanation.amount) - explanation.quota * 100) < 1
        if line.amount:
            assert sum(e.fraction for e in explained if e.fraction is not None) == 1
    by_recipient = result.explanations()
    for recipient, amount in result.recipients.items():
        assert sum(to_minor(e.amount) for e in by_recipient[recipient]) == to_minor(amount)


@given(any_lines())
def test_passporting_reproduces_the_earlier_allocation(
        case: tuple[int, list[str], list[Line]]) -> None:
    total, names, lines = case
    try:
        earlier = allocate_lines(from_minor(total), lines, names)
    except (OverAllocation, InvalidLine):
        return
    again = allocate_lines(earlier.allocated, [Passport("back", earlier.recipients)], names)
    assert again.recipients == earlier.recipients
    assert to_minor(again.unallocated) == 0


@given(st.integers(0, 10**10), stage_percents())
def test_stages_sum_to_the_award(amount: int, split: list[Fraction]) -> None:
    stages = [Stage(f"s{i}", percent) for i, percent in enumerate(split)]
    amounts = split_stages(from_minor(amount), stages)
    assert sum(to_minor(s.amount) for s in amounts) == amount
    for stage, percent in zip(amounts, split, strict=True):
        assert abs(to_minor(stage.amount) - amount * percent / 100) < 1
        assert stage.quota * 100 == amount * percent / 100
