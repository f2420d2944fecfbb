"""Writing rulesets: the file structure of a ruleset or fund, and its TOML text.

The inverse of :mod:`rules.files`: ``from_dict(to_dict(r)) == r`` and ``loads(dumps(r)) == r``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import tomli_w
from moneyed import Money

import allocations
from rules.funds import DampingRule, Fund
from rules.periods import Period
from rules.ruleset import Ruleset

__all__ = ["dumps", "fund_to_dict", "to_dict"]


def _period_out(period: Period) -> dict[str, object]:
    out: dict[str, object] = {"from": period.start}
    if period.end is not None:
        out["to"] = period.end
    return out


def _weight_out(weight: Fraction) -> int | str:
    if weight.denominator == 1:
        return int(weight)
    decimal = Decimal(weight.numerator) / Decimal(weight.denominator)
    if Fraction(decimal) != weight:
        raise ValueError(f"weight {weight} has no exact decimal form")
    return str(decimal)


def _money_out(money: Money | None) -> str | None:
    return None if money is None else allocations.format_money(money)


def _clean(table: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in table.items() if v is not None and v != "" and v != []}


def fund_to_dict(fund: Fund) -> dict[str, Any]:
    """Return the file structure of ``fund`` (inverse of :func:`~rules.files.fund_from_dict`)."""
    lines = []
    for line in fund.lines:
        weights: object = line.weights
        if isinstance(line.weights, Mapping):
            weights = {k: _weight_out(v) for k, v in line.weights.items()}
        lines.append(_clean({
            "id": line.id, "name": line.name, "kind": line.kind,
            "amount": _money_out(line.amount), "recipient": line.recipient,
            "recipients": list(line.recipients) if line.recipients is not None else None,
            "weights": weights, "floor": _money_out(line.floor), "cap": _money_out(line.cap),
            "damping": _damping_out(line.damping), "fund": line.fund,
            "lines": list(line.lines) if line.lines is not None else None,
            "bids": [_clean({"id": bid.id, "name": bid.name, "recipient": bid.recipient,
                             "amount": _money_out(bid.amount), "approved": bid.approved})
                     for bid in line.bids] if line.bids else None}))
    stages = [_clean({"id": stage.id, "percent": _percent_out(stage.percent),
                      "due": stage.due.isoformat(), "condition": stage.condition})
              for stage in fund.stages]
    return _clean({"name": fund.name, "year": fund.year, "total": _money_out(fund.total),
                   "recipients": list(fund.recipients), "follows": fund.follows,
                   "funder": fund.funder, "lines": lines,
                   "stages": stages, "source": fund.source})


def _percent_out(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _damping_out(damping: DampingRule | None) -> dict[str, str] | None:
    if damping is None:
        return None
    return _clean({"max_decrease": None if damping.max_decrease is None
                   else _percent_out(damping.max_decrease),
                   "max_increase": None if damping.max_increase is None
                   else _percent_out(damping.max_increase)})


def to_dict(ruleset: Ruleset) -> dict[str, Any]:
    """Return the file structure of ``ruleset``; ``from_dict(to_dict(r)) == r``."""
    return _clean({
        "id": ruleset.id, "name": ruleset.name, "currency": ruleset.currency,
        "source": ruleset.source,
        "kinds": {k.id: _clean({"name": k.name, "statutory": [_period_out(p) for p in k.statutory],
                                "source": k.source}) for k in ruleset.kinds.values()},
        "organisations": {o.id: _clean({
            "name": o.name, "kind": o.kind, "active": [_period_out(p) for p in o.active],
            "successors": list(o.successors), "source": o.source,
            "liabilities_to": None if o.liabilities_to is None else {
                "organisation": o.liabilities_to, "source": o.liabilities_source}})
            for o in ruleset.organisations.values()},
        "csps": {c.id: _clean({"name": c.name, "active": [_period_out(p) for p in c.active],
                               "successors": list(c.successors), "source": c.source})
                 for c in ruleset.csps.values()},
        "districts": {d.id: _clean({
            "name": d.name, "council": d.council, "csp": d.csp,
            "health": [_clean({**_period_out(h.period), "bodies": list(h.bodies),
                               "source": h.source}) for h in d.health],
            "source": d.source, "gss": d.gss}) for d in ruleset.districts.values()},
        "arrangements": {a.id: _clean({
            "name": a.name, "in_force": _period_out(a.in_force), "districts": list(a.districts),
            "roles": [_clean({"id": r.id, "name": r.name,
                              "organisations": list(r.organisations), "area": r.area,
                              "weight": None if r.weight == 1 else _weight_out(r.weight),
                              "fill": None if r.fill == "each" else r.fill}) for r in a.roles],
            "shared_items": list(a.shared_items),
            "governing_date": None if a.governing_date == "billing" else a.governing_date,
            "contributions": [_clean({"organisation": c.organisation, "item": c.item,
                                      "percent": str(c.percent), "cap": _money_out(c.cap),
                                      "source": c.source}) for c in a.contributions],
            "source": a.source}) for a in ruleset.arrangements.values()},
        "weights": {w.id: _clean({"name": w.name,
                                  "values": {k: _weight_out(v) for k, v in w.values.items()},
                                  "source": w.source}) for w in ruleset.weight_sets.values()},
        "funds": {f.id: fund_to_dict(f) for f in ruleset.funds.values()},
    })


def dumps(ruleset: Ruleset) -> str:
    """Return ``ruleset`` as TOML text that :func:`~rules.files.loads` reads back equal."""
    return tomli_w.dumps(to_dict(ruleset))

