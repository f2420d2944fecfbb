"""Between the wire and the domain: loaded request data -> rules requests, results -> bodies.

The HTTP views and the CLI's ``--json`` both use these functions, so the two always print the
same body. Money leaves as a decimal string with two places; fractions as ``"1/6"``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from math import gcd
from typing import Any

import allocations
import rules
from allocations import format_minor, format_money
from rules.forecast import Forecast, Range
from rules.paradoxes import against_followed
from rules.periods import Period
from service.ledger.collection import collection_paused

__all__ = [
    "apportionment_body",
    "arrangement_body",
    "comparison_body",
    "dhr_request",
    "districts_body",
    "forecast_body",
    "fund_allocation_body",
    "fund_answer",
    "fund_body",
    "fund_reference",
    "organisations_body",
    "warning_body",
]


def _period(period: Period) -> dict[str, str | None]:
    return {"from": period.start.isoformat(),
            "to": period.end.isoformat() if period.end else None}


def _weight(value: Fraction) -> str:
    return str(value) if value.denominator != 1 else str(value.numerator)


# --- requests ------------------------------------------------------------------------------------

def dhr_request(data: Mapping[str, Any]) -> rules.DhrRequest:
    """Build a DHR request from data loaded by ``DhrRequestSchema``."""
    costs = tuple(rules.Cost(c["item"], c["amount"]) for c in data["costs"])
    return rules.DhrRequest(data["district"], data["date"], costs, data.get("health_body"),
                            data.get("arrangement"), data.get("commissioned"))


def fund_reference(value: str | Mapping[str, Any], field: str = "fund") -> str | rules.Fund:
    """Return a fund id as is, or build an inline fund definition (errors carry ``field``)."""
    if isinstance(value, str):
        return value
    return rules.fund_from_dict(dict(value), field)


def fund_of(ruleset: rules.Ruleset, reference: str | rules.Fund, field: str = "fund"
            ) -> rules.Fund:
    """Return the fund an id names (``UnknownId`` naming ``field``) or the inline fund."""
    return ruleset.fund(reference, field=field) if isinstance(reference, str) else reference


def changes(values: list[Any]) -> list[rules.Change]:
    """Build scenario changes, each error naming ``changes.N.field``."""
    return [rules.change_from_dict(value, f"changes.{index}")
            for index, value in enumerate(values)]


# --- answers -------------------------------------------------------------------------------------

def organisations_body(ruleset: rules.Ruleset, when: date) -> dict[str, Any]:
    """The organisations active on ``when``, with whether each is statutory then."""
    return {"date": when.isoformat(), "organisations": [
        {"id": o.id, "name": o.name, "kind": o.kind,
         "statutory": ruleset.statutory_on(o.id, when),
         "active": [_period(p) for p in o.active], "successors": list(o.successors),
         "source": o.source}
        for o in ruleset.organisations_on(when)]}


def districts_body(ruleset: rules.Ruleset) -> dict[str, Any]:
    """Districts with their council, CSP and health coverage; CSPs with their districts."""
    return {
        "districts": [{"id": d.id, "name": d.name, "council": d.council, "csp": d.csp,
                       "health": [{**_period(h.period), "bodies": list(h.bodies),
                                   "source": h.source} for h in d.health],
                       "source": d.source} for d in ruleset.districts.values()],
        "csps": [{"id": c.id, "name": c.name, "active": [_period(p) for p in c.active],
                  "successors": list(c.successors),
                  "districts": [d.id for d in ruleset.districts.values() if d.csp == c.id],
                  "source": c.source} for c in ruleset.csps.values()],
    }


def arrangement_body(arrangement: rules.Arrangement) -> dict[str, Any]:
    """An arrangement: roles in order, policies, contributions and source."""
    return {
        "id": arrangement.id, "name": arrangement.name, "in_force": _period(arrangement.in_force),
        "districts": list(arrangement.districts),
        "roles": [{"id": r.id, "name": r.name, "organisations": list(r.organisations),
                   "area": r.area, "weight": _weight(r.weight), "fill": r.fill}
                  for r in arrangement.roles],
        "shared_items": list(arrangement.shared_items),
        "governing_date": arrangement.governing_date,
        "contributions": [{"organisation": c.organisation, "item": c.item,
                           "percent": str(c.percent),
                           "cap": format_money(c.cap) if c.cap is not None else None}
                          for c in arrangement.contributions],
        "source": arrangement.source,
    }


def fund_body(fund: rules.Fund) -> dict[str, Any]:
    """A fund definition, in the inline form ``POST /funds/allocate`` accepts."""
    return {"id": fund.id, **rules.fund_to_dict(fund)}


def apportionment_body(ruleset: rules.Ruleset, result: rules.Apportionment) -> dict[str, Any]:
    """The answer of ``POST /dhr/apportion`` (built from the shares in minor units)."""
    request = result.request
    health_role = _health_role(result.arrangement)
    currency = result.total.currency
    name_of = ruleset.name_of
    return {
        "currency": currency.code,
        "total": format_money(result.total),
        "date": request.date.isoformat(),
        "governing_date": result.governing_date.isoformat(),
        "district": request.district,
        "health_body": next((p.organisation for p in result.partners if p.role == health_role),
                            None),
        "arrangement": {"id": result.arrangement.id, "name": result.arrangement.name,
                        "source": result.arrangement.source},
        "shares": [{"organisation": p.organisation, "name": name_of(p.organisation),
                    "role": p.role, "amount": format_minor(p.minor, currency),
                    "fraction": None, "remainder_penny": False, "reason": p.reason}
                   for p in result.contributions] + [
                   {"organisation": p.organisation, "name": name_of(p.organisation),
                    "role": p.role, "amount": format_minor(minor, currency),
                    "fraction": str(fraction), "remainder_penny": lucky, "reason": reason}
                   for p, minor, (fraction, lucky, reason)
                   in zip(result.partners, result.minor, result.reasons, strict=True)],
    }


def _health_role(arrangement: rules.Arrangement) -> str | None:
    return next((r.id for r in arrangement.roles if r.area == "health"), None)


def fund_answer(ruleset: rules.Ruleset, fund: rules.Fund) -> dict[str, Any]:
    """Allocate ``fund`` and build the answer of ``POST /funds/allocate`` (the API, the CLI and
    the funds page), with the garbage collector paused: a national fund makes tens of
    thousands of values at once, none of them garbage yet."""
    with collection_paused():
        return fund_allocation_body(ruleset, rules.allocate_fund(ruleset, fund))


def fund_allocation_body(ruleset: rules.Ruleset, result: rules.FundAllocation
                         ) -> dict[str, Any]:
    """The answer of ``POST /funds/allocate``: per recipient, per line (each amount explained),
    per stage where the fund sets stages, and warnings where the fund follows another.

    Built from each line's integer shares and exact quotas in one pass, ``O(n)`` in the
    recipients: the same body as formatting :meth:`rules.FundAllocation.explanations` and
    :attr:`rules.FundAllocation.awards`, without making a money value or an explanation per
    recipient and line (``tests/service/test_fund_answers.py`` pins the two together)."""
    lines = result.result
    currency = lines.total.currency
    explained: dict[Hashable, list[Any]] = {}  # recipient -> [its award, its line rows]
    for line in lines.lines:
        _explain_line(line, explained)
    previous = _awarded(result.followed.result) if result.followed is not None else None
    names = {line.id: line.name for line in result.fund.lines}
    name_of = ruleset.name_of
    stages, schedules = result.fund.stages, result.schedules
    recipients = []
    for key, (amount, rows) in explained.items():
        recipient = str(key)
        row: dict[str, Any] = {
            "recipient": recipient, "name": name_of(recipient),
            "amount": format_minor(amount, currency), "lines": rows}
        if previous is not None:
            before = previous.get(recipient)
            row["previous"] = format_minor(before, currency) if before is not None else None
        if stages:
            row["stages"] = [_stage(stage) for stage in schedules.get(recipient, ())]
        recipients.append(row)
    body: dict[str, Any] = {
        "fund": result.fund.id, "name": result.fund.name, "year": result.fund.year,
        "currency": currency.code,
        "total": format_money(lines.total), "allocated": format_money(lines.allocated),
        "unallocated": format_money(lines.unallocated),
        "follows": result.fund.follows,
        "recipients": recipients,
        "lines": [_line_total(line, names.get(line.id, "")) for line in lines.lines],
    }
    if result.followed is not None:
        body["warnings"] = [
            *(warning_body(ruleset, paradox) for paradox in against_followed(result)),
            *({"kind": w.kind, "recipient": w.recipient, "detail": w.detail}
              for w in rules.fund_warnings(result))]
    return body


#: A held bound -> (floored, capped, damped), as :class:`allocations.LineExplanation` says.
_HELD: dict[str | None, tuple[bool, bool, bool]] = {
    None: (False, False, False), "floor": (True, False, False), "cap": (False, True, False),
    "max-decrease": (False, False, True), "max-increase": (False, False, True)}


def _explain_line(line: allocations.LineResult, explained: dict[Hashable, list[Any]]) -> None:
    """Add each recipient's explained amount on ``line`` (what
    :meth:`allocations.LineResult.explanations` says, as the wire shows it) to its rows and
    its share to its award (``explained``: recipient -> [award, rows]). Explanations repeat
    (every recipient of a per-recipient line, the shares held at a bound): equal ones are
    written once per line and shared (an answer is read, never edited)."""
    currency = line.amount.currency
    numerators, denominator = line.quota_terms()
    line_minor = sum(line.minor_shares)
    denominator *= line_minor
    held = line.held or (None,) * len(line.recipients)
    lucky = line.lucky
    line_id = line.id
    written: dict[object, dict[str, Any]] = {}
    # without exact quotas, bounds or remainder pennies, the share alone decides the row;
    # otherwise rows repeat where a bound holds the share (a free share's quota is its own)
    by_share = not line.quota_numerators and not line.held and not lucky
    for index, (recipient, share, numerator, bound) in enumerate(zip(
            line.recipients, line.minor_shares, numerators, held, strict=True)):
        penny = index in lucky
        row: dict[str, Any] | None
        if bound is None and not by_share:  # a free share on a proportional or bids line
            row = {"line": line_id, "amount": format_minor(share, currency),
                   "fraction": _ratio(numerator, denominator) if line_minor else None,
                   "floored": False, "capped": False, "damped": False,
                   "remainder_penny": penny, "held": None}
        else:
            key = share if by_share else (share, numerator, bound, penny)
            row = written.get(key)
            if row is None:
                floored, capped, damped = _HELD[bound]
                row = written[key] = {
                    "line": line_id, "amount": format_minor(share, currency),
                    "fraction": _ratio(numerator, denominator) if line_minor else None,
                    "floored": floored, "capped": capped, "damped": damped,
                    "remainder_penny": penny, "held": bound}
        entry = explained.get(recipient)
        if entry is None:
            explained[recipient] = [share, [row]]
        else:
            entry[0] += share
            entry[1].append(row)


def _awarded(lines: allocations.LinesAllocation) -> dict[str, int]:
    """Recipient -> its total over every line in minor units (as :attr:`awards`)."""
    found: dict[str, int] = {}
    get = found.get
    for line in lines.lines:
        for recipient, share in zip(map(str, line.recipients), line.minor_shares, strict=True):
            found[recipient] = get(recipient, 0) + share
    return found


def _ratio(numerator: int, denominator: int) -> str:
    """``str(Fraction(numerator, denominator))`` for a positive denominator, without making
    the fraction."""
    common = gcd(numerator, denominator)
    numerator, denominator = numerator // common, denominator // common
    return str(numerator) if denominator == 1 else f"{numerator}/{denominator}"


def _stage(stage: rules.StagePayment) -> dict[str, Any]:
    return {"stage": stage.stage, "amount": format_money(stage.amount),
            "due": stage.due.isoformat(), "condition": stage.condition,
            "remainder_penny": stage.remainder_penny}


def _line_total(line: allocations.LineResult, name: str) -> dict[str, Any]:
    total: dict[str, Any] = {"line": line.id, "name": name, "kind": line.kind,
                             "amount": format_money(line.amount)}
    if line.kind == "bids":
        currency, awards = line.amount.currency, line.bids  # read in columns
        total["bids"] = [{"bid": bid.id, "recipient": str(bid.recipient),
                          "requested": format_minor(requested, currency),
                          "approved": bid.approved, "awarded": format_minor(awarded, currency),
                          "remainder_penny": index in awards.lucky}
                         for index, (bid, requested, awarded) in enumerate(zip(
                             awards.bids, awards.requested_minor, awards.awarded_minor,
                             strict=True))]
    return total


def _rows(ruleset: rules.Ruleset, rows: tuple[rules.Row, ...], key: str) -> list[dict[str, str]]:
    return [{key: row.id, "name": ruleset.name_of(row.id), "base": format_money(row.base),
             "scenario": format_money(row.scenario), "delta": format_money(row.delta)}
            for row in rows]


def comparison_body(base: rules.Ruleset, result: rules.Comparison) -> dict[str, Any]:
    """The answer of ``POST /scenarios/compare``: rows, totals and both full results."""
    scenario = result.scenario_ruleset
    totals = result.totals

    def side(ruleset: rules.Ruleset, dhr: tuple[rules.Apportionment, ...],
             funds: tuple[rules.FundAllocation, ...]) -> dict[str, Any]:
        return {"dhr": [apportionment_body(ruleset, a) for a in dhr],
                "funds": [fund_allocation_body(ruleset, f) for f in funds]}

    return {
        "currency": "GBP",
        "organisations": _rows(scenario, result.organisations, "organisation"),
        "recipients": _rows(scenario, result.recipients, "recipient"),
        "totals": {"base": format_money(totals.base), "scenario": format_money(totals.scenario),
                   "delta": format_money(totals.delta)},
        "warnings": [warning_body(scenario, warning) for warning in result.warnings],
        "base": side(base, result.base_dhr, result.base_funds),
        "scenario": side(scenario, result.scenario_dhr, result.scenario_funds),
    }


def warning_body(ruleset: rules.Ruleset, warning: rules.Paradox) -> dict[str, Any]:
    """A paradox warning: its kind, whom and which split it is about, and what happened."""
    return {"kind": warning.kind, "recipient": warning.recipient,
            "name": ruleset.name_of(warning.recipient), "line": warning.line,
            "others": list(warning.others),
            "base": format_money(allocations.from_minor(warning.base)),
            "scenario": format_money(allocations.from_minor(warning.scenario)),
            "detail": warning.describe(ruleset.name_of)}


def _count(value: Fraction) -> str:
    """A number of reviews: ``"2"``, ``"0.75"``, or ``"2/3"`` when no decimal is exact."""
    if value.denominator == 1:
        return str(value.numerator)
    decimal = Decimal(value.numerator) / Decimal(value.denominator)
    if Fraction(decimal) == value:
        return str(decimal)
    return str(value)


def _pence_range(value: Range) -> dict[str, str]:
    return {key: format_money(allocations.from_minor(int(getattr(value, key))))
            for key in ("low", "expected", "high")}


def forecast_body(ruleset: rules.Ruleset, result: Forecast) -> dict[str, Any]:
    """The answer of ``POST /forecast/dhr``: totals, every partner's figures, the reviews and
    cost per review they rest on, and the parts of the year where membership changes."""
    return {
        "year": result.year, "from": result.start.isoformat(),
        "to": (result.end - timedelta(days=1)).isoformat(), "currency": "GBP",
        "total": format_money(allocations.from_minor(int(result.total.expected))),
        "totals": _pence_range(result.total),
        "cost_per_review": _pence_range(result.cost_per_review),
        "reviews": [{"district": district, "name": ruleset.name_of(district),
                     **{key: _count(getattr(count, key)) for key in ("low", "expected", "high")}}
                    for district, count in result.reviews.items()],
        "history_years": list(result.history_years),
        "organisations": [{"organisation": p.organisation, "name": ruleset.name_of(p.organisation),
                           "low": format_money(allocations.from_minor(p.low)),
                           "expected": format_money(allocations.from_minor(p.expected)),
                           "high": format_money(allocations.from_minor(p.high))}
                          for p in result.partners],
        "periods": [{"district": p.district, "from": p.start.isoformat(),
                     "to": (p.end - timedelta(days=1)).isoformat(), "partners": list(p.partners)}
                    for p in result.periods],
    }
