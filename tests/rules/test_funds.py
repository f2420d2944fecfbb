"""Funds through the rules: the papers' figures, follows, passport, bids, damping and stages."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rules
from allocations import from_minor, to_minor

RULESET = rules.default_ruleset()
CSPS = ["amber-valley-csp", "bolsover-csp", "chesterfield-csp", "derbyshire-dales-csp",
        "erewash-csp", "high-peak-csp", "north-east-derbyshire-csp", "south-derbyshire-csp"]
POPULATION = {"amber-valley-csp": 122309, "bolsover-csp": 75866, "chesterfield-csp": 103788,
              "derbyshire-dales-csp": 71116, "erewash-csp": 112081, "high-peak-csp": 90892,
              "north-east-derbyshire-csp": 99023, "south-derbyshire-csp": 94611}


def _allocate(ruleset: rules.Ruleset, data: dict[str, Any]) -> rules.FundAllocation:
    return rules.allocate_fund(ruleset, rules.fund_from_dict(data))


def _with(*funds: dict[str, Any]) -> rules.Ruleset:
    data = rules.to_dict(RULESET)
    for fund in funds:
        data["funds"][fund["id"]] = {k: v for k, v in fund.items() if k != "id"}
    return rules.from_dict(data)


def _pence(allocation: rules.FundAllocation) -> dict[str, int]:
    return {r: to_minor(m) for r, m in allocation.awards.items()}


# --- the papers --------------------------------------------------------------------------------

def test_the_fund_was_cut_from_735k_to_322k() -> None:
    earlier = rules.allocate_fund(RULESET, RULESET.fund("home-office-csf-2011-12"))
    assert to_minor(earlier.result.total) == 73500000
    assert to_minor(earlier.result.unallocated) == 73500000  # not broken down in the papers
    later = rules.allocate_fund(RULESET, RULESET.fund("home-office-csf-2012-13"))
    assert later.followed is not None and later.followed.fund.id == "home-office-csf-2011-12"
    assert to_minor(later.result.total) - to_minor(earlier.result.total) == -41300000


def test_2013_14_passports_back_the_2012_13_allocation_subject_to_a_condition() -> None:
    before = rules.allocate_fund(RULESET, RULESET.fund("home-office-csf-2012-13"))
    passported = rules.allocate_fund(RULESET, RULESET.fund("pcc-passported-2013-14"))
    assert passported.awards == before.awards
    assert {c: to_minor(passported.awards[c]) for c in CSPS} == {c: 2325000 for c in CSPS}
    for line_id in ("asb-officers", "csp-programme", "iom-probation", "idva"):
        assert passported.result.line(line_id).shares == before.result.line(line_id).shares  # type: ignore[union-attr]
    (stage,) = passported.fund.stages
    assert stage.condition is not None and "outcomes" in stage.condition
    for recipient, award in passported.awards.items():
        assert [s.amount for s in passported.schedules[recipient]] == [award]


def test_the_250k_bid_fund_has_no_bids_yet() -> None:
    bids = rules.allocate_fund(RULESET, RULESET.fund("pcc-crime-prevention-bids-2013-14"))
    assert to_minor(bids.result.unallocated) == 25000000 and bids.awards == {}
    assert "safer-derby" in bids.fund.recipients  # City and County


def test_gss_codes_are_ruleset_data() -> None:
    codes = {d.id: d.gss for d in RULESET.districts.values()}
    assert codes["amber-valley"] == "E07000032" and codes["derby-city"] == "E06000015"
    assert all(code for code in codes.values())
    data = rules.to_dict(RULESET)
    data["districts"]["erewash"]["gss"] = "E0700003"
    with pytest.raises(rules.RulesetInvalid, match=r"districts\.erewash\.gss"):
        rules.from_dict(data)


# --- follows, damping, bids, stages --------------------------------------------------------------

def _population_fund(fund_id: str, year: str, weights: dict[str, Any], **extra: Any
                     ) -> dict[str, Any]:
    line: dict[str, Any] = {"id": "formula", "kind": "proportional", "amount": "100000.00",
                            "weights": weights, **extra.pop("line", {})}
    return {"id": fund_id, "name": fund_id, "year": year, "total": "100000.00",
            "recipients": CSPS, "lines": [line], **extra}


def test_damping_against_the_fund_followed() -> None:
    ruleset = _with(_population_fund("grant-2014-15", "2014-15", POPULATION))
    shifted = dict(POPULATION, **{"bolsover-csp": 300000})  # Bolsover's weight quadruples
    fund = _population_fund("grant-2015-16", "2015-16", shifted, follows="grant-2014-15",
                            line={"damping": {"max_decrease": "5", "max_increase": "10"}})
    result = _allocate(ruleset, fund)
    before = _pence(result.followed)  # type: ignore[arg-type]
    after = _pence(result)
    assert sum(after.values()) == 10000000  # what Bolsover may not take, the others share
    explained = result.explanations()
    for csp in CSPS:
        assert before[csp] * 95 <= after[csp] * 100 <= before[csp] * 110
    assert explained["bolsover-csp"][0].held == "max-increase" and explained[
        "bolsover-csp"][0].damped
    assert after["bolsover-csp"] == before["bolsover-csp"] * 110 // 100
    others = [c for c in CSPS if c != "bolsover-csp"]
    assert all(explained[c][0].held is None for c in others)
    assert all(after[c] < before[c] for c in others)


@pytest.mark.parametrize(("change", "field", "says"), [
    ({"line": {"damping": {"max_decrease": "5"}}}, "fund.lines.0.damping", "follows"),
    ({"follows": "grant-2016-17"}, "fund.follows", "not a year before"),
    ({"follows": "nowhere"}, "fund.follows", "unknown fund"),
])
def test_follows_and_damping_refusals(change: dict[str, Any], field: str, says: str) -> None:
    ruleset = _with(_population_fund("grant-2016-17", "2016-17", POPULATION))
    with pytest.raises(rules.RulesError, match=says) as caught:
        _allocate(ruleset, _population_fund("grant-2015-16", "2015-16", POPULATION, **change))
    assert caught.value.field == field


def test_passport_refusals() -> None:
    fund = {"id": "p", "name": "P", "year": "2013-14", "total": "1.00", "recipients": CSPS,
            "lines": [{"id": "back", "kind": "passport", "fund": "home-office-csf-2012-13",
                       "lines": ["asb-officers", "lottery"]}]}
    with pytest.raises(rules.UnknownId, match="lottery") as caught:
        _allocate(RULESET, fund)
    assert caught.value.field == "fund.lines.0.lines.1"
    fund["lines"][0]["lines"] = ["asb-officers"]  # type: ignore[index]
    with pytest.raises(rules.RequestInvalid, match=r"needs 120000\.00") as over:
        _allocate(RULESET, fund)
    assert over.value.field == "fund.lines.0"


def test_bids_scaled_exactly_and_stages_80_20() -> None:
    fund = {"id": "bids-2013-14", "name": "Bids", "year": "2013-14", "total": "1000.00",
            "recipients": CSPS, "lines": [{"id": "bids", "kind": "bids", "amount": "1000.00",
                                           "bids": [
        {"id": "b1", "recipient": "erewash-csp", "amount": "900.00", "approved": True},
        {"id": "b2", "recipient": "safer-derby", "amount": "600.00", "approved": True},
        {"id": "b3", "recipient": "bolsover-csp", "amount": "500.00", "approved": False}]}],
            "stages": [{"id": "award", "percent": "80", "due": "2013-04-30"},
                       {"id": "evaluation", "percent": "20", "due": "2013-10-31",
                        "condition": "outcome report received"}]}
    result = _allocate(RULESET, fund)
    assert _pence(result) == {"erewash-csp": 60000, "safer-derby": 40000}
    erewash = result.schedules["erewash-csp"]
    assert [(s.stage, to_minor(s.amount), s.condition) for s in erewash] == [
        ("award", 48000, None), ("evaluation", 12000, "outcome report received")]


def test_stages_must_sum_to_100() -> None:
    fund = _population_fund("g", "2014-15", POPULATION, stages=[
        {"id": "award", "percent": "80", "due": "2014-04-30"},
        {"id": "evaluation", "percent": "10", "due": "2014-10-31"}])
    with pytest.raises(rules.RulesetInvalid, match="sum to 90"):
        rules.fund_from_dict(fund)


def test_new_keys_round_trip() -> None:
    fund = _population_fund("g", "2015-16", POPULATION, follows="home-office-csf-2012-13",
                            line={"damping": {"max_decrease": "7.5", "max_increase": "12"}},
                            stages=[{"id": "all", "percent": "100", "due": "2015-04-01"}])
    parsed = rules.fund_from_dict(fund)
    assert rules.fund_from_dict({"id": "g", **rules.fund_to_dict(parsed)}) == parsed
    assert rules.loads(rules.dumps(RULESET)) == RULESET


# --- laws --------------------------------------------------------------------------------------

@st.composite
def earlier_funds(draw: st.DrawFn) -> dict[str, Any]:
    lines: list[dict[str, Any]] = []
    for index in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["per-recipient", "proportional", "fixed"]))
        amount = from_minor(draw(st.integers(0, 10**7)))
        line: dict[str, Any] = {"id": f"l{index}", "kind": kind, "amount": str(amount.amount)}
        if kind == "proportional":
            line["weights"] = {c: draw(st.integers(1, 10**6)) for c in CSPS}
        elif kind == "fixed":
            line["recipient"] = draw(st.sampled_from(["derbyshire-county-council", *CSPS]))
        lines.append(line)
    total = draw(st.integers(0, 10**9))
    return {"id": "earlier", "name": "Earlier", "year": "2014-15", "total": str(from_minor(
        total).amount), "recipients": CSPS, "lines": lines}


@given(earlier_funds(), st.data())
def test_passporting_reproduces_the_earlier_allocation_when_totals_agree(
        earlier: dict[str, Any], data: st.DataObject) -> None:
    try:
        ruleset = _with(earlier)
    except rules.RulesetInvalid:
        return  # over-allocated: refused, nothing to passport
    before = rules.allocate_fund(ruleset, ruleset.fund("earlier"))
    line_ids = [line["id"] for line in earlier["lines"]]
    split = data.draw(st.booleans())  # one passport line, or one per earlier line
    lines = ([{"id": "back", "kind": "passport", "fund": "earlier", "lines": line_ids}]
             if not split else [{"id": i, "kind": "passport", "fund": "earlier", "lines": [i]}
                                for i in line_ids])
    stages = [{"id": "award", "percent": "80", "due": "2015-04-30"},
              {"id": "evaluation", "percent": "20", "due": "2015-10-31"}]
    later = _allocate(ruleset, {"id": "later", "name": "Later", "year": "2015-16",
                                "total": str(before.result.allocated.amount),
                                "recipients": CSPS, "follows": "earlier", "lines": lines,
                                "stages": stages})
    assert later.awards == before.awards
    assert to_minor(later.result.unallocated) == 0
    for recipient, award in later.awards.items():  # stages sum exactly to each award
        assert sum(to_minor(s.amount) for s in later.schedules[recipient]) == to_minor(award)
