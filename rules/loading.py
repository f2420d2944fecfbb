"""Reading and writing rulesets (TOML or JSON), validating every entry.

Loading collects every problem, each with the path of the entry it concerns
(``organisations.some-trust.active.0.to``), and raises :class:`RulesetInvalid` listing them
all. :func:`to_dict` is the inverse of :func:`from_dict`: a ruleset round-trips through its file.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import tomli_w
from moneyed import Money

import allocations
from rules.arrangements import AREAS, FILLS, GOVERNING_DATES, Arrangement, Contribution, Role
from rules.exceptions import RulesError, RulesetInvalid
from rules.funds import LINE_KINDS, Fund, FundLine, allocate_fund
from rules.geography import Csp, District, HealthCoverage
from rules.organisations import Kind, Organisation
from rules.periods import Period, parse_financial_year
from rules.ruleset import Ruleset, WeightSet

__all__ = [
    "DEFAULT_RULESET",
    "OPERATION_KEYS",
    "change_from_dict",
    "default_ruleset",
    "dumps",
    "from_dict",
    "fund_from_dict",
    "fund_to_dict",
    "load",
    "loads",
    "parse_weight",
    "to_dict",
]

#: The embedded default ruleset, a file of the ``rules`` package.
DEFAULT_RULESET = "default.toml"

T = TypeVar("T")


class _Problems:
    """Collects ``(path, message)`` problems while reading."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))


class _Reader:
    """Typed access to one table of the file, recording problems instead of raising."""

    def __init__(self, data: object, path: str, problems: _Problems, allowed: set[str]):
        self.path = path
        self.problems = problems
        self.ok = isinstance(data, dict)
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        if not self.ok:
            problems.add(path or "(top)", f"must be a table, not {type(data).__name__}")
        for key in self.data:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                problems.add(self._at(key), f"unknown field (allowed: {known})")

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, convert: Callable[[object, str], T], default: T | None = None,
            required: bool = True) -> T | None:
        value = self.data.get(key)
        if value is None:
            if required and self.ok:
                self.problems.add(self._at(key), "is required")
            return default
        try:
            return convert(value, self._at(key))
        except _Bad as bad:
            self.problems.add(self._at(key), str(bad))
            return default


class _Bad(ValueError):
    pass


def _text(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise _Bad(f"must be a string, not {type(value).__name__}")
    return value


def _slug(value: object, path: str) -> str:
    text = _text(value, path)
    if not text or not all(c.isalnum() or c in "-_." for c in text) or len(text) > 100:
        raise _Bad(f"{text!r} is not an id (letters, digits, '-', '_', '.'; at most 100)")
    return text


def _date(value: object, path: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _Bad(f"{value!r} is not a date (YYYY-MM-DD)")


def _money(value: object, path: str) -> Money:
    try:
        return allocations.parse_money(value, field=path)
    except allocations.AllocationError as error:
        raise _Bad(str(error).removeprefix(f"{path}: ")) from error


def parse_weight(value: object, path: str = "weight") -> Fraction:
    """Parse a weight: an integer or a decimal string, never a float; >= 0.

    Raises:
        ValueError: naming the problem.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal, Fraction)):
        raise _Bad(f"{value!r} is not a weight: give an integer or a decimal string such as "
                   "\"0.5\" (never a float)")
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise _Bad(f"{value!r} is not a decimal number") from None
        if not number.is_finite() or "e" in value.lower() or len(value) > 40:
            raise _Bad(f"{value!r} is not a plain finite decimal number")
        result = Fraction(number)
    else:
        result = Fraction(value)
    if result < 0:
        raise _Bad(f"{value} is negative")
    return result


def _percent(value: object, path: str) -> Decimal:
    share = parse_weight(value, path)
    if share > 100:
        raise _Bad(f"{value} is more than 100 percent")
    return Decimal(share.numerator) / Decimal(share.denominator)


def _list(item: Callable[[object, str], T]) -> Callable[[object, str], tuple[T, ...]]:
    def convert(value: object, path: str) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise _Bad(f"must be a list, not {type(value).__name__}")
        found = []
        problems = []
        for index, element in enumerate(value):
            try:
                found.append(item(element, f"{path}.{index}"))
            except _Bad as bad:
                problems.append(f"item {index}: {bad}")
        if problems:
            raise _Bad("; ".join(problems))
        return tuple(found)
    return convert


def _choice(options: tuple[str, ...]) -> Callable[[object, str], str]:
    def convert(value: object, path: str) -> str:
        text = _text(value, path)
        if text not in options:
            raise _Bad(f"{text!r} is not one of {', '.join(options)}")
        return text
    return convert


def _periods(value: object, path: str, problems: _Problems) -> tuple[Period, ...]:
    if not isinstance(value, list):
        problems.add(path, "must be a list of {from, to} periods")
        return ()
    return tuple(p for i, v in enumerate(value)
                 if (p := _period(v, f"{path}.{i}", problems)) is not None)


def _period(value: object, path: str, problems: _Problems) -> Period | None:
    reader = _Reader(value, path, problems, {"from", "to"})
    start = reader.get("from", _date)
    end = reader.get("to", _date, required=False)
    if start is None:
        return None
    try:
        return Period(start, end)
    except ValueError as error:
        problems.add(path, str(error))
        return None


def _table_of(data: Mapping[str, Any], key: str, problems: _Problems) -> dict[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        problems.add(key, "must be a table keyed by id")
        return {}
    for entry_id in table:
        try:
            _slug(entry_id, key)
        except _Bad as bad:
            problems.add(f"{key}.{entry_id}", str(bad))
    return table


def from_dict(data: object) -> Ruleset:
    """Build a validated ruleset from its file structure (parsed TOML or JSON).

    Raises:
        RulesetInvalid: listing every problem with the path of its entry.
    """
    problems = _Problems()
    top = _Reader(data, "", problems, {"id", "name", "currency", "source", "kinds",
                                       "organisations", "csps", "districts", "arrangements",
                                       "weights", "funds"})
    raw = top.data
    ruleset = Ruleset(
        id=top.get("id", _slug, "ruleset") or "ruleset",
        name=top.get("name", _text, "") or "",
        currency=top.get("currency", _choice(("GBP",)), "GBP", required=False) or "GBP",
        source=top.get("source", _text, "", required=False) or "",
        kinds={k: _kind(k, v, problems) for k, v in _table_of(raw, "kinds", problems).items()},
        organisations={k: _organisation(k, v, problems)
                       for k, v in _table_of(raw, "organisations", problems).items()},
        csps={k: _csp(k, v, problems) for k, v in _table_of(raw, "csps", problems).items()},
        districts={k: _district(k, v, problems)
                   for k, v in _table_of(raw, "districts", problems).items()},
        arrangements={k: _arrangement(k, v, problems)
                      for k, v in _table_of(raw, "arrangements", problems).items()},
        weight_sets={k: _weight_set(k, v, problems)
                     for k, v in _table_of(raw, "weights", problems).items()},
        funds={k: _fund(k, v, f"funds.{k}", problems)
               for k, v in _table_of(raw, "funds", problems).items()},
    )
    if not problems.items:
        _cross_check(ruleset, problems)
    if problems.items:
        raise RulesetInvalid(problems.items)
    return ruleset


def _kind(kind_id: str, value: object, problems: _Problems) -> Kind:
    path = f"kinds.{kind_id}"
    reader = _Reader(value, path, problems, {"name", "statutory", "source"})
    return Kind(kind_id, reader.get("name", _text, "") or "",
                _periods(reader.data.get("statutory", []), f"{path}.statutory", problems),
                reader.get("source", _text, "") or "")


def _organisation(org_id: str, value: object, problems: _Problems) -> Organisation:
    path = f"organisations.{org_id}"
    reader = _Reader(value, path, problems, {"name", "kind", "active", "successors", "source"})
    return Organisation(
        org_id, reader.get("name", _text, "") or "", reader.get("kind", _slug, "") or "",
        _periods(reader.data.get("active"), f"{path}.active", problems),
        reader.get("successors", _list(_slug), required=False) or (),
        reader.get("source", _text, "") or "")


def _csp(csp_id: str, value: object, problems: _Problems) -> Csp:
    path = f"csps.{csp_id}"
    reader = _Reader(value, path, problems, {"name", "active", "successors", "source"})
    return Csp(csp_id, reader.get("name", _text, "") or "",
               _periods(reader.data.get("active"), f"{path}.active", problems),
               reader.get("successors", _list(_slug), required=False) or (),
               reader.get("source", _text, "") or "")


def _district(district_id: str, value: object, problems: _Problems) -> District:
    path = f"districts.{district_id}"
    reader = _Reader(value, path, problems, {"name", "council", "csp", "health", "source"})
    health = reader.data.get("health", [])
    coverage: list[HealthCoverage] = []
    if not isinstance(health, list):
        problems.add(f"{path}.health", "must be a list of coverage periods")
        health = []
    for index, entry in enumerate(health):
        where = f"{path}.health.{index}"
        cover = _Reader(entry, where, problems, {"from", "to", "bodies", "source"})
        start = cover.get("from", _date)
        end = cover.get("to", _date, required=False)
        bodies = cover.get("bodies", _list(_slug)) or ()
        if start is not None:
            try:
                coverage.append(HealthCoverage(Period(start, end), bodies,
                                               cover.get("source", _text, "", required=False)
                                               or ""))
            except ValueError as error:
                problems.add(where, str(error))
    return District(district_id, reader.get("name", _text, "") or "",
                    reader.get("council", _slug, "") or "", reader.get("csp", _slug, "") or "",
                    tuple(coverage), reader.get("source", _text, "") or "")


def _role(value: object, path: str, problems: _Problems) -> Role:
    reader = _Reader(value, path, problems,
                     {"id", "name", "organisations", "area", "weight", "fill"})
    area = reader.get("area", _choice(AREAS), required=False)
    organisations = reader.get("organisations", _list(_slug), required=False) or ()
    if area is None and not organisations and reader.ok:
        problems.add(path, "a role needs organisations or an area (health or council)")
    if area is not None and organisations:
        problems.add(path, "a role has either organisations or an area, not both")
    weight = reader.get("weight", parse_weight, required=False)
    return Role(reader.get("id", _slug, "") or "", reader.get("name", _text, "") or "",
                organisations, area, Fraction(1) if weight is None else weight,
                reader.get("fill", _choice(FILLS), "each", required=False) or "each")


def _contribution(value: object, path: str, problems: _Problems) -> Contribution:
    reader = _Reader(value, path, problems, {"organisation", "item", "percent", "cap", "source"})
    return Contribution(reader.get("organisation", _slug, "") or "",
                        reader.get("item", _slug, "") or "",
                        reader.get("percent", _percent, Decimal(0)) or Decimal(0),
                        reader.get("cap", _money, required=False),
                        reader.get("source", _text, "", required=False) or "")


def _arrangement(arrangement_id: str, value: object, problems: _Problems) -> Arrangement:
    path = f"arrangements.{arrangement_id}"
    reader = _Reader(value, path, problems,
                     {"name", "in_force", "districts", "roles", "shared_items", "governing_date",
                      "contributions", "source"})
    in_force = _period(reader.data.get("in_force"), f"{path}.in_force", problems)
    roles_raw = reader.data.get("roles")
    roles: list[Role] = []
    if not isinstance(roles_raw, list) or not roles_raw:
        problems.add(f"{path}.roles", "must be a non-empty list of roles")
    else:
        roles = [_role(r, f"{path}.roles.{i}", problems) for i, r in enumerate(roles_raw)]
    contributions_raw = reader.data.get("contributions", [])
    if not isinstance(contributions_raw, list):
        problems.add(f"{path}.contributions", "must be a list")
        contributions_raw = []
    return Arrangement(
        arrangement_id, reader.get("name", _text, "") or "",
        in_force or Period(date.min),
        reader.get("districts", _list(_slug)) or (),
        tuple(roles),
        reader.get("shared_items", _list(_slug)) or (),
        reader.get("governing_date", _choice(GOVERNING_DATES), "billing", required=False)
        or "billing",
        tuple(_contribution(c, f"{path}.contributions.{i}", problems)
              for i, c in enumerate(contributions_raw)),
        reader.get("source", _text, "") or "")


def _weights_map(value: object, path: str) -> dict[str, Fraction]:
    if not isinstance(value, dict):
        raise _Bad("must be a table of id = weight")
    result = {}
    for key, weight in value.items():
        _slug(key, path)
        result[key] = parse_weight(weight, f"{path}.{key}")
    return result


def _weight_set(set_id: str, value: object, problems: _Problems) -> WeightSet:
    path = f"weights.{set_id}"
    reader = _Reader(value, path, problems, {"name", "values", "source"})
    return WeightSet(set_id, reader.get("name", _text, "") or "",
                     reader.get("values", _weights_map, {}) or {},
                     reader.get("source", _text, "") or "")


def _line(value: object, path: str, problems: _Problems) -> FundLine:
    reader = _Reader(value, path, problems, {"id", "name", "kind", "amount", "recipient",
                                             "recipients", "weights", "floor", "cap"})
    kind = reader.get("kind", _choice(LINE_KINDS), "fixed") or "fixed"
    weights_raw = reader.data.get("weights")
    weights: dict[str, Fraction] | str | None = None
    if isinstance(weights_raw, str):
        weights = reader.get("weights", _slug)
    elif weights_raw is not None:
        weights = reader.get("weights", _weights_map)
    needs = {"fixed": {"amount", "recipient"}, "per-recipient": {"amount"},
             "proportional": {"amount", "weights"}, "residual": set()}[kind]
    allowed = {"fixed": {"amount", "recipient"}, "per-recipient": {"amount", "recipients"},
               "proportional": {"amount", "recipients", "weights", "floor", "cap"},
               "residual": {"recipient"}}[kind] | {"id", "name", "kind"}
    if reader.ok:
        for key in sorted(needs):
            if reader.data.get(key) is None:
                problems.add(f"{path}.{key}", f"is required for a {kind} line")
        for key in ("amount", "recipient", "recipients", "weights", "floor", "cap"):
            if reader.data.get(key) is not None and key not in allowed:
                problems.add(f"{path}.{key}", f"is not used by a {kind} line")
    return FundLine(
        id=reader.get("id", _slug, "") or "", kind=kind,
        name=reader.get("name", _text, "", required=False) or "",
        amount=reader.get("amount", _money, required=False),
        recipient=reader.get("recipient", _slug, required=False),
        recipients=reader.get("recipients", _list(_slug), required=False),
        weights=weights,
        floor=reader.get("floor", _money, required=False),
        cap=reader.get("cap", _money, required=False))


def _fund(fund_id: str, value: object, path: str, problems: _Problems) -> Fund:
    reader = _Reader(value, path, problems, {"id", "name", "year", "total", "recipients", "lines",
                                             "source", "currency"})
    reader.get("currency", _choice(("GBP",)), required=False)
    year = reader.get("year", _text, "") or ""
    if year:
        try:
            parse_financial_year(year)
        except ValueError as error:
            problems.add(f"{path}.year", str(error))
            year = ""
    lines_raw = reader.data.get("lines")
    lines: list[FundLine] = []
    if not isinstance(lines_raw, list) or not lines_raw:
        if reader.ok:
            problems.add(f"{path}.lines", "must be a non-empty list of lines")
    else:
        lines = [_line(line, f"{path}.lines.{i}", problems) for i, line in enumerate(lines_raw)]
        seen: set[str] = set()
        for index, line in enumerate(lines):
            if line.id in seen:
                problems.add(f"{path}.lines.{index}.id", f"line id {line.id!r} is used twice")
            seen.add(line.id)
    recipients = reader.get("recipients", _list(_slug)) or ()
    if len(set(recipients)) != len(recipients):
        problems.add(f"{path}.recipients", "lists a recipient twice")
    return Fund(fund_id, reader.get("name", _text, "") or "", year or "2000-01",
                reader.get("total", _money, allocations.zero()) or allocations.zero(),
                recipients, tuple(lines), reader.get("source", _text, "", required=False) or "")


def fund_from_dict(data: object, path: str = "fund") -> Fund:
    """Build a fund from an inline definition (``{"id", "name", "year", "total", ...}``).

    Raises:
        RulesetInvalid: listing every problem with its path under ``path``.
    """
    problems = _Problems()
    fund_id = data.get("id") if isinstance(data, dict) else None
    if isinstance(data, dict) and fund_id is None:
        problems.add(f"{path}.id", "is required")
    elif isinstance(data, dict):
        try:
            _slug(fund_id, f"{path}.id")
        except _Bad as bad:
            problems.add(f"{path}.id", str(bad))
    fund = _fund(fund_id if isinstance(fund_id, str) else "inline", data, path, problems)
    if problems.items:
        raise RulesetInvalid(problems.items)
    return fund


def _cross_check(ruleset: Ruleset, problems: _Problems) -> None:
    """Check every reference between entries and evaluate every fund."""
    orgs, csps = ruleset.organisations, ruleset.csps
    for org in orgs.values():
        if org.kind not in ruleset.kinds:
            problems.add(f"organisations.{org.id}.kind", f"unknown kind {org.kind!r}")
        if not org.active:
            problems.add(f"organisations.{org.id}.active", "needs at least one period")
        for successor in org.successors:
            if successor not in orgs:
                problems.add(f"organisations.{org.id}.successors",
                             f"unknown organisation {successor!r}")
    for csp in csps.values():
        if not csp.active:
            problems.add(f"csps.{csp.id}.active", "needs at least one period")
        for successor in csp.successors:
            if successor not in csps:
                problems.add(f"csps.{csp.id}.successors", f"unknown CSP {successor!r}")
    _check_cycles(ruleset, problems)
    for district in ruleset.districts.values():
        path = f"districts.{district.id}"
        if district.council not in orgs:
            problems.add(f"{path}.council", f"unknown organisation {district.council!r}")
        if district.csp not in csps:
            problems.add(f"{path}.csp", f"unknown CSP {district.csp!r}")
        for index, coverage in enumerate(district.health):
            for body in coverage.bodies:
                if body not in orgs:
                    problems.add(f"{path}.health.{index}.bodies", f"unknown organisation {body!r}")
    for arrangement in ruleset.arrangements.values():
        path = f"arrangements.{arrangement.id}"
        for district_id in arrangement.districts:
            if district_id not in ruleset.districts:
                problems.add(f"{path}.districts", f"unknown district {district_id!r}")
        role_ids = [role.id for role in arrangement.roles]
        for index, role in enumerate(arrangement.roles):
            if role_ids.count(role.id) > 1:
                problems.add(f"{path}.roles.{index}.id", f"role {role.id!r} appears twice")
            for org_id in role.organisations:
                if org_id not in orgs:
                    problems.add(f"{path}.roles.{index}.organisations",
                                 f"unknown organisation {org_id!r}")
        for index, contribution in enumerate(arrangement.contributions):
            if contribution.organisation not in orgs:
                problems.add(f"{path}.contributions.{index}.organisation",
                             f"unknown organisation {contribution.organisation!r}")
            if contribution.item not in arrangement.shared_items:
                problems.add(f"{path}.contributions.{index}.item",
                             f"{contribution.item!r} is not a shared item")
    for weight_set in ruleset.weight_sets.values():
        for key in weight_set.values:
            if key not in csps and key not in orgs and key not in ruleset.districts:
                problems.add(f"weights.{weight_set.id}.values.{key}", "unknown id")
    for fund in ruleset.funds.values():
        try:
            allocate_fund(ruleset, fund, field=f"funds.{fund.id}")
        except RulesError as error:
            problems.add(error.field or f"funds.{fund.id}", error.message)


def _check_cycles(ruleset: Ruleset, problems: _Problems) -> None:
    tables: list[tuple[str, Mapping[str, Organisation | Csp]]] = [
        ("organisations", ruleset.organisations), ("csps", ruleset.csps)]
    for name, table in tables:
        for start in table:
            stack, seen = list(table[start].successors), set()
            while stack:
                current = stack.pop()
                if current == start:
                    problems.add(f"{name}.{start}.successors", "successors lead back to itself")
                    break
                if current in seen or current not in table:
                    continue
                seen.add(current)
                stack.extend(table[current].successors)


def loads(text: str, fmt: str = "toml") -> Ruleset:
    """Parse and validate a ruleset from TOML (``fmt="toml"``) or JSON text."""
    try:
        data = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as error:
        raise RulesetInvalid([("(file)", f"not valid {fmt.upper()}: {error}")]) from error
    return from_dict(data)


def load(path: str | Path) -> Ruleset:
    """Read and validate the ruleset file ``path`` (``.toml`` or ``.json``)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RulesetInvalid([(str(file), f"cannot be read: {error}")]) from error
    ruleset = loads(text, "json" if file.suffix.lower() == ".json" else "toml")
    return ruleset


_DEFAULT: list[Ruleset] = []


def default_ruleset() -> Ruleset:
    """Return the embedded default ruleset (loaded once)."""
    if not _DEFAULT:
        text = resources.files("rules").joinpath(DEFAULT_RULESET).read_text(encoding="utf-8")
        _DEFAULT.append(loads(text))
    return _DEFAULT[0]


# --- writing -----------------------------------------------------------------------------------

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
    """Return the file structure of ``fund`` (the inverse of :func:`fund_from_dict`)."""
    lines = []
    for line in fund.lines:
        weights: object = line.weights
        if isinstance(line.weights, Mapping):
            weights = {k: _weight_out(v) for k, v in line.weights.items()}
        lines.append(_clean({
            "id": line.id, "name": line.name, "kind": line.kind,
            "amount": _money_out(line.amount), "recipient": line.recipient,
            "recipients": list(line.recipients) if line.recipients is not None else None,
            "weights": weights, "floor": _money_out(line.floor), "cap": _money_out(line.cap)}))
    return _clean({"name": fund.name, "year": fund.year, "total": _money_out(fund.total),
                   "recipients": list(fund.recipients), "lines": lines, "source": fund.source})


def to_dict(ruleset: Ruleset) -> dict[str, Any]:
    """Return the file structure of ``ruleset``; ``from_dict(to_dict(r)) == r``."""
    return _clean({
        "id": ruleset.id, "name": ruleset.name, "currency": ruleset.currency,
        "source": ruleset.source,
        "kinds": {k.id: _clean({"name": k.name, "statutory": [_period_out(p) for p in k.statutory],
                                "source": k.source}) for k in ruleset.kinds.values()},
        "organisations": {o.id: _clean({
            "name": o.name, "kind": o.kind, "active": [_period_out(p) for p in o.active],
            "successors": list(o.successors), "source": o.source})
            for o in ruleset.organisations.values()},
        "csps": {c.id: _clean({"name": c.name, "active": [_period_out(p) for p in c.active],
                               "successors": list(c.successors), "source": c.source})
                 for c in ruleset.csps.values()},
        "districts": {d.id: _clean({
            "name": d.name, "council": d.council, "csp": d.csp,
            "health": [_clean({**_period_out(h.period), "bodies": list(h.bodies),
                               "source": h.source}) for h in d.health],
            "source": d.source}) for d in ruleset.districts.values()},
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
    """Return ``ruleset`` as TOML text that :func:`loads` reads back to an equal ruleset."""
    return tomli_w.dumps(to_dict(ruleset))


# --- scenario changes --------------------------------------------------------------------------

#: Keys accepted for the operation name of a change object.
OPERATION_KEYS = ("op", "operation", "type")

_CHANGE_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    # operation: (required fields, optional fields)
    "end-organisation": ({"organisation", "date"}, set()),
    "replace-organisation": ({"organisation", "date", "successors"}, set()),
    "add-organisation": ({"organisation"}, {"arrangement", "role", "date"}),
    "set-role-weight": ({"arrangement", "role", "weight"}, set()),
    "set-policy": ({"arrangement", "policy", "value"}, set()),
    "add-contribution": ({"arrangement", "organisation", "item", "percent"}, {"cap"}),
    "merge-csps": ({"csps", "into", "date"}, {"name"}),
    "set-fund-total": ({"fund", "total"}, set()),
    "set-weights": ({"fund", "line", "weights"}, set()),
}


def _new_organisation(value: object, path: str, problems: _Problems,
                      starts: date | None = None) -> Organisation | None:
    """A new organisation of a change: active over its ``active`` periods, else from ``from``,
    else from ``starts`` (the change's date), else always."""
    reader = _Reader(value, path, problems, {"id", "name", "kind", "active", "from", "successors",
                                             "source"})
    if not reader.ok:
        return None
    active: tuple[Period, ...] = ()
    if "active" in reader.data:
        active = _periods(reader.data["active"], f"{path}.active", problems)
    else:
        start = reader.get("from", _date, required=False) or starts or date(1900, 1, 1)
        active = (Period(start),)
    org_id = reader.get("id", _slug)
    return Organisation(org_id or "", reader.get("name", _text, "") or "",
                        reader.get("kind", _slug, "") or "", active,
                        reader.get("successors", _list(_slug), required=False) or (),
                        reader.get("source", _text, "scenario", required=False) or "scenario")


def change_from_dict(data: object, path: str = "change") -> Any:
    """Build a scenario change from ``{"op": "end-organisation", ...}``.

    Raises:
        RulesetInvalid: listing every problem with its path under ``path``.
    """
    from rules import scenarios  # local: scenarios imports this module's siblings only

    problems = _Problems()
    if not isinstance(data, dict):
        raise RulesetInvalid([(path, "a change must be an object with an \"op\"")])
    op_key = next((key for key in OPERATION_KEYS if key in data), None)
    op = data.get(op_key) if op_key else None
    if not isinstance(op, str) or op not in _CHANGE_FIELDS:
        message = ("is required" if op is None else f"unknown change operation {op!r}") + \
            f"; operations: {', '.join(_CHANGE_FIELDS)}"
        raise RulesetInvalid([(f"{path}.{op_key or 'op'}", message)])
    required, optional = _CHANGE_FIELDS[op]
    reader = _Reader(data, path, problems, required | optional | {op_key or "op"})
    for key in sorted(required):
        if data.get(key) is None:
            problems.add(f"{path}.{key}", "is required")
    change: Any = None
    if not problems.items:
        change = _build_change(op, reader, path, problems, scenarios)
    if problems.items:
        raise RulesetInvalid(problems.items)
    return change


def _build_change(op: str, reader: _Reader, path: str, problems: _Problems, scenarios: Any
                  ) -> Any:
    get = reader.get
    if op == "end-organisation":
        return scenarios.EndOrganisation(get("organisation", _slug), get("date", _date))
    if op == "replace-organisation":
        when = get("date", _date)
        raw = reader.data["successors"]
        successors: list[str | Organisation] = []
        if not isinstance(raw, list) or not raw:
            problems.add(f"{path}.successors", "must be a non-empty list of ids or organisations")
            return None
        for index, successor in enumerate(raw):
            where = f"{path}.successors.{index}"
            if isinstance(successor, str):
                try:
                    successors.append(_slug(successor, where))
                except _Bad as bad:
                    problems.add(where, str(bad))
            elif (new := _new_organisation(successor, where, problems, when)) is not None:
                successors.append(new)
        return scenarios.ReplaceOrganisation(get("organisation", _slug), when, tuple(successors))
    if op == "add-organisation":
        starts = get("date", _date, required=False)
        org = _new_organisation(reader.data["organisation"], f"{path}.organisation", problems,
                                starts)
        return scenarios.AddOrganisation(org, get("arrangement", _slug, required=False),
                                         get("role", _slug, required=False))
    if op == "set-role-weight":
        return scenarios.SetRoleWeight(get("arrangement", _slug), get("role", _slug),
                                       get("weight", parse_weight))
    if op == "set-policy":
        value = reader.data["value"]
        if not isinstance(value, (str, list)):
            problems.add(f"{path}.value", "must be a string or a list of strings")
        return scenarios.SetPolicy(get("arrangement", _slug), get("policy", _slug), value)
    if op == "add-contribution":
        return scenarios.AddContribution(get("arrangement", _slug), get("organisation", _slug),
                                         get("item", _slug), get("percent", _percent),
                                         get("cap", _money, required=False))
    if op == "merge-csps":
        return scenarios.MergeCsps(get("csps", _list(_slug)), get("into", _slug),
                                   get("date", _date), get("name", _text, required=False))
    if op == "set-fund-total":
        return scenarios.SetFundTotal(get("fund", _slug), get("total", _money))
    weights_raw = reader.data["weights"]
    weights = get("weights", _slug) if isinstance(weights_raw, str) else get("weights",
                                                                              _weights_map)
    return scenarios.SetWeights(get("fund", _slug), get("line", _slug), weights)
