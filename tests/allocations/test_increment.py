"""Tranches: running totals are always the split of the running cost, so rounding never drifts."""

from __future__ import annotations

from collections.abc import Hashable

from hypothesis import given
from hypothesis import strategies as st

from allocations import Weight, from_minor, split_by_weight, split_increment, to_minor
from tests import strategies


def test_three_tranches_of_one_penny_six_ways() -> None:
    weights = dict.fromkeys("abcdef", 1)
    held: dict[Hashable, int] = dict.fromkeys(weights, 0)
    for running in range(3):
        increment = split_increment(from_minor(running), from_minor(running + 1), weights)
        for party, amount in increment.shares.items():
            held[party] += to_minor(amount)
    assert list(held.values()) == [1, 1, 1, 0, 0, 0]
    assert to_minor(increment.total) == 1


@given(strategies.weights(max_size=10),
       st.lists(st.integers(min_value=-(10**7), max_value=10**8), min_size=1, max_size=30))
def test_increments_never_drift(weights: dict[str, Weight], tranches: list[int]) -> None:
    held: dict[Hashable, int] = dict.fromkeys(weights, 0)
    running = 0
    for tranche in tranches:
        increment = split_increment(from_minor(running), from_minor(running + tranche),
                                    weights)
        assert sum(increment.minor_shares) == tranche == to_minor(increment.total)
        running += tranche
        for party, amount in increment.shares.items():
            held[party] += to_minor(amount)
        expected = split_by_weight(from_minor(running), weights)
        assert held == {p: to_minor(m) for p, m in expected.shares.items()}
