"""The embedded Derbyshire rules against the reference papers and the public timeline."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

import rules
from allocations import parse_money, to_minor
from tests.rules.helpers import request, split

COUNTY = ["derbyshire-constabulary", "derbyshire-county-council"]


def test_chesterfield_review_2011_seven_ways(derbyshire: rules.Ruleset) -> None:
    """Invoiced before the Feb 2013 paper: about £1,100 per agency, seven agencies."""
    shares = split(derbyshire, "chesterfield", "2012-10-01", "7700.00")
    assert shares == {
        "derbyshire-constabulary": 110000, "derbyshire-police-authority": 110000,
        "derbyshire-county-council": 110000, "derbyshire-probation-trust": 110000,
        "derbyshire-fire-rescue": 110000, "derbyshire-county-pct": 110000,
        "chesterfield-council": 110000}


def test_amber_valley_review_2013_six_ways_author_only(derbyshire: rules.Ruleset) -> None:
    """The review in progress in Feb 2013, billed after 1 Apr 2013: six ways, the CCG."""
    result = rules.apportion(derbyshire, request("amber-valley", "2013-05-01",
                                                 ("overview-author", "4250.00")))
    assert [(s.organisation, s.role, str(s.amount.amount), str(s.fraction), s.remainder_penny)
            for s in result.shares] == [
        ("derbyshire-constabulary", "police-force", "708.34", "1/6", True),
        ("derbyshire-county-council", "county-council", "708.34", "1/6", True),
        ("derbyshire-probation-trust", "probation", "708.33", "1/6", False),
        ("derbyshire-fire-rescue", "fire-rescue", "708.33", "1/6", False),
        ("southern-derbyshire-ccg", "health-commissioner", "708.33", "1/6", False),
        ("amber-valley-council", "district-council", "708.33", "1/6", False)]
    assert result.arrangement.id == "derbyshire-dhr"
    assert "2013-02-27" in result.arrangement.source


# (date, district, health body or None, expected payers in order)
TIMELINE = [
    ("2011-09-01", "erewash", None, [*COUNTY[:1], "derbyshire-police-authority", COUNTY[1],
                                     "derbyshire-probation-trust", "derbyshire-fire-rescue",
                                     "derbyshire-county-pct", "erewash-council"]),
    ("2012-11-21", "erewash", None, [*COUNTY[:1], "derbyshire-police-authority", COUNTY[1],
                                     "derbyshire-probation-trust", "derbyshire-fire-rescue",
                                     "derbyshire-county-pct", "erewash-council"]),
    ("2012-11-22", "erewash", None, [*COUNTY, "derbyshire-probation-trust",
                                     "derbyshire-fire-rescue", "derbyshire-county-pct",
                                     "erewash-council"]),
    ("2013-03-31", "bolsover", None, [*COUNTY, "derbyshire-probation-trust",
                                      "derbyshire-fire-rescue", "derbyshire-county-pct",
                                      "bolsover-council"]),
    ("2013-04-01", "bolsover", None, [*COUNTY, "derbyshire-probation-trust",
                                      "derbyshire-fire-rescue", "hardwick-ccg",
                                      "bolsover-council"]),
    ("2014-05-31", "chesterfield", None, [*COUNTY, "derbyshire-probation-trust",
                                          "derbyshire-fire-rescue", "north-derbyshire-ccg",
                                          "chesterfield-council"]),
    ("2014-06-01", "chesterfield", None, [*COUNTY, "national-probation-service", "dlnr-crc",
                                          "derbyshire-fire-rescue", "north-derbyshire-ccg",
                                          "chesterfield-council"]),
    ("2019-03-31", "south-derbyshire", None, [*COUNTY, "national-probation-service", "dlnr-crc",
                                              "derbyshire-fire-rescue", "southern-derbyshire-ccg",
                                              "south-derbyshire-council"]),
    ("2019-04-01", "south-derbyshire", None, [*COUNTY, "national-probation-service", "dlnr-crc",
                                              "derbyshire-fire-rescue", "derby-derbyshire-ccg",
                                              "south-derbyshire-council"]),
    ("2021-06-25", "derbyshire-dales", None, [*COUNTY, "national-probation-service", "dlnr-crc",
                                              "derbyshire-fire-rescue", "derby-derbyshire-ccg",
                                              "derbyshire-dales-council"]),
    ("2021-06-26", "derbyshire-dales", None, [*COUNTY, "probation-service",
                                              "derbyshire-fire-rescue", "derby-derbyshire-ccg",
                                              "derbyshire-dales-council"]),
    ("2022-06-30", "high-peak", "tameside-glossop-ccg", [
        *COUNTY, "probation-service", "derbyshire-fire-rescue", "tameside-glossop-ccg",
        "high-peak-council"]),
    ("2022-07-01", "high-peak", None, [*COUNTY, "probation-service", "derbyshire-fire-rescue",
                                       "derby-derbyshire-icb", "high-peak-council"]),
    ("2026-11-23", "north-east-derbyshire", None, [
        *COUNTY, "probation-service", "derbyshire-fire-rescue", "derby-derbyshire-icb",
        "north-east-derbyshire-council"]),
]


@pytest.mark.parametrize(("on", "district", "health_body", "payers"), TIMELINE)
def test_every_boundary_of_the_timeline(derbyshire: rules.Ruleset, on: str, district: str,
                                        health_body: str | None, payers: list[str]) -> None:
    shares = split(derbyshire, district, on, "7000.00", health_body)
    assert list(shares) == payers
    assert sum(shares.values()) == 700000
    assert max(shares.values()) - min(shares.values()) <= 1


def test_before_the_arrangement_is_not_covered(derbyshire: rules.Ruleset) -> None:
    with pytest.raises(rules.NotCovered, match="in force from 2011-09-01") as caught:
        split(derbyshire, "erewash", "2011-08-31")
    assert caught.value.field == "date"


@pytest.mark.parametrize(("district", "on", "candidates"), [
    ("high-peak", "2015-01-01", "north-derbyshire-ccg, tameside-glossop-ccg"),
    ("high-peak", "2020-01-01", "derby-derbyshire-ccg, tameside-glossop-ccg"),
    ("derbyshire-dales", "2013-04-01", "north-derbyshire-ccg, southern-derbyshire-ccg"),
    ("north-east-derbyshire", "2018-03-31", "north-derbyshire-ccg, hardwick-ccg"),
])
def test_split_districts_need_a_health_body(derbyshire: rules.Ruleset, district: str, on: str,
                                            candidates: str) -> None:
    with pytest.raises(rules.NotCovered, match=candidates) as caught:
        split(derbyshire, district, on)
    assert caught.value.field == "health_body"
    first = candidates.split(", ")[0]
    assert first in split(derbyshire, district, on, health_body=first)


def test_health_body_must_cover_the_district(derbyshire: rules.Ruleset) -> None:
    with pytest.raises(rules.NotCovered, match="does not cover district 'erewash'") as caught:
        split(derbyshire, "erewash", "2015-01-01", health_body="hardwick-ccg")
    assert "erewash-ccg" in str(caught.value) and caught.value.field == "health_body"
    with pytest.raises(rules.UnknownId, match="unknown organisation 'nhs-nowhere'"):
        split(derbyshire, "erewash", "2015-01-01", health_body="nhs-nowhere")
    # naming the only commissioner is fine
    assert "erewash-ccg" in split(derbyshire, "erewash", "2015-01-01", health_body="erewash-ccg")


def test_unknown_district_lists_the_known_ones(derbyshire: rules.Ruleset) -> None:
    with pytest.raises(rules.UnknownId, match=r"unknown district 'atlantis'.*amber-valley"):
        split(derbyshire, "atlantis", "2015-01-01")


def test_derby_city_is_not_covered_by_the_county_arrangement(derbyshire: rules.Ruleset) -> None:
    with pytest.raises(rules.NotCovered, match="no arrangement covers district 'derby-city'"):
        split(derbyshire, "derby-city", "2015-01-01")


def test_unshared_item_is_refused(derbyshire: rules.Ruleset) -> None:
    with pytest.raises(rules.NotCovered, match="does not share cost item 'catering'") as caught:
        rules.apportion(derbyshire, request("erewash", "2015-01-01",
                                            ("overview-author", "10.00"), ("catering", "1.00")))
    assert caught.value.field == "costs.1.item"


def test_several_items_are_summed_then_split(derbyshire: rules.Ruleset) -> None:
    result = rules.apportion(derbyshire, request(
        "chesterfield", "2012-06-01", ("panel-chair", "3500.00"), ("overview-author", "4200.00")))
    assert to_minor(result.total) == 770000
    assert {to_minor(s.amount) for s in result.shares} == {110000}


def test_the_embedded_fund_reconciles(derbyshire: rules.Ruleset) -> None:
    allocation = rules.allocate_fund(derbyshire, derbyshire.fund("home-office-csf-2012-13"))
    result = allocation.result
    assert to_minor(result.allocated) == 32200000 and to_minor(result.unallocated) == 0
    csps = [r for r in result.recipients if str(r).endswith("-csp")]
    assert len(csps) == 8 and "safer-derby" not in result.recipients
    assert {to_minor(result.recipients[c]) for c in csps} == {2325000}
    assert to_minor(result.recipients["derbyshire-probation-trust"]) == 8200000
    assert sum(to_minor(v) for v in result.recipients.values()) == 32200000


def test_population_weights_are_named_data(derbyshire: rules.Ruleset) -> None:
    population = derbyshire.weight_set("population-2011").values
    county = sum(v for k, v in population.items() if k != "safer-derby")
    assert county == 769686 and population["safer-derby"] == 248752


def test_organisations_on_a_date(derbyshire: rules.Ruleset) -> None:
    day = date(2015, 1, 1)
    active = {o.id for o in derbyshire.organisations_on(day)}
    assert {"national-probation-service", "dlnr-crc", "derbyshire-pcc"} <= active
    assert "derbyshire-police-authority" not in active
    assert not derbyshire.statutory_on("derbyshire-pcc", day)
    assert derbyshire.statutory_on("dlnr-crc", day)
    assert not derbyshire.statutory_on("dlnr-crc", date(2021, 6, 26))


def test_every_entry_cites_a_source(derbyshire: rules.Ruleset) -> None:
    entries: list[Any] = [*derbyshire.kinds.values(), *derbyshire.organisations.values(),
               *derbyshire.districts.values(), *derbyshire.csps.values(),
               *derbyshire.arrangements.values(), *derbyshire.funds.values(),
               *derbyshire.weight_sets.values()]
    assert all(entry.source for entry in entries)
    assert all(h.source for d in derbyshire.districts.values() for h in d.health)


def test_policies_one_share_probation(derbyshire: rules.Ruleset) -> None:
    changed = rules.apply_changes(derbyshire, [rules.change_from_dict(
        {"op": "set-policy", "arrangement": "derbyshire-dhr", "policy": "probation",
         "value": "one-share"})])
    shares = split(changed, "erewash", "2015-01-01", "1200.00")
    assert shares["national-probation-service"] == shares["dlnr-crc"] == 10000
    assert shares["derbyshire-constabulary"] == 20000
    assert sum(shares.values()) == 120000


def test_contribution_before_the_split(derbyshire: rules.Ruleset) -> None:
    """The OPCC pays 50% of chair costs up to £5,000; the rest is split six ways."""
    changed = rules.apply_changes(derbyshire, [rules.change_from_dict(
        {"op": "add-contribution", "arrangement": "derbyshire-dhr",
         "organisation": "derbyshire-pcc", "item": "panel-chair", "percent": "50",
         "cap": "5000.00"})])
    result = rules.apportion(changed, request("erewash", "2023-01-01",
                                              ("panel-chair", "12000.00"),
                                              ("overview-author", "6000.00")))
    first = result.shares[0]
    assert (first.organisation, first.role, to_minor(first.amount)) == (
        "derbyshire-pcc", "contribution", 500000)
    assert "capped" in first.reason
    assert [to_minor(s.amount) for s in result.shares[1:]] == [216667] * 4 + [216666] * 2
    assert sum(to_minor(s.amount) for s in result.shares) == 1800000


def test_governing_date_commission(derbyshire: rules.Ruleset) -> None:
    changed = rules.apply_changes(derbyshire, [rules.change_from_dict(
        {"op": "set-policy", "arrangement": "derbyshire-dhr", "policy": "governing-date",
         "value": "commission"})])
    with pytest.raises(rules.RequestInvalid, match="commissioned"):
        split(changed, "erewash", "2013-05-01")
    result = rules.apportion(changed, request("erewash", "2013-05-01",
                                              ("overview-author", "700.00"),
                                              commissioned=date(2012, 6, 1)))
    assert "derbyshire-police-authority" in {s.organisation for s in result.shares}


def test_role_weight(derbyshire: rules.Ruleset) -> None:
    changed = rules.apply_changes(derbyshire, [rules.change_from_dict(
        {"op": "set-role-weight", "arrangement": "derbyshire-dhr", "role": "district-council",
         "weight": 2})])
    shares = split(changed, "erewash", "2023-01-01", "700.00")
    assert shares["erewash-council"] == 20000 and sum(shares.values()) == 70000


def test_changes_never_touch_the_original(derbyshire: rules.Ruleset) -> None:
    before = rules.dumps(derbyshire)
    rules.apply_changes(derbyshire, [
        rules.change_from_dict({"op": "end-organisation", "organisation": "derbyshire-fire-rescue",
                                "date": "2020-01-01"}),
        rules.change_from_dict({"op": "merge-csps", "csps": ["bolsover-csp", "chesterfield-csp"],
                                "into": "north-csp", "date": "2012-01-01"})])
    assert rules.dumps(derbyshire) == before


def test_merged_csps_receive_for_their_predecessors(derbyshire: rules.Ruleset) -> None:
    changed = rules.apply_changes(derbyshire, [rules.change_from_dict(
        {"op": "merge-csps", "csps": ["bolsover-csp", "chesterfield-csp"], "into": "north-csp",
         "date": "2012-01-01"})])
    result = rules.allocate_fund(changed, changed.fund("home-office-csf-2012-13")).result
    assert "bolsover-csp" not in result.recipients
    assert to_minor(result.recipients["north-csp"]) == 2325000
    assert to_minor(result.allocated) == 32200000 - 2325000


def test_replace_organisation_hands_over_its_role(derbyshire: rules.Ruleset) -> None:
    changed = rules.apply_changes(derbyshire, [rules.change_from_dict(
        {"op": "replace-organisation", "organisation": "derbyshire-fire-rescue",
         "date": "2024-04-01", "successors": [
             {"id": "east-midlands-fire", "name": "East Midlands Fire", "kind": "fire-rescue"}]})])
    assert "east-midlands-fire" in split(changed, "erewash", "2024-04-01")
    assert "derbyshire-fire-rescue" in split(changed, "erewash", "2024-03-31")
    assert "east-midlands-fire" not in split(changed, "erewash", "2024-03-31")


def test_proportional_fund_by_population_with_a_floor(derbyshire: rules.Ruleset) -> None:
    fund = rules.fund_from_dict({
        "id": "example-2024-25", "name": "CSP grant", "year": "2024-25", "total": "100000.00",
        "recipients": list(derbyshire.weight_set("population-2011").values)[:8],
        "lines": [{"id": "base", "kind": "per-recipient", "amount": "5000.00"},
                  {"id": "formula", "kind": "proportional", "amount": "60000.00",
                   "weights": "population-2011", "floor": "6000.00"},
                  {"id": "rest", "kind": "residual", "recipient": None}]})
    result = rules.allocate_fund(derbyshire, fund).result
    formula = result.lines[1].shares
    assert min(to_minor(v) for v in formula.values()) == 600000
    assert sum(to_minor(v) for v in formula.values()) == 6000000
    assert to_minor(result.unallocated) == 0 + 100000_00 - 40000_00 - 60000_00


def test_inline_fund_errors_name_the_line(derbyshire: rules.Ruleset) -> None:
    fund = rules.fund_from_dict({
        "id": "x", "name": "X", "year": "2024-25", "total": "1000.00",
        "recipients": ["erewash-csp"],
        "lines": [{"id": "a", "kind": "fixed", "recipient": "erewash-csp", "amount": "600.00"},
                  {"id": "b", "kind": "fixed", "recipient": "erewash-csp", "amount": "600.00"}]})
    with pytest.raises(rules.RequestInvalid, match=r"line 'b' needs 600\.00") as caught:
        rules.allocate_fund(derbyshire, fund)
    assert caught.value.field == "fund.lines.1"


def test_daily_resolution_is_consistent_over_the_whole_span(derbyshire: rules.Ruleset) -> None:
    """Every tenth day from 2011-09-01 to 2026: six or seven payers, all statutory, once each."""
    day = date(2011, 9, 1)
    while day < date(2026, 12, 31):
        result = rules.apportion(derbyshire, request("erewash", day, ("panel-chair", "100.00")))
        payers = [s.organisation for s in result.shares]
        assert len(payers) == len(set(payers)) in (6, 7)
        assert all(derbyshire.statutory_on(p, day) for p in payers)
        day += timedelta(days=10)


def test_money_strings_are_strict_in_inline_funds() -> None:
    with pytest.raises(rules.RulesetInvalid) as caught:
        rules.fund_from_dict({"id": "x", "name": "X", "year": "2024-26", "total": 100.0,
                              "recipients": [], "lines": []})
    paths = dict(caught.value.problems)
    assert set(paths) == {"fund.year", "fund.total", "fund.lines"}
    assert parse_money("1.00")
