"""Fund lines: the 2012-13 Community Safety Fund, floors and caps, and allocate_lines's laws."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from allocations import (
    Fixed,
    InvalidLine,
    OverAllocation,
    PerRecipient,
    Proportional,
    Residual,
    allocate_lines,
    from_minor,
    parse_money,
    to_minor,
)
from allocations import lines as fund_lines

CSPS = [f"csp-{n}" for n in range(8)]


def test_community_safety_fund_2012_13() -> None:
    """£322k: ASB £15k per CSP, programme £8,250 per CSP, IOM £82k, IDVAs £54k."""
    result = allocate_lines(parse_money("322000.00"), [
        PerRecipient("asb", parse_money("15000.00")),
        PerRecipient("programme", parse_money("8250.00")),
        Fixed("iom", "probation", parse_money("82000.00")),
        Fixed("idva", "county", parse_money("54000.00")),
        Residual("rest", None),
    ], CSPS)
    assert [to_minor(line.amount) for line in result.lines] == [
        12000000, 6600000, 8200000, 5400000, 0]
    assert to_minor(result.allocated) == 32200000 and to_minor(result.unallocated) == 0
    assert {to_minor(result.recipients[c]) for c in CSPS} == {2325000}
    assert result.by_line("csp-0") == {"asb": parse_money("15000.00"),
                                       "programme": parse_money("8250.00")}


def test_over_allocation_names_the_line() -> None:
    with pytest.raises(OverAllocation, match="'idva'") as caught:
        allocate_lines(parse_money("300000.00"), [
            PerRecipient("asb", parse_money("15000.00")),
            Fixed("iom", "probation", parse_money("82000.00")),
            Fixed("idva", "county", parse_money("100000.00"))], CSPS)
    assert caught.value.line == "idva"


def test_residual_to_a_recipient_and_unallocated() -> None:
    result = allocate_lines(parse_money("100.00"), [
        Fixed("a", "x", parse_money("30.00")), Residual("rest", "y")])
    assert result.recipients == {"x": parse_money("30.00"), "y": parse_money("70.00")}
    left = allocate_lines(parse_money("100.00"), [Fixed("a", "x", parse_money("30.00")),
                                                  Residual("rest", None)])
    assert to_minor(left.unallocated) == 7000


def test_floor_lifts_small_recipients_and_shares_the_rest_by_weight() -> None:
    result = allocate_lines(parse_money("100000.00"), [Proportional(
        "formula", parse_money("60000.00"), {"a": 1, "b": 100, "c": 1000},
        floor=parse_money("3000.00"))], ["a", "b", "c"])
    shares = {k: to_minor(v) for k, v in result.recipients.items()}
    assert shares["a"] == 300000
    assert shares["b"] + shares["c"] == 5700000
    assert abs(shares["c"] * 100 - shares["b"] * 1000) <= 1000 * 100  # by weight, within pennies


def test_cap_is_the_mirror_and_leaves_the_excess_unallocated() -> None:
    result = allocate_lines(parse_money("100.00"), [Proportional(
        "f", parse_money("100.00"), {"a": 1, "b": 1}, cap=parse_money("30.00"))], ["a", "b"])
    assert {k: to_minor(v) for k, v in result.recipients.items()} == {"a": 3000, "b": 3000}
    assert to_minor(result.unallocated) == 4000


@pytest.mark.parametrize(("line", "says"), [
    (Proportional("p", parse_money("10.00"), {"a": 1}), "no weight for 'b'"),
    (Proportional("p", parse_money("10.00"), {"a": 1, "b": 1, "z": 1}), "'z', not one of"),
    (Proportional("p", parse_money("10.00"), {"a": 1, "b": 1}, floor=parse_money("6.00")),
     "floor"),
    (Proportional("p", parse_money("10.00"), {"a": 1, "b": 1}, floor=parse_money("3.00"),
                  cap=parse_money("2.00")), "cap below its floor"),
    (Proportional("p", parse_money("10.00"), {"a": 0, "b": 0}), "every weight is zero"),
    (PerRecipient("p", from_minor(-100)), "negative"),
    (PerRecipient("p", parse_money("1.00"), ("a", "a")), "twice"),
])
def test_invalid_lines(line: object, says: str) -> None:
    with pytest.raises(InvalidLine, match=says) as caught:
        allocate_lines(parse_money("100.00"), [line], ["a", "b"])  # type: ignore[list-item]
    assert caught.value.line == "p"


# --- laws --------------------------------------------------------------------------------------

recipients = st.lists(st.sampled_from("abcdefghijkl"), min_size=1, max_size=12, unique=True)


@st.composite
def proportional_lines(draw: st.DrawFn) -> tuple[list[str], Proportional]:
    names = draw(recipients)
    weights = {n: draw(st.integers(0, 10**6)) for n in names}
    assume(any(weights.values()))
    pot = draw(st.integers(0, 10**9))
    floor = draw(st.none() | st.integers(0, pot // len(names)))
    cap = draw(st.none() | st.integers(floor or 0, 10**9))
    return names, Proportional("p", from_minor(pot), weights,
                               None if floor is None else from_minor(floor),
                               None if cap is None else from_minor(cap))


def _clamp(value: Fraction, low: int, high: int | None) -> Fraction:
    value = max(value, Fraction(low))
    return value if high is None else min(value, Fraction(high))


@given(proportional_lines())
def test_proportional_floor_cap_laws(case: tuple[list[str], Proportional]) -> None:
    names, line = case
    result = allocate_lines(from_minor(10**10), [line], names)
    shares = {k: to_minor(v) for k, v in result.lines[0].shares.items()}
    low = to_minor(line.floor) if line.floor is not None else 0
    high = to_minor(line.cap) if line.cap is not None else None
    pot = to_minor(line.amount)
    assert all(s >= low for s in shares.values())
    assert high is None or all(s <= high for s in shares.values())
    assert sum(shares.values()) <= pot
    positive = [n for n in names if line.weights[n]]
    ceiling = sum(high if line.weights[n] else low for n in names) if high is not None else None
    if ceiling is None or ceiling >= pot:
        assert sum(shares.values()) == pot
        # The exact clamped quotas: find lambda by bisection over the exact function and
        # check every share is within a penny of clamp(lambda * w).
        lam_low = Fraction(0)
        lam_high = Fraction(pot + 1) / min(Fraction(line.weights[n]) for n in positive)
        for _ in range(80):
            middle = (lam_low + lam_high) / 2
            total = sum((_clamp(middle * Fraction(line.weights[n]), low, high)
                         for n in names), Fraction(0))
            lam_low, lam_high = (middle, lam_high) if total < pot else (lam_low, middle)
        for name in names:
            quota = _clamp(lam_high * Fraction(line.weights[name]), low, high)
            assert abs(shares[name] - quota) < 1 + Fraction(1, 10**6)
    else:
        assert shares == {n: high if line.weights[n] else low for n in names}


@given(st.integers(0, 10**9), st.lists(st.tuples(st.sampled_from(["fixed", "per", "residual"]),
                                                 st.integers(0, 10**8)), max_size=8),
       recipients)
def test_allocated_plus_unallocated_is_total(total: int, specs: list[tuple[str, int]],
                                             names: list[str]) -> None:
    lines = []
    for index, (kind, amount) in enumerate(specs):
        if kind == "fixed":
            lines.append(Fixed(f"l{index}", "x", from_minor(amount)))
        elif kind == "per":
            lines.append(PerRecipient(f"l{index}", from_minor(amount)))  # type: ignore[arg-type]
        else:
            lines.append(Residual(f"l{index}", None))  # type: ignore[arg-type]
    try:
        result = allocate_lines(from_minor(total), lines, names)
    except OverAllocation as error:
        assert error.line is not None and f"'{error.line}'" in str(error)
        return
    assert to_minor(result.allocated) + to_minor(result.unallocated) == total
    assert to_minor(result.unallocated) >= 0
    assert sum(to_minor(v) for v in result.recipients.values()) == to_minor(result.allocated)
    for line in result.lines:
        assert sum(line.minor_shares) == to_minor(line.amount)


@st.composite
def bounded_recipients(draw: st.DrawFn) -> tuple[int, list[int], list[int], list[int | None]]:
    """A pot and, per recipient, a weight and bounds: small numbers, so ties and quotas that
    land exactly on a bound are common."""
    count = draw(st.integers(1, 8))
    weights = draw(st.lists(st.integers(0, 6), min_size=count, max_size=count))
    assume(any(weights))
    lows = draw(st.lists(st.integers(0, 20), min_size=count, max_size=count))
    highs = [None if extra is None else low + extra for low, extra in zip(lows, draw(
        st.lists(st.none() | st.integers(0, 20), min_size=count, max_size=count)), strict=True)]
    pot = sum(lows) + draw(st.integers(0, 120))
    return pot, weights, lows, highs


@given(bounded_recipients())
def test_settling_finds_the_point_the_sweep_finds(
        case: tuple[int, list[int], list[int], list[int | None]]) -> None:
    """Holding whoever crosses a bound, round after round, answers only where it meets the
    sweep of the sorted breakpoints (the quotas, and what held each, are then the same)."""
    pot, weights, lows, highs = case
    settled = fund_lines._settled(pot, weights, lows, highs)
    if settled is not None:
        assert settled == fund_lines._swept(pot, weights, lows, highs)
