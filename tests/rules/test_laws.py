"""Laws of the rules: conservation, only active statutory bodies billed, each once, deltas add up.

Checked for any date and district, and for rulesets changed by random membership changes.
"""

from __future__ import annotations

import contextlib
import copy
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import rules
from allocations import from_minor, to_minor
from tests import strategies

RULESET = rules.default_ruleset()
SNAPSHOT = copy.deepcopy(RULESET)
ARRANGEMENT = RULESET.arrangement("derbyshire-dhr")
COVERED = list(ARRANGEMENT.districts)


def _payable(ruleset: rules.Ruleset, district: str, on: date, cost: int,
             health: st.DataObject | None = None) -> tuple[rules.DhrRequest, str | None]:
    bodies = rules.health_bodies_on(ruleset, ruleset.district(district), on)
    chosen = None
    if len(bodies) > 1 and health is not None:
        chosen = health.draw(st.sampled_from(bodies))
    request = rules.DhrRequest(district, on, (rules.Cost("overview-author", from_minor(cost)),),
                               chosen)
    return request, chosen


def _check_split(ruleset: rules.Ruleset, request: rules.DhrRequest) -> rules.Apportionment:
    result = rules.apportion(ruleset, request)
    when = result.governing_date
    payers = [s.organisation for s in result.shares if s.role != "contribution"]
    # conservation
    assert sum(to_minor(s.amount) for s in result.shares) == to_minor(result.total)
    # the parts an answer is built from are the shares, in pence
    assert [(p.organisation, p.role, p.minor, p.fraction, p.remainder_penny, p.reason)
            for p in result.parts] == [
        (s.organisation, s.role, to_minor(s.amount), s.fraction, s.remainder_penny, s.reason)
        for s in result.shares]
    # nobody inactive or non-statutory is billed, nobody twice
    assert all(ruleset.statutory_on(p, when) for p in payers)
    assert len(payers) == len(set(payers))
    # every statutory body that fills a listed role is billed
    for role in result.arrangement.roles:
        for listed in role.organisations:
            for body in ruleset.successors_on(listed, when):
                if ruleset.statutory_on(body, when):
                    assert body in payers, (role.id, body)
    # the district's council and its health commissioner are billed
    district = ruleset.district(request.district)
    assert any(c in payers for c in ruleset.successors_on(district.council, when))
    health = rules.health_bodies_on(ruleset, district, when)
    assert request.health_body in payers if request.health_body else health[0] in payers
    return result


@given(st.sampled_from(COVERED), strategies.arrangement_dates, strategies.positive_pence,
       st.data())
def test_any_date_and_district(district: str, on: date, cost: int, data: st.DataObject) -> None:
    request, _ = _payable(RULESET, district, on, cost, data)
    result = _check_split(RULESET, request)
    amounts = [to_minor(s.amount) for s in result.shares]
    assert max(amounts) - min(amounts) <= 1


@given(st.sampled_from(COVERED), strategies.boundary_dates, strategies.positive_pence,
       st.data())
def test_boundary_dates(district: str, on: date, cost: int, data: st.DataObject) -> None:
    assume(on >= ARRANGEMENT.in_force.start)
    request, _ = _payable(RULESET, district, on, cost, data)
    _check_split(RULESET, request)


NEW_KIND = st.sampled_from(["fire-rescue", "ccg", "district-council", "police-force", "pcc"])
ROLE_IDS = [r.id for r in ARRANGEMENT.roles if not r.area]


class MembershipChanges(RuleBasedStateMachine):
    """Random membership changes between evaluations: the laws hold after every step."""

    @initialize()
    def start(self) -> None:
        self.ruleset = RULESET
        self.count = 0

    def _apply(self, change: dict[str, Any]) -> None:
        # refused changes (unknown ids, duplicates) leave the ruleset as it was
        with contextlib.suppress(rules.RulesError):
            self.ruleset = rules.apply_changes(self.ruleset, [rules.change_from_dict(change)])

    @rule(org=st.sampled_from(sorted(RULESET.organisations)), on=strategies.arrangement_dates)
    def end_organisation(self, org: str, on: date) -> None:
        self._apply({"op": "end-organisation", "organisation": org, "date": on.isoformat()})

    @rule(org=st.sampled_from(sorted(RULESET.organisations)), on=strategies.arrangement_dates,
          kind=NEW_KIND, parts=st.integers(1, 2))
    def replace_organisation(self, org: str, on: date, kind: str, parts: int) -> None:
        self.count += 1
        successors = [{"id": f"new-{self.count}-{n}", "name": f"New {self.count}.{n}",
                       "kind": kind} for n in range(parts)]
        self._apply({"op": "replace-organisation", "organisation": org,
                     "date": on.isoformat(), "successors": successors})

    @rule(role=st.sampled_from(ROLE_IDS), on=strategies.arrangement_dates, kind=NEW_KIND)
    def add_organisation(self, role: str, on: date, kind: str) -> None:
        self.count += 1
        self._apply({"op": "add-organisation", "arrangement": "derbyshire-dhr", "role": role,
                     "organisation": {"id": f"added-{self.count}", "name": "Added",
                                      "kind": kind, "active": [{"from": on.isoformat()}]}})

    @rule(role=st.sampled_from([r.id for r in ARRANGEMENT.roles]),
          fill=st.sampled_from(["each", "one-share"]))
    def set_fill(self, role: str, fill: str) -> None:
        self._apply({"op": "set-policy", "arrangement": "derbyshire-dhr", "policy": role,
                     "value": fill})

    @rule(role=st.sampled_from([r.id for r in ARRANGEMENT.roles]), weight=st.integers(0, 5))
    def set_weight(self, role: str, weight: int) -> None:
        self._apply({"op": "set-role-weight", "arrangement": "derbyshire-dhr", "role": role,
                     "weight": weight})

    @rule(district=st.sampled_from(COVERED), on=strategies.arrangement_dates,
          cost=strategies.positive_pence, data=st.data())
    def apportion(self, district: str, on: date, cost: int, data: st.DataObject) -> None:
        request, _ = _payable(self.ruleset, district, on, cost, data)
        try:
            _check_split(self.ruleset, request)
        except rules.NotCovered:
            pass  # e.g. a council or health body ended without successor: refused, not wrong
        except rules.RulesError as error:
            assert "weight" in str(error) or "zero" in str(error), error

    @invariant()
    def original_untouched(self) -> None:
        assert RULESET == SNAPSHOT

    def teardown(self) -> None:
        try:
            assert rules.loads(rules.dumps(self.ruleset)) == self.ruleset
        except rules.RulesetInvalid as invalid:
            # A scenario may end a fund's recipient: the file is then refused exactly where
            # allocating the fund is refused.
            assert all(path.startswith("funds.") for path, _ in invalid.problems)
            for path, _ in invalid.problems:
                fund = self.ruleset.fund(path.split(".")[1])
                with pytest.raises(rules.RulesError):
                    rules.allocate_fund(self.ruleset, fund)


TestMembershipChanges = MembershipChanges.TestCase
TestMembershipChanges.settings = settings(
    parent=settings.get_profile(settings._current_profile or "default"),
    max_examples=min(settings().max_examples, 300), stateful_step_count=20)


changes = st.one_of(
    st.builds(lambda role, fill: {"op": "set-policy", "arrangement": "derbyshire-dhr",
                                  "policy": role, "value": fill},
              st.sampled_from(["probation", "police-force"]),
              st.sampled_from(["each", "one-share"])),
    st.builds(lambda role, w: {"op": "set-role-weight", "arrangement": "derbyshire-dhr",
                               "role": role, "weight": w},
              st.sampled_from([*ROLE_IDS, "district-council"]), st.integers(1, 4)),
    st.builds(lambda pct, cap: {"op": "add-contribution", "arrangement": "derbyshire-dhr",
                                "organisation": "derbyshire-pcc", "item": "panel-chair",
                                "percent": str(pct), "cap": cap},
              st.integers(0, 100), st.sampled_from([None, "5000.00", "0.00"])),
    st.builds(lambda total: {"op": "set-fund-total", "fund": "home-office-csf-2012-13",
                             "total": f"{total}.00"}, st.integers(322000, 10**7)),
    st.builds(lambda pair, into: {"op": "merge-csps", "csps": pair, "into": into,
                                  "date": "2012-01-01"},
              st.lists(st.sampled_from(sorted(RULESET.csps)[:8]), min_size=2, max_size=3,
                       unique=True), st.sampled_from(["merged-csp", "amber-valley-csp"])),
)


@settings(max_examples=min(settings().max_examples, 500))
@given(st.lists(changes, max_size=4),
       st.lists(st.tuples(st.sampled_from(["erewash", "bolsover", "chesterfield", "amber-valley"]),
                          strategies.arrangement_dates,
                          st.sampled_from(["panel-chair", "overview-author"]),
                          st.integers(0, 10**8)), max_size=6))
def test_scenario_deltas_sum_to_the_change_in_totals(
        change_list: list[dict[str, Any]],
        requests: list[tuple[str, date, str, int]]) -> None:
    dhr = [rules.DhrRequest(d, on, (rules.Cost(item, from_minor(p)),))
           for d, on, item, p in requests]
    try:
        parsed = [rules.change_from_dict(c) for c in change_list]
        comparison = rules.compare(RULESET, parsed, dhr, ["home-office-csf-2012-13"])
    except rules.RulesError:
        assume(False)
        raise  # unreachable: assume(False) abandons the example
    totals = comparison.totals
    rows = (*comparison.organisations, *comparison.recipients)
    assert sum(to_minor(r.delta) for r in rows) == to_minor(totals.delta)
    assert to_minor(totals.delta) == to_minor(totals.scenario) - to_minor(totals.base)
    for side, results, funds in (("base", comparison.base_dhr, comparison.base_funds),
                                 ("scenario", comparison.scenario_dhr, comparison.scenario_funds)):
        org_total = sum(to_minor(getattr(r, side)) for r in comparison.organisations)
        assert org_total == sum(to_minor(a.total) for a in results)
        fund_total = sum(to_minor(getattr(r, side)) for r in comparison.recipients)
        assert fund_total == sum(to_minor(f.result.allocated) for f in funds)


def test_every_tenth_day_each_district_the_laws_hold() -> None:
    day = date(2011, 9, 1)
    while day < date(2027, 1, 1):
        for district in COVERED:
            bodies = rules.health_bodies_on(RULESET, RULESET.district(district), day)
            for body in bodies:
                request = rules.DhrRequest(district, day,
                                           (rules.Cost("panel-chair", from_minor(100001)),), body)
                _check_split(RULESET, request)
        day += timedelta(days=10)


@given(st.sampled_from(COVERED), strategies.arrangement_dates | strategies.boundary_dates,
       st.data())
def test_cached_resolution_equals_fresh_resolution(district: str, on: date,
                                                   data: st.DataObject) -> None:
    from rules.membership import partners_on, resolve_partners

    place = RULESET.district(district)
    bodies = rules.health_bodies_on(RULESET, place, on)
    health = data.draw(st.sampled_from(bodies)) if len(bodies) > 1 else None
    assume(on >= ARRANGEMENT.in_force.start)
    cached = partners_on(RULESET, ARRANGEMENT, place, on, health)
    assert cached == resolve_partners(RULESET, ARRANGEMENT, place, on, health)


@settings(max_examples=min(settings().max_examples, 200))
@given(st.lists(changes, max_size=4))
def test_a_kept_scenario_is_the_scenario_built_afresh(change_list: list[dict[str, Any]]) -> None:
    """The what-if reuses a recent identical scenario: equal to one built afresh, the same
    object for the same changes, and refusals are refused again."""
    from rules.scenarios import scenario_ruleset

    try:
        parsed = [rules.change_from_dict(c) for c in change_list]
        fresh = rules.apply_changes(RULESET, parsed)
    except rules.RulesError as refused:
        with pytest.raises(type(refused)):
            scenario_ruleset(RULESET, [rules.change_from_dict(c) for c in change_list])
        return
    kept = scenario_ruleset(RULESET, parsed)
    assert kept == fresh
    assert scenario_ruleset(RULESET, [rules.change_from_dict(c) for c in change_list]) is kept


def test_scenarios_kept_are_bounded() -> None:
    from rules import scenarios

    for year in range(scenarios.SCENARIOS_KEPT * 2):
        scenarios.scenario_ruleset(RULESET, [rules.change_from_dict(
            {"op": "end-organisation", "organisation": "derbyshire-fire-rescue",
             "date": f"{2020 + year}-04-01"})])
    assert len(scenarios._SCENARIOS[RULESET]) == scenarios.SCENARIOS_KEPT
