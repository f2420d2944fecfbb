"""Paradox warnings: the issue's examples, and laws over random what-ifs on one line."""

from __future__ import annotations

from collections import Counter
from datetime import date
from fractions import Fraction

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import allocations
import rules
from rules.paradoxes import (
    Paradox,
    Part,
    Split,
    against_followed,
    detect,
    fund_splits,
    line_split,
)
from rules.scenarios import AddOrganisation, MergeCsps, SetWeights
from tests.strategies import LineSpec, exact_line_scenarios, line_scenarios

#: How many random what-ifs the laws tried and the warnings of each kind they raised
#: (printed by ``benchmarks/paradoxes.py``, which runs :func:`check_laws` many times).
TALLY: Counter[str] = Counter()

CSPS = ["amber-valley-csp", "bolsover-csp", "chesterfield-csp", "derbyshire-dales-csp",
        "erewash-csp", "high-peak-csp", "north-east-derbyshire-csp", "south-derbyshire-csp"]


def split_of(spec: LineSpec, key: str = "line") -> Split:
    """Allocate ``spec`` as a one-line fund and return the line as a split."""
    pot = allocations.from_minor(spec.pot)
    floor = None if spec.floor is None else allocations.from_minor(spec.floor)
    result = allocations.allocate_lines(
        pot, [allocations.Proportional(key, pot, spec.weights, floor)], list(spec.weights))
    split = line_split(result.lines[0], key, f"line '{key}'")
    assert split is not None
    return split


def fund(total: str, weights: dict[str, int] | str, recipients: list[str] | None = None,
         year: str = "2014-15", fund_id: str = "grant") -> rules.Fund:
    names = recipients if recipients is not None else list(weights)
    return rules.fund_from_dict({
        "id": fund_id, "name": "CSP grant", "year": year, "total": total, "recipients": names,
        "lines": [{"id": "formula", "kind": "proportional", "amount": total,
                   "weights": weights if isinstance(weights, str)
                   else {k: str(v) for k, v in weights.items()}}]})


# --- the examples ------------------------------------------------------------------------

def test_ten_pence_to_eleven_over_six_six_two_is_alabama(derbyshire: rules.Ruleset) -> None:
    weights = {"amber-valley-csp": 6, "bolsover-csp": 6, "chesterfield-csp": 2}
    before = rules.allocate_fund(derbyshire, fund("0.10", weights))
    after = rules.allocate_fund(derbyshire, fund("0.11", weights))
    assert [allocations.to_minor(a) for a in before.result.recipients.values()] == [4, 4, 2]
    assert [allocations.to_minor(a) for a in after.result.recipients.values()] == [5, 5, 1]
    warnings = detect(fund_splits(before), fund_splits(after))
    assert [(w.kind, w.recipient, w.base, w.scenario) for w in warnings] == [
        ("alabama", "chesterfield-csp", 2, 1)]
    detail = warnings[0].describe(derbyshire.name_of)
    assert detail.startswith("Chesterfield Community Safety Partnership gets 1p less on line "
                             "'formula' of CSP grant (£0.02 to £0.01) although the pot grows "
                             "from £0.10 to £0.11")
    assert "1/7 (14.29%) to 1/7 (14.29%)" in detail
    assert "from £0.0143 to £0.0157" in detail
    assert "Alabama paradox" in detail


def test_merger_moving_a_penny_to_a_csp_outside_it_is_new_member(
        derbyshire: rules.Ruleset) -> None:
    merger = MergeCsps(("bolsover-csp", "north-east-derbyshire-csp"), "north-derbyshire-csp",
                       date(2014, 4, 1), "North Derbyshire CSP")
    result = rules.compare(derbyshire, [merger], (), [fund("60000.08", "population-2011", CSPS)])
    by_id = {row.id: row for row in result.recipients}
    assert by_id["derbyshire-dales-csp"].delta == allocations.parse_money("0.01")
    assert [(w.kind, w.recipient, w.gains) for w in result.warnings] == [
        ("new-member", "derbyshire-dales-csp", True)]
    warning = result.warnings[0]
    assert set(warning.others) == {"amber-valley-csp", "chesterfield-csp", "erewash-csp",
                                   "high-peak-csp", "south-derbyshire-csp"}
    assert warning.joined == ("north-derbyshire-csp",)
    assert set(warning.left) == {"bolsover-csp", "north-east-derbyshire-csp"}
    detail = warning.describe(result.scenario_ruleset.name_of)
    assert "Derbyshire Dales Community Safety Partnership gets a penny more against" in detail
    assert "North Derbyshire CSP joined" in detail
    assert "new-member paradox" in detail


def test_population_paradox_is_named(derbyshire: rules.Ruleset) -> None:
    # Amber Valley's weight grows 7 -> 9 and its share of the weights from 7/23 to 9/28, yet it
    # loses a penny to Chesterfield, whose weight grows faster (9 -> 12).
    before = {"amber-valley-csp": 7, "bolsover-csp": 7, "chesterfield-csp": 9}
    after = {"amber-valley-csp": 9, "bolsover-csp": 7, "chesterfield-csp": 12}
    change = SetWeights("grant", "formula", {k: Fraction(v) for k, v in after.items()})
    result = rules.compare(derbyshire, [change], (), [fund("0.11", before)])
    assert [(w.kind, w.recipient, w.base, w.scenario) for w in result.warnings] == [
        ("population", "amber-valley-csp", 4, 3)]
    detail = result.warnings[0].describe(derbyshire.name_of)
    assert "its share of the weights rises from 7/23 (30.43%) to 9/28 (32.14%)" in detail
    assert "population paradox" in detail


def test_a_scenario_without_paradox_warns_of_nothing(derbyshire: rules.Ruleset) -> None:
    merger = MergeCsps(("bolsover-csp", "north-east-derbyshire-csp"), "north-derbyshire-csp",
                       date(2014, 4, 1))
    result = rules.compare(derbyshire, [merger], (), [fund("60000.00", "population-2011", CSPS)])
    assert result.warnings == ()


def test_a_review_split_is_checked_too(derbyshire: rules.Ruleset) -> None:
    from tests.rules.helpers import request

    new = rules.Organisation("new-body", "New body", "fire-rescue",
                             (rules.Period(date(2000, 1, 1)),))
    change = AddOrganisation(new, "derbyshire-dhr", "fire-rescue")
    found: list[Paradox] = []
    for pence in range(1, 60):
        amount = str(allocations.from_minor(pence).amount)
        result = rules.compare(derbyshire, [change],
                               [request("amber-valley", "2015-05-01", ("panel-chair", amount))])
        found += result.warnings
    assert found, "adding a partner to a review's split moves pennies among the others"
    assert {w.kind for w in found} == {"new-member"}
    assert all(w.line == "dhr.0" and "review 1 (victim's area Amber Valley" in w.label
               for w in found)


# --- laws ----------------------------------------------------------------------------------------

def _key(warning: Paradox, rename: dict[str, str] | None = None) -> tuple[object, ...]:
    name = (lambda r: rename.get(r, r)) if rename else (lambda r: r)
    return (warning.kind, warning.line, name(warning.recipient), warning.base, warning.scenario,
            frozenset(map(name, warning.others)), frozenset(map(name, warning.joined)),
            frozenset(map(name, warning.left)), warning.gains)


def check_laws(base: LineSpec, scenario: LineSpec, order: list[int], rename_seed: int) -> None:
    """Soundness of every warning, and invariance under renaming and reordering."""
    before, after = split_of(base), split_of(scenario)
    warnings = detect([before], [after])
    TALLY["scenarios"] += 1
    TALLY.update(w.kind for w in warnings)
    for warning in warnings:
        old, new = before.by_recipient[warning.recipient], after.by_recipient[warning.recipient]
        assert warning.pennies == new.amount - old.amount
        if warning.kind in ("alabama", "population"):
            # Rounding is within a penny of the exact share, so a loss against an exact share
            # that did not fall is exactly one penny.
            assert warning.pennies == -1 and new.quota >= old.quota
            if warning.kind == "alabama":
                assert after.pot > before.pot and warning.scenario_share >= warning.base_share
            else:
                assert warning.scenario_share > warning.base_share
        else:
            assert warning.joined or warning.left
            assert warning.others and old.weight == new.weight
            assert warning.recipient not in warning.joined + warning.left
    # Renaming every recipient and listing the parts in another order changes nothing.
    everyone = sorted(set(base.weights) | set(scenario.weights))
    rename = {r: f"x{(i * 7 + rename_seed) % 1000}-{r[::-1]}" for i, r in enumerate(everyone)}

    def moved(split: Split) -> Split:
        parts = [split.parts[i % len(split.parts)] for i in order
                 if i < len(split.parts)] if order else list(split.parts)
        parts += [p for p in split.parts if p not in parts]
        return Split.of_parts(split.key, split.label, split.pot, (
            Part(rename[p.recipient], p.weight, p.quota, p.amount) for p in parts))

    again = detect([moved(before)], [moved(after)])
    assert Counter(_key(w, rename) for w in warnings) == Counter(_key(w) for w in again)


@given(line_scenarios(), st.permutations(range(9)), st.integers(0, 999))
def test_warnings_are_sound_and_do_not_depend_on_names_or_order(
        scenario: tuple[LineSpec, LineSpec, list[str]], order: list[int], seed: int) -> None:
    base, changed, _ = scenario
    check_laws(base, changed, order, seed)


@given(exact_line_scenarios())
def test_no_false_alarm_on_an_exactly_proportional_change(
        scenario: tuple[LineSpec, LineSpec]) -> None:
    base, changed = scenario
    before, after = split_of(base), split_of(changed)
    assert all(p.quota == p.amount for p in (*before.parts, *after.parts))
    assert detect([before], [after]) == ()


@given(line_scenarios(floors=False), st.integers(1, 20))
def test_scaling_every_weight_changes_nothing(
        scenario: tuple[LineSpec, LineSpec, list[str]], factor: int) -> None:
    base, _, _ = scenario
    scaled = LineSpec(base.pot, {r: w * factor for r, w in base.weights.items()}, base.floor)
    assert detect([split_of(base)], [split_of(scaled)]) == ()


@given(line_scenarios(), st.integers(1, 300))
def test_every_loss_when_only_the_pot_grows_is_alabama(
        scenario: tuple[LineSpec, LineSpec, list[str]], growth: int) -> None:
    base, _, _ = scenario
    grown = LineSpec(base.pot + growth, base.weights, base.floor)
    before, after = split_of(base), split_of(grown)
    warned = {w.recipient for w in detect([before], [after]) if w.kind == "alabama"}
    old, new = before.by_recipient, after.by_recipient
    assert warned == {r for r in old if new[r].amount < old[r].amount}


@given(line_scenarios())
def test_renaming_before_allocating_renames_the_warnings(
        scenario: tuple[LineSpec, LineSpec, list[str]]) -> None:
    base, changed, _ = scenario
    rename = {r: "r" + r for r in set(base.weights) | set(changed.weights)}

    def renamed(spec: LineSpec) -> LineSpec:
        return LineSpec(spec.pot, {rename[r]: w for r, w in spec.weights.items()}, spec.floor)

    warnings = detect([split_of(base)], [split_of(changed)])
    again = detect([split_of(renamed(base))], [split_of(renamed(changed))])
    assert [_key(w, rename) for w in warnings] == [_key(w) for w in again]


@pytest.mark.parametrize("kind", rules.PARADOXES)
def test_every_kind_is_described(kind: str) -> None:
    warning = Paradox(kind, "line", "line 'formula' of CSP grant", "a", 2, 1, 10, 11,
                      Fraction(1, 7), Fraction(1, 7), Fraction(10, 7), Fraction(11, 7),
                      ("b",), ("c",), ("d",))
    text = warning.describe(lambda r: r.upper())
    assert "line 'formula' of CSP grant" in text and "A " in text


# --- a fund against the fund it follows ----------------------------------------------------------

def test_a_fund_warns_against_the_fund_it_follows(derbyshire: rules.Ruleset) -> None:
    weights = {"amber-valley-csp": 6, "bolsover-csp": 6, "chesterfield-csp": 2}
    before = fund("0.10", weights, year="2014-15", fund_id="grant-2014-15")
    after = attrs.evolve(fund("0.11", weights, year="2015-16", fund_id="grant-2015-16"),
                         follows="grant-2014-15")
    ruleset = attrs.evolve(derbyshire, funds={**derbyshire.funds, before.id: before,
                                              after.id: after})
    allocated = rules.allocate_fund(ruleset, after)
    assert [(w.kind, w.recipient, w.line, w.base, w.scenario)
            for w in against_followed(allocated)] == [
        ("alabama", "chesterfield-csp", "formula", 2, 1)]
    assert against_followed(rules.allocate_fund(ruleset, before)) == ()
