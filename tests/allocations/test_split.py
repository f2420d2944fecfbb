"""Largest-remainder splitting: examples from the papers and the laws of DESIGN.md §4 and §8."""

from __future__ import annotations

import random
from collections.abc import Hashable
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from allocations import (
    Allocation,
    AllocationError,
    InvalidParties,
    InvalidWeights,
    Money,
    UnknownParty,
    Weight,
    from_minor,
    parse_money,
    split_by_weight,
    split_evenly,
    to_minor,
)
from allocations.split import normalise_weights
from tests import strategies

SEVEN = ["constabulary", "police-authority", "county", "probation", "fire", "pct", "district"]


def pence_of(allocation: Allocation) -> list[int]:
    return [to_minor(m) for m in allocation.shares.values()]


def test_chesterfield_review_seven_ways() -> None:
    """2011 Chesterfield review: about £1,100 per agency, seven ways (board paper, Feb 2013)."""
    allocation = split_evenly("7700.00", SEVEN)
    assert [str(m.amount) for m in allocation.shares.values()] == ["1100.00"] * 7
    assert not allocation.lucky


def test_six_ways_remainder_pennies_go_to_the_first_listed() -> None:
    allocation = split_evenly(parse_money("4250.00"), SEVEN[:1] + SEVEN[2:])
    assert pence_of(allocation) == [70834, 70834, 70833, 70833, 70833, 70833]
    first = allocation.explain("constabulary")
    assert first.remainder_penny and first.quota == Fraction(4250, 6)
    assert "largest" in first.reason and "listed first" in first.reason
    assert first.fraction == Fraction(1, 6)
    assert not allocation.explain("fire").remainder_penny


def test_largest_remainder_not_first_listed_wins() -> None:
    # quotas 0.6p, 0.4p -> the 0.6 gets the penny although listed second.
    allocation = split_by_weight(from_minor(1), {"a": 2, "b": 3})
    assert pence_of(allocation) == [0, 1]


def test_zero_weight_gets_nothing() -> None:
    allocation = split_by_weight("10.01", {"a": 0, "b": 1, "c": 1})
    assert pence_of(allocation) == [0, 501, 500]
    assert allocation.explain("a").reason.startswith("weight zero")


@pytest.mark.parametrize(("weights", "error"), [
    ({}, InvalidParties),
    ({"a": 0, "b": 0}, InvalidWeights),
    ({"a": -1, "b": 2}, InvalidWeights),
    ({"a": 0.5}, InvalidWeights),
    ({"a": True}, InvalidWeights),
    ({"a": "1"}, InvalidWeights),
    ({"a": Decimal("NaN")}, InvalidWeights),
    ({"a": Decimal("-0.5"), "b": 1}, InvalidWeights),
])
def test_bad_weights_are_errors(weights: dict[str, Weight], error: type) -> None:
    with pytest.raises(error) as caught:
        split_by_weight("1.00", weights)
    assert isinstance(caught.value, AllocationError) and str(caught.value)


def test_float_weight_message_says_never_float() -> None:
    with pytest.raises(InvalidWeights, match="never float"):
        split_by_weight("1.00", {"a": 1.0})  # type: ignore[dict-item]


def test_bad_totals_and_parties() -> None:
    with pytest.raises(AllocationError, match="not a number"):
        split_evenly(10.0, ["a"])  # type: ignore[arg-type]
    with pytest.raises(InvalidParties, match="more than once"):
        split_evenly("1.00", ["a", "a"])
    with pytest.raises(InvalidParties):
        split_evenly("1.00", [])
    with pytest.raises(UnknownParty):
        split_evenly("1.00", ["a"]).explain("b")


def test_mixed_weight_types() -> None:
    allocation = split_by_weight("100.00", {"a": 1, "b": Decimal("0.5"), "c": Fraction(1, 2)})
    assert pence_of(allocation) == [5000, 2500, 2500]


# --- laws --------------------------------------------------------------------------------------

@given(strategies.money, strategies.weights())
def test_conservation(total: Money, weights: dict[str, Weight]) -> None:
    allocation = split_by_weight(total, weights)
    assert sum(pence_of(allocation)) == to_minor(total)
    assert list(allocation.shares) == list(weights)


@given(strategies.money, strategies.weights())
def test_each_share_within_a_penny_of_its_quota(total: Money, weights: dict[str, Weight]
                                                ) -> None:
    allocation = split_by_weight(total, weights)
    exact: dict[Hashable, Fraction] = {p: Fraction(w) for p, w in weights.items()}
    whole = sum(exact.values())
    minor = to_minor(total)
    for party, share in allocation.shares.items():
        quota = Fraction(minor) * exact[party] / whole
        assert abs(to_minor(share) - quota) < 1
        explained = allocation.explain(party)
        assert explained.quota * 100 == quota
        assert explained.remainder_penny == (party in _lucky(allocation))


def _lucky(allocation: Allocation) -> set[Hashable]:
    return {allocation.parties[i] for i in allocation.lucky}


@given(strategies.money, strategies.weights())
def test_determinism(total: Money, weights: dict[str, Weight]) -> None:
    assert split_by_weight(total, weights) == split_by_weight(total, dict(weights))


@given(strategies.money, strategies.weights(), st.integers(1, 10**6) | st.fractions(
    min_value=Fraction(1, 1000), max_value=1000))
def test_scaling_weights_changes_nothing(total: Money, weights: dict[str, Weight],
                                         factor: int | Fraction) -> None:
    scaled = {p: Fraction(w) * factor for p, w in weights.items()}
    assert pence_of(split_by_weight(total, weights)) == pence_of(
        split_by_weight(total, scaled))


@given(strategies.money, strategies.weights())
def test_negation_mirrors(total: Money, weights: dict[str, Weight]) -> None:
    positive = pence_of(split_by_weight(total, weights))
    negative = pence_of(split_by_weight(-total, weights))
    assert negative == [-p for p in positive]


@given(strategies.money, strategies.weights(), st.randoms(use_true_random=False))
def test_permutation_only_moves_tied_pennies(total: Money, weights: dict[str, Weight],
                                             rng: random.Random) -> None:
    """Reordering parties changes a share only where remainders tie, and then by one penny."""
    original = split_by_weight(total, weights)
    order = list(weights)
    rng.shuffle(order)
    permuted = split_by_weight(total, {p: weights[p] for p in order})
    parties, integers = normalise_weights(weights)
    minor, whole = abs(to_minor(total)), sum(integers)
    remainders = [minor * w % whole for w in integers]
    for index, party in enumerate(parties):
        difference = abs(to_minor(original.shares[party]) - to_minor(permuted.shares[party]))
        assert difference <= 1
        if remainders.count(remainders[index]) == 1:
            assert difference == 0


@given(strategies.money, st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=30,
                                  unique=True))
def test_even_split_equal_priority(total: Money, parties: list[str]) -> None:
    """Equal weights: shares differ by at most a penny, the larger ones listed first."""
    shares = [abs(p) for p in pence_of(split_evenly(total, parties))]
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)


@given(strategies.weights())
def test_zero_total_gives_zero_shares(weights: dict[str, Weight]) -> None:
    assume(weights)
    assert set(pence_of(split_by_weight("0.00", weights))) == {0}


@given(strategies.money, strategies.weights())
def test_explanations_are_each_partys_own_explanation(total: Money,
                                                      weights: dict[str, Weight]) -> None:
    """The explanations of a whole split (sentences cached per split shape and residue) are
    exactly each party's explanation worked out on its own."""
    allocation = split_by_weight(total, weights)
    assert allocation.explanations() == tuple(allocation.explain(p) for p in allocation.parties)
    again = split_by_weight(total, weights)
    assert again.explanations() == allocation.explanations()


@given(total=strategies.pence, weights=strategies.weights())
def test_split_minor_is_split_by_weight_without_money(total: int,
                                                       weights: dict[Hashable, Weight]) -> None:
    """The integer path (what an answer is built from) gives the same shares, fractions,
    leftover pennies and reasons as the money path, and conserves the total."""
    from allocations import split_minor

    allocation = split_by_weight(from_minor(total), weights)
    _, integers = normalise_weights(weights)
    shares, reasons = split_minor(total, tuple(integers))
    assert sum(shares) == total
    assert shares == pence_of(allocation)
    assert [(e.fraction, e.remainder_penny, e.reason) for e in allocation.explanations()] == \
        list(reasons)
