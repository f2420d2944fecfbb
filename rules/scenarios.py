"""What-if: change a copy of the ruleset and compare base and scenario side by side.

Changes never touch the original ruleset. Invariant (tested as a law): for every comparison,
the deltas of the rows sum to the change in totals, and each side's rows sum to its totals.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
from moneyed import Money

import allocations
from rules.arrangements import FILLS, GOVERNING_DATES, Arrangement, Contribution
from rules.dhr import Apportionment, DhrRequest, apportion
from rules.exceptions import RequestInvalid, RulesError, UnknownId
from rules.funds import Fund, FundAllocation, allocate_fund
from rules.geography import Csp
from rules.organisations import Organisation
from rules.paradoxes import Paradox, Split, detect, fund_splits, review_split
from rules.periods import Period
from rules.ruleset import Ruleset

__all__ = [
    "CHANGE_OPERATIONS",
    "AddContribution",
    "AddOrganisation",
    "Change",
    "Comparison",
    "EndOrganisation",
    "MergeCsps",
    "ReplaceOrganisation",
    "Row",
    "SetFundTotal",
    "SetLineAmount",
    "SetPolicy",
    "SetRoleWeight",
    "SetWeights",
    "apply_changes",
    "compare",
]


def _end(periods: tuple[Period, ...], when: date, what: str, field: str) -> tuple[Period, ...]:
    kept = tuple(cut for period in periods if (cut := period.cut(when)) is not None)
    if not kept:
        first = min(period.start for period in periods).isoformat() if periods else "never"
        raise RequestInvalid(f"{what} starts on {first}, so it cannot end on {when.isoformat()}",
                             field=f"{field}.date")
    return kept


def _replace(table: Mapping[str, Any], key: str, value: Any) -> dict[str, Any]:
    copy = dict(table)
    copy[key] = value
    return copy


def _arrangement(ruleset: Ruleset, arrangement_id: str, field: str) -> Arrangement:
    return ruleset.arrangement(arrangement_id, field=f"{field}.arrangement")


@attrs.frozen
class EndOrganisation:
    """The organisation ceases on ``date`` (it is not active from then on)."""

    organisation: str
    date: date

    def apply(self, ruleset: Ruleset, field: str) -> Ruleset:
        org = ruleset.organisation(self.organisation, field=f"{field}.organisation")
        ended = attrs.evolve(org, active=_end(org.active, self.date, org.id, field))
        return attrs.evolve(ruleset, organisations=_replace(ruleset.organisations, org.id, ended))


@attrs.frozen
class ReplaceOrganisation:
    """The organisation ceases on ``date`` and its successors take over its roles from then.

    ``successors`` name existing organisations or are new ones, active from ``date``.
    """

    organisation: str
    date: date
    successors: tuple[str | Organisation, ...]

    def apply(self, ruleset: Ruleset, field: str) -> Ruleset:
        org = ruleset.organisation(self.organisation, field=f"{field}.organisation")
        organisations = dict(ruleset.organisations)
        ids = []
        for index, successor in enumerate(self.successors):
            if isinstance(successor, Organisation):
                _check_new(ruleset, successor, f"{field}.successors.{index}")
                organisations[successor.id] = successor
                ids.append(successor.id)
            else:
                ruleset.organisation(successor, field=f"{field}.successors.{index}")
                ids.append(successor)
        if org.id in ids:
            raise RequestInvalid("an organisation cannot succeed itself",
                                 field=f"{field}.successors")
        organisations[org.id] = attrs.evolve(org, active=_end(org.active, self.date, org.id, field),
                                             successors=tuple(ids))
        return attrs.evolve(ruleset, organisations=organisations)


def _check_new(ruleset: Ruleset, organisation: Organisation, field: str) -> None:
    if organisation.id in ruleset.organisations:
        raise RequestInvalid(f"organisation {organisation.id!r} already exists",
                             field=f"{field}.id")
    if organisation.kind not in ruleset.kinds:
        raise UnknownId("kind", organisation.kind, ruleset.kinds, field=f"{field}.kind")
    for successor in organisation.successors:
        ruleset.organisation(successor, field=f"{field}.successors")


@attrs.frozen
class AddOrganisation:
    """A new organisation; optionally filling ``role`` of ``arrangement`` (after the others)."""

    organisation: Organisation
    arrangement: str | None = None
    role: str | None = None

    def apply(self, ruleset: Ruleset, field: str) -> Ruleset:
        _check_new(ruleset, self.organisation, f"{field}.organisation")
        changed = attrs.evolve(ruleset, organisations=_replace(
            ruleset.organisations, self.organisation.id, self.organisation))
        if self.role is None:
            return changed
        if self.arrangement is None:
            raise RequestInvalid("give the arrangement whose role it fills",
                                 field=f"{field}.arrangement")
        arrangement = _arrangement(ruleset, self.arrangement, field)
        role = _role(arrangement, self.role, field)
        if role.area is not None:
            raise RequestInvalid(f"role {role.id!r} is filled from the victim's area, not a list",
                                 field=f"{field}.role")
        new_role = attrs.evolve(role, organisations=(*role.organisations, self.organisation.id))
        return _with_arrangement(changed, _with_role(arrangement, new_role))


def _role(arrangement: Arrangement, role_id: str, field: str) -> Any:
    role = arrangement.role(role_id)
    if role is None:
        raise UnknownId("role", role_id, [r.id for r in arrangement.roles], field=f"{field}.role")
    return role


def _with_role(arrangement: Arrangement, role: Any) -> Arrangement:
    return attrs.evolve(arrangement, roles=tuple(role if r.id == role.id else r
                                                 for r in arrangement.roles))


def _with_arrangement(ruleset: Ruleset, arrangement: Arrangement) -> Ruleset:
    return attrs.evolve(ruleset, arrangements=_replace(ruleset.arrangements, arrangement.id,
                                                       arrangement))


@attrs.frozen
class SetRoleWeight:
    """Each body filling ``role`` pays ``weight`` shares (the others keep theirs)."""

    arrangement: str
    role: str
    weight: Fraction

    def apply(self, ruleset: Ruleset, field: str) -> Ruleset:
        arrangement = _arrangement(ruleset, self.arrangement, field)
        role = _role(arrangement, self.role, field)
        return _with_arrangement(ruleset, _with_role(arrangement,
                                                     attrs.evolve(role, weight=self.weight)))


#: Policies of :class:`SetPolicy` besides a role id (whose value is ``each`` or ``one-share``).
POLICIES = ("governing-date", "shared-items")


@attrs.frozen
class SetPolicy:
    """Set a policy: ``governing-date`` (billing | commission), ``shared-items`` (a list of
    items), or a role id such as ``probation`` (each | one-share)."""

    arrangement: str
    policy: str
    value: object

    def apply(self, ruleset: Ruleset, field: str) -> Ruleset:
        arrangement = _arrangement(ruleset, self.arrangement, field)
        where = f"{field}.value"
        if self.policy == "governing-date":
            if self.value not in GOVERNING_DATES:
                raise RequestInvalid(f"governing-date is one of {', '.join(GOVERNING_DATES)}",
                                     field=where)
            changed = attrs.evolve(arrangement, governing_date=self.value)
        elif self.policy == "shared-items":
            if (not isinstance(self.value, list) or not self.value
                    or not all(isinstance(i, str) and i for i in self.value)):
                raise RequestInvalid("shared-items is a non-empty list of item ids", field=where)
            changed = attrs.evolve(arrangement, shared_items=tuple(self.value))
        else:
            role = arrangement.role(self.policy)
            if role is None:
                known = [*POLICIES, *(r.id for r in arrangement.roles)]
                raise UnknownId("policy", self.policy, known, field=f"{field}.policy")
            if self.value not in FILLS:
                raise RequestInvalid(f"a role's policy is one of {', '.join(FILLS)}", field=where)
            changed = _with_role(arrangement, attrs.evolve(role, fill=self.value))
        return _with_arrangement(ruleset, changed)


@attrs.frozen
class AddContribution:
    """``organisation`` pays ``percent`` of ``item`` (up to ``cap``) before the split."""

    arrangement: str
    organisation: str
    item: str
    percent: Decimal
    cap: Money | None = None

    def apply(self, ruleset: Ruleset, field: str) -> Ruleset:
        arrangement = _arrangement(ruleset, self.arrangement, field)
        ruleset.organisation(self.organisation, field=f"{field}.organisation")
        if self.item not in arrangement.shared_items:
            raise RequestInvalid(f"{self.item!r} is not a shared item of {arrangement.id!r}; "
                                 f"shared: {', '.join(arrangement.shared_items)}",
                                 field=f"{field}.item")
        contribution = Contribution(self.organisation, self.item, self.percent, self.cap,
                                    "scenario")
        return _with_arrangement(ruleset, attrs.evolve(
            arrangement, contributions=(*arrangement.contributions, contribution)))


@attrs.frozen
class MergeCsps:
    """The CSPs end on ``date`` and ``into`` (new unless it exists) takes their districts and
    money from then."""

    csps: tuple[str, ...]
    into: str
    date: date
    name: str | None = None

    def apply(self, ruleset: Ruleset, field: str) -> Ruleset:
        if (len(self.csps) < 2 and self.into in self.csps) or not self.csps:
            raise RequestInvalid("merge at least two CSPs", field=f"{field}.csps")
        for index, csp_id in enumerate(self.csps):
            ruleset.csp(csp_id, field=f"{field}.csps.{index}")
        csps = dict(ruleset.csps)
        if self.into not in csps:
            name = self.name or "Merged CSP (" + ", ".join(
                ruleset.csps[c].name for c in self.csps) + ")"
            csps[self.into] = Csp(self.into, name, (Period(self.date),), (), "scenario")
        for csp_id in self.csps:
            if csp_id != self.into:
                csp = csps[csp_id]
                csps[csp_id] = attrs.evolve(csp, active=_end(csp.active, self.date, csp_id, field),
                                            successors=(self.into,))
        districts = {key: attrs.evolve(d, csp=self.into) if d.csp in self.csps else d
                     for key, d in ruleset.districts.items()}
        return attrs.evolve(ruleset, csps=csps, districts=districts)


@attrs.frozen
class SetFundTotal:
    """The fund's total becomes ``total``."""

    fund: str
    total: Money

    def apply(self, ruleset: Ruleset, field: str) -> Ruleset:
        fund = ruleset.fund(self.fund, field=f"{field}.fund")
        return attrs.evolve(ruleset, funds=_replace(ruleset.funds, fund.id,
                                                    attrs.evolve(fund, total=self.total)))


@attrs.frozen
class SetWeights:
    """The proportional line's weights become ``weights`` (a mapping or a weight-set id)."""

    fund: str
    line: str
    weights: Mapping[str, Fraction] | str

    def apply(self, ruleset: Ruleset, field: str) -> Ruleset:
        fund = ruleset.fund(self.fund, field=f"{field}.fund")
        lines = list(fund.lines)
        for index, line in enumerate(lines):
            if line.id == self.line:
                if line.kind != "proportional":
                    raise RequestInvalid(f"line {line.id!r} is {line.kind}, not proportional",
                                         field=f"{field}.line")
                if isinstance(self.weights, str):
                    ruleset.weight_set(self.weights, field=f"{field}.weights")
                lines[index] = attrs.evolve(line, weights=self.weights)
                changed = attrs.evolve(fund, lines=tuple(lines))
                return attrs.evolve(ruleset, funds=_replace(ruleset.funds, fund.id, changed))
        raise UnknownId("line", self.line, [line.id for line in fund.lines], field=f"{field}.line")


@attrs.frozen
class SetLineAmount:
    """The line's amount becomes ``amount`` (a proportional pot, a fixed sum, the amount per
    recipient): with ``set-fund-total``, "what if the formula pot were £120k?"."""

    fund: str
    line: str
    amount: Money

    def apply(self, ruleset: Ruleset, field: str) -> Ruleset:
        fund = ruleset.fund(self.fund, field=f"{field}.fund")
        lines = list(fund.lines)
        for index, line in enumerate(lines):
            if line.id == self.line:
                if line.amount is None:
                    raise RequestInvalid(f"line {line.id!r} is {line.kind}: it has no amount",
                                         field=f"{field}.line")
                lines[index] = attrs.evolve(line, amount=self.amount)
                changed = attrs.evolve(fund, lines=tuple(lines))
                return attrs.evolve(ruleset, funds=_replace(ruleset.funds, fund.id, changed))
        raise UnknownId("line", self.line, [line.id for line in fund.lines], field=f"{field}.line")


Change = (EndOrganisation | ReplaceOrganisation | AddOrganisation | SetRoleWeight | SetPolicy
          | AddContribution | MergeCsps | SetFundTotal | SetLineAmount | SetWeights)

#: The operation names of the change objects (``{"op": "end-organisation", ...}``).
CHANGE_OPERATIONS: dict[str, type[Change]] = {
    "end-organisation": EndOrganisation,
    "replace-organisation": ReplaceOrganisation,
    "add-organisation": AddOrganisation,
    "set-role-weight": SetRoleWeight,
    "set-policy": SetPolicy,
    "add-contribution": AddContribution,
    "merge-csps": MergeCsps,
    "set-fund-total": SetFundTotal,
    "set-line-amount": SetLineAmount,
    "set-weights": SetWeights,
}


def apply_changes(ruleset: Ruleset, changes: Sequence[Change], field: str = "changes"
                  ) -> Ruleset:
    """Return a copy of ``ruleset`` with ``changes`` applied in order (the original is kept)."""
    for index, change in enumerate(changes):
        ruleset = change.apply(ruleset, f"{field}.{index}")
    return ruleset


#: How many changed rulesets each base ruleset keeps warm (see :func:`scenario_ruleset`).
SCENARIOS_KEPT = 32
_SCENARIOS: weakref.WeakKeyDictionary[Ruleset, OrderedDict[tuple[Change, ...], Ruleset]] = (
    weakref.WeakKeyDictionary())
_SCENARIOS_LOCK = threading.Lock()


def scenario_ruleset(ruleset: Ruleset, changes: Sequence[Change], field: str = "changes"
                     ) -> Ruleset:
    """:func:`apply_changes`, reusing the changed ruleset of a recent identical change list.

    The same scenario compared again (a what-if being refined, an export of one just viewed)
    gets the same changed ruleset with its caches (partners resolved per period) already warm,
    instead of a copy built afresh with cold caches. The last :data:`SCENARIOS_KEPT` change
    lists of each base ruleset are kept; refusals are not kept.
    """
    key = tuple(changes)
    try:
        hash(key)
    except TypeError:
        return apply_changes(ruleset, changes, field)
    with _SCENARIOS_LOCK:
        kept = _SCENARIOS.get(ruleset)
        if kept is None:
            kept = _SCENARIOS[ruleset] = OrderedDict()
        found = kept.get(key)
        if found is not None:
            kept.move_to_end(key)
            return found
    scenario = apply_changes(ruleset, changes, field)
    with _SCENARIOS_LOCK:
        kept[key] = scenario
        while len(kept) > SCENARIOS_KEPT:
            kept.popitem(last=False)
    return scenario


@attrs.frozen
class Row:
    """One organisation's or recipient's figures under the base and the scenario."""

    id: str
    base: Money
    scenario: Money

    @property
    def delta(self) -> Money:
        """``scenario - base``."""
        return self.scenario - self.base


@attrs.frozen
class Comparison:
    """Base and scenario results with per-organisation and per-recipient rows."""

    base_dhr: tuple[Apportionment, ...]
    scenario_dhr: tuple[Apportionment, ...]
    base_funds: tuple[FundAllocation, ...]
    scenario_funds: tuple[FundAllocation, ...]
    organisations: tuple[Row, ...]
    recipients: tuple[Row, ...]
    scenario_ruleset: Ruleset
    warnings: tuple[Paradox, ...] = ()

    @property
    def totals(self) -> Row:
        """The sum of every row (organisations and recipients) on each side."""
        zero = allocations.zero()
        rows = (*self.organisations, *self.recipients)
        return Row("total", sum((r.base for r in rows), zero),
                   sum((r.scenario for r in rows), zero))


FundRef = str | Fund


def _fund(ruleset: Ruleset, ref: FundRef, field: str) -> FundAllocation:
    fund = ruleset.fund(ref, field=field) if isinstance(ref, str) else ref
    return allocate_fund(ruleset, fund, field=field)


def _rows(base: dict[str, Money], scenario: dict[str, Money]) -> tuple[Row, ...]:
    zero = allocations.zero()
    order = list(base) + [key for key in scenario if key not in base]
    return tuple(Row(key, base.get(key, zero), scenario.get(key, zero)) for key in order)


def _by_organisation(results: Sequence[Apportionment]) -> dict[str, Money]:
    totals: dict[str, Money] = {}
    for result in results:
        for share in result.shares:
            totals[share.organisation] = totals.get(share.organisation,
                                                    allocations.zero()) + share.amount
    return totals


def _by_recipient(results: Sequence[FundAllocation]) -> dict[str, Money]:
    totals: dict[str, Money] = {}
    for result in results:
        for recipient, amount in result.result.recipients.items():
            key = str(recipient)
            totals[key] = totals.get(key, allocations.zero()) + amount
    return totals


def _evaluate(ruleset: Ruleset, requests: Sequence[DhrRequest], funds: Sequence[FundRef],
              side: str) -> tuple[tuple[Apportionment, ...], tuple[FundAllocation, ...]]:
    try:
        dhr = tuple(_apportion(ruleset, request, f"dhr.{i}") for i, request in enumerate(requests))
        allocated = tuple(_fund(ruleset, ref, f"funds.{i}.fund") for i, ref in enumerate(funds))
    except RulesError as error:
        if side == "scenario":
            error.message = f"under the scenario: {error.message}"
            error.args = (error.message,)
        raise
    return dhr, allocated


def _apportion(ruleset: Ruleset, request: DhrRequest, field: str) -> Apportionment:
    try:
        return apportion(ruleset, request)
    except RulesError as error:
        error.field = f"{field}.{error.field}" if error.field else field
        raise


def compare(ruleset: Ruleset, changes: Sequence[Change], requests: Sequence[DhrRequest] = (),
            funds: Sequence[FundRef] = ()) -> Comparison:
    """Evaluate the DHR requests and funds under ``ruleset`` and under the changed copy.

    Raises:
        RulesError: naming the change, request or fund at fault (``changes.1.date``,
            ``dhr.0.district``); a request that only fails under the scenario says so.
    """
    ruleset, funds = _with_inline_funds(ruleset, funds)
    scenario = scenario_ruleset(ruleset, changes)
    base_dhr, base_funds = _evaluate(ruleset, requests, funds, "base")
    scenario_dhr, scenario_funds = _evaluate(scenario, requests, funds, "scenario")
    warnings = detect(_splits(scenario, base_dhr, base_funds),
                      _splits(scenario, scenario_dhr, scenario_funds))
    return Comparison(
        base_dhr, scenario_dhr, base_funds, scenario_funds,
        _rows(_by_organisation(base_dhr), _by_organisation(scenario_dhr)),
        _rows(_by_recipient(base_funds), _by_recipient(scenario_funds)), scenario, warnings)


def _with_inline_funds(ruleset: Ruleset, funds: Sequence[FundRef]
                       ) -> tuple[Ruleset, tuple[FundRef, ...]]:
    """Add the inline funds to the ruleset (under their ids) so changes can name them."""
    inline = {ref.id: ref for ref in funds if isinstance(ref, Fund)}
    if not inline:
        return ruleset, tuple(funds)
    changed = attrs.evolve(ruleset, funds={**ruleset.funds, **inline})
    return changed, tuple(ref.id if isinstance(ref, Fund) else ref for ref in funds)


def _splits(names: Ruleset, dhr: Sequence[Apportionment], funds: Sequence[FundAllocation]
            ) -> list[Split]:
    """Every split of one side, keyed so the two sides match (``dhr.0``, ``funds.1.formula``)."""
    splits = []
    for index, result in enumerate(dhr):
        request = result.request
        label = (f"review {index + 1} (victim's area {names.name_of(request.district)}, "
                 f"{request.date.isoformat()})")
        splits.append(review_split(result, f"dhr.{index}", label))
    for index, allocated in enumerate(funds):
        splits += fund_splits(allocated, f"funds.{index}.")
    return splits
