"""Reading ruleset files (TOML or JSON): every entry validated, every problem reported.

Loading collects every problem, each with the path of the entry it concerns
(``organisations.some-trust.active.0.to``), and raises :class:`RulesetInvalid` listing them
all. :func:`rules.writing.to_dict` is the inverse of :func:`from_dict`: a ruleset round-trips
through its file.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path

import allocations
from rules.arrangements import AREAS, FILLS, GOVERNING_DATES, Arrangement, Contribution, Role
from rules.exceptions import RulesetInvalid
from rules.funds import LINE_KINDS, BidRule, DampingRule, Fund, FundLine, StageRule
from rules.geography import Csp, District, HealthCoverage
from rules.organisations import Kind, Organisation
from rules.parsing import (
    BadValue,
    Problems,
    Reader,
    iso_date,
    list_of,
    money,
    one_of,
    parse_weight,
    percent,
    period,
    periods,
    slug,
    table_of,
    text,
    weights_map,
)
from rules.periods import Period, parse_financial_year
from rules.references import check_references
from rules.ruleset import Ruleset, WeightSet

__all__ = ["DEFAULT_RULESET", "default_ruleset", "from_dict", "fund_from_dict", "load", "loads"]

#: The embedded default ruleset, a file of the ``rules`` package.
DEFAULT_RULESET = "default.toml"


def from_dict(data: object) -> Ruleset:
    """Build a validated ruleset from its file structure (parsed TOML or JSON).

    Raises:
        RulesetInvalid: listing every problem with the path of its entry.
    """
    problems = Problems()
    top = Reader(data, "", problems, {"id", "name", "currency", "source", "kinds",
                                       "organisations", "csps", "districts", "arrangements",
                                       "weights", "funds"})
    raw = top.data
    ruleset = Ruleset(
        id=top.get("id", slug, "ruleset") or "ruleset",
        name=top.get("name", text, "") or "",
        currency=top.get("currency", one_of(("GBP",)), "GBP", required=False) or "GBP",
        source=top.get("source", text, "", required=False) or "",
        kinds={k: _kind(k, v, problems) for k, v in table_of(raw, "kinds", problems).items()},
        organisations={k: _organisation(k, v, problems)
                       for k, v in table_of(raw, "organisations", problems).items()},
        csps={k: _csp(k, v, problems) for k, v in table_of(raw, "csps", problems).items()},
        districts={k: _district(k, v, problems)
                   for k, v in table_of(raw, "districts", problems).items()},
        arrangements={k: _arrangement(k, v, problems)
                      for k, v in table_of(raw, "arrangements", problems).items()},
        weight_sets={k: _weight_set(k, v, problems)
                     for k, v in table_of(raw, "weights", problems).items()},
        funds={k: _fund(k, v, f"funds.{k}", problems)
               for k, v in table_of(raw, "funds", problems).items()},
    )
    if not problems.items:
        check_references(ruleset, problems)
    if problems.items:
        raise RulesetInvalid(problems.items)
    return ruleset


def _kind(kind_id: str, value: object, problems: Problems) -> Kind:
    path = f"kinds.{kind_id}"
    reader = Reader(value, path, problems, {"name", "statutory", "source"})
    return Kind(kind_id, reader.get("name", text, "") or "",
                periods(reader.data.get("statutory", []), f"{path}.statutory", problems),
                reader.get("source", text, "") or "")


def _organisation(org_id: str, value: object, problems: Problems) -> Organisation:
    path = f"organisations.{org_id}"
    reader = Reader(value, path, problems, {"name", "kind", "active", "successors", "source",
                                            "liabilities_to"})
    liabilities_to, liabilities_source = None, ""
    if "liabilities_to" in reader.data:
        where = f"{path}.liabilities_to"
        liabilities = Reader(reader.data["liabilities_to"], where, problems,
                             {"organisation", "source"})
        liabilities_to = liabilities.get("organisation", slug)
        liabilities_source = liabilities.get("source", text) or ""
    return Organisation(
        org_id, reader.get("name", text, "") or "", reader.get("kind", slug, "") or "",
        periods(reader.data.get("active"), f"{path}.active", problems),
        reader.get("successors", list_of(slug), required=False) or (),
        reader.get("source", text, "") or "", liabilities_to, liabilities_source)


def _csp(csp_id: str, value: object, problems: Problems) -> Csp:
    path = f"csps.{csp_id}"
    reader = Reader(value, path, problems, {"name", "active", "successors", "source"})
    return Csp(csp_id, reader.get("name", text, "") or "",
               periods(reader.data.get("active"), f"{path}.active", problems),
               reader.get("successors", list_of(slug), required=False) or (),
               reader.get("source", text, "") or "")


def _district(district_id: str, value: object, problems: Problems) -> District:
    path = f"districts.{district_id}"
    reader = Reader(value, path, problems, {"name", "council", "csp", "health", "source", "gss"})
    health = reader.data.get("health", [])
    coverage: list[HealthCoverage] = []
    if not isinstance(health, list):
        problems.add(f"{path}.health", "must be a list of coverage periods")
        health = []
    for index, entry in enumerate(health):
        where = f"{path}.health.{index}"
        cover = Reader(entry, where, problems, {"from", "to", "bodies", "source"})
        start = cover.get("from", iso_date)
        end = cover.get("to", iso_date, required=False)
        bodies = cover.get("bodies", list_of(slug)) or ()
        if start is not None:
            try:
                coverage.append(HealthCoverage(Period(start, end), bodies,
                                               cover.get("source", text, "", required=False)
                                               or ""))
            except ValueError as error:
                problems.add(where, str(error))
    return District(district_id, reader.get("name", text, "") or "",
                    reader.get("council", slug, "") or "", reader.get("csp", slug, "") or "",
                    tuple(coverage), reader.get("source", text, "") or "",
                    reader.get("gss", _gss_code, "", required=False) or "")


def _gss_code(value: object, path: str) -> str:
    """A GSS code: a letter and eight digits (``E07000032``)."""
    code = text(value, path)
    if len(code) != 9 or not code[0].isalpha() or not code[0].isupper() \
            or not code[1:].isdigit() or not code.isascii():
        raise BadValue(f"{code!r} is not a GSS code (a capital letter and eight digits)")
    return code


def _role(value: object, path: str, problems: Problems) -> Role:
    reader = Reader(value, path, problems,
                     {"id", "name", "organisations", "area", "weight", "fill"})
    area = reader.get("area", one_of(AREAS), required=False)
    organisations = reader.get("organisations", list_of(slug), required=False) or ()
    if area is None and not organisations and reader.ok:
        problems.add(path, "a role needs organisations or an area (health or council)")
    if area is not None and organisations:
        problems.add(path, "a role has either organisations or an area, not both")
    weight = reader.get("weight", parse_weight, required=False)
    return Role(reader.get("id", slug, "") or "", reader.get("name", text, "") or "",
                organisations, area, Fraction(1) if weight is None else weight,
                reader.get("fill", one_of(FILLS), "each", required=False) or "each")


def _contribution(value: object, path: str, problems: Problems) -> Contribution:
    reader = Reader(value, path, problems, {"organisation", "item", "percent", "cap", "source"})
    return Contribution(reader.get("organisation", slug, "") or "",
                        reader.get("item", slug, "") or "",
                        reader.get("percent", percent, Decimal(0)) or Decimal(0),
                        reader.get("cap", money, required=False),
                        reader.get("source", text, "", required=False) or "")


def _arrangement(arrangement_id: str, value: object, problems: Problems) -> Arrangement:
    path = f"arrangements.{arrangement_id}"
    reader = Reader(value, path, problems,
                     {"name", "in_force", "districts", "roles", "shared_items", "governing_date",
                      "contributions", "source"})
    in_force = period(reader.data.get("in_force"), f"{path}.in_force", problems)
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
        arrangement_id, reader.get("name", text, "") or "",
        in_force or Period(date.min),
        reader.get("districts", list_of(slug)) or (),
        tuple(roles),
        reader.get("shared_items", list_of(slug)) or (),
        reader.get("governing_date", one_of(GOVERNING_DATES), "billing", required=False)
        or "billing",
        tuple(_contribution(c, f"{path}.contributions.{i}", problems)
              for i, c in enumerate(contributions_raw)),
        reader.get("source", text, "") or "")




def _weight_set(set_id: str, value: object, problems: Problems) -> WeightSet:
    path = f"weights.{set_id}"
    reader = Reader(value, path, problems, {"name", "values", "source"})
    return WeightSet(set_id, reader.get("name", text, "") or "",
                     reader.get("values", weights_map, {}) or {},
                     reader.get("source", text, "") or "")


#: The fields of a fund line beyond ``id``, ``name`` and ``kind``.
LINE_FIELDS = ("amount", "recipient", "recipients", "weights", "floor", "cap", "damping", "fund",
               "lines", "bids")
#: Per line kind: the fields it needs (not null), and every field it may have (the others are
#: absent or null). The OpenAPI document's inline fund states the same.
LINE_NEEDS = {"fixed": {"amount", "recipient"}, "per-recipient": {"amount"},
               "proportional": {"amount", "weights"}, "passport": {"fund", "lines"},
               "bids": {"amount"}, "residual": set()}
LINE_ALLOWS = {"fixed": {"amount", "recipient"}, "per-recipient": {"amount", "recipients"},
                "proportional": {"amount", "recipients", "weights", "floor", "cap", "damping"},
                "passport": {"fund", "lines"}, "bids": {"amount", "bids"},
                "residual": {"recipient"}}


def _line(value: object, path: str, problems: Problems) -> FundLine:
    reader = Reader(value, path, problems, {"id", "name", "kind", *LINE_FIELDS})
    kind = reader.get("kind", one_of(LINE_KINDS), "fixed") or "fixed"
    weights_raw = reader.data.get("weights")
    weights: dict[str, Fraction] | str | None = None
    if isinstance(weights_raw, str):
        weights = reader.get("weights", slug)
    elif weights_raw is not None:
        weights = reader.get("weights", weights_map)
    allowed = LINE_ALLOWS[kind] | {"id", "name", "kind"}
    if reader.ok:
        for key in sorted(LINE_NEEDS[kind]):
            if reader.data.get(key) is None:
                problems.add(f"{path}.{key}", f"is required for a {kind} line")
        for key in LINE_FIELDS:
            if reader.data.get(key) is not None and key not in allowed:
                problems.add(f"{path}.{key}", f"is not used by a {kind} line")
    damping = None
    if reader.data.get("damping") is not None:
        damping = _damping(reader.data["damping"], f"{path}.damping", problems)
    bids = None
    if reader.data.get("bids") is not None:
        bids = _bids(reader.data["bids"], f"{path}.bids", problems)
    passported = reader.get("lines", list_of(slug), required=False)
    if passported is not None and len(set(passported)) != len(passported):
        problems.add(f"{path}.lines", "lists a line twice")
    if passported == ():
        problems.add(f"{path}.lines", "names no line to passport")
    return FundLine(
        id=reader.get("id", slug, "") or "", kind=kind,
        name=reader.get("name", text, "", required=False) or "",
        amount=reader.get("amount", money, required=False),
        recipient=reader.get("recipient", slug, required=False),
        recipients=reader.get("recipients", list_of(slug), required=False),
        weights=weights,
        floor=reader.get("floor", money, required=False),
        cap=reader.get("cap", money, required=False),
        damping=damping, fund=reader.get("fund", slug, required=False), lines=passported,
        bids=bids)


def _damping(value: object, path: str, problems: Problems) -> DampingRule:
    reader = Reader(value, path, problems, {"max_decrease", "max_increase"})
    if reader.ok and reader.data.get("max_decrease") is None and \
            reader.data.get("max_increase") is None:
        problems.add(path, "give max_decrease, max_increase or both (percent)")
    return DampingRule(reader.get("max_decrease", percent, required=False),
                       reader.get("max_increase", _percent_any, required=False))


def _percent_any(value: object, path: str) -> Decimal:
    """A percentage of at least 0 (may exceed 100), written like a weight."""
    share = parse_weight(value, path)
    return Decimal(share.numerator) / Decimal(share.denominator)


def _bids(value: object, path: str, problems: Problems) -> tuple[BidRule, ...]:
    if not isinstance(value, list):
        problems.add(path, "must be a list of bids")
        return ()
    bids: list[BidRule] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        at = f"{path}.{index}"
        reader = Reader(item, at, problems, {"id", "name", "recipient", "amount", "approved"})
        bid_id = reader.get("id", slug, "") or ""
        if bid_id in seen:
            problems.add(f"{at}.id", f"bid id {bid_id!r} is used twice")
        seen.add(bid_id)
        bids.append(BidRule(bid_id, reader.get("recipient", slug, "") or "",
                            reader.get("amount", money, allocations.zero()) or allocations.zero(),
                            bool(reader.get("approved", _boolean, False, required=False)),
                            reader.get("name", text, "", required=False) or ""))
    return tuple(bids)


def _boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise BadValue(f"must be true or false, not {value!r}")
    return value


def _stages(value: object, path: str, problems: Problems) -> tuple[StageRule, ...]:
    if not isinstance(value, list) or not value:
        problems.add(path, "must be a non-empty list of stages")
        return ()
    stages: list[StageRule] = []
    for index, item in enumerate(value):
        at = f"{path}.{index}"
        reader = Reader(item, at, problems, {"id", "percent", "due", "condition"})
        stages.append(StageRule(reader.get("id", slug, "") or "",
                                reader.get("percent", percent, Decimal(0)) or Decimal(0),
                                reader.get("due", iso_date, date.min) or date.min,
                                reader.get("condition", text, required=False)))
    try:
        allocations.check_stages([allocations.Stage(s.id, s.percent) for s in stages])
    except allocations.InvalidStages as error:
        problems.add(path, str(error))
    return tuple(stages)


def _fund(fund_id: str, value: object, path: str, problems: Problems) -> Fund:
    reader = Reader(value, path, problems, {"id", "name", "year", "total", "recipients", "lines",
                                             "source", "currency", "follows", "stages",
                                             "funder"})
    reader.get("currency", one_of(("GBP",)), required=False)
    year = reader.get("year", text, "") or ""
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
    recipients = reader.get("recipients", list_of(slug)) or ()
    if len(set(recipients)) != len(recipients):
        problems.add(f"{path}.recipients", "lists a recipient twice")
    stages: tuple[StageRule, ...] = ()
    if reader.data.get("stages") is not None:
        stages = _stages(reader.data["stages"], f"{path}.stages", problems)
    return Fund(fund_id, reader.get("name", text, "") or "", year or "2000-01",
                reader.get("total", money, allocations.zero()) or allocations.zero(),
                recipients, tuple(lines), reader.get("source", text, "", required=False) or "",
                reader.get("follows", slug, required=False), stages,
                reader.get("funder", slug, required=False))


def fund_from_dict(data: object, path: str = "fund") -> Fund:
    """Build a fund from an inline definition (``{"id", "name", "year", "total", ...}``).

    Raises:
        RulesetInvalid: listing every problem with its path under ``path``.
    """
    problems = Problems()
    fund_id = data.get("id") if isinstance(data, dict) else None
    if isinstance(data, dict) and fund_id is None:
        problems.add(f"{path}.id", "is required")
    elif isinstance(data, dict):
        try:
            slug(fund_id, f"{path}.id")
        except BadValue as bad:
            problems.add(f"{path}.id", str(bad))
    fund = _fund(fund_id if isinstance(fund_id, str) else "inline", data, path, problems)
    if problems.items:
        raise RulesetInvalid(problems.items)
    return fund




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
        content = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RulesetInvalid([(str(file), f"cannot be read: {error}")]) from error
    return loads(content, "json" if file.suffix.lower() == ".json" else "toml")


_DEFAULT: list[Ruleset] = []


def default_ruleset() -> Ruleset:
    """Return the embedded default ruleset (loaded once)."""
    if not _DEFAULT:
        content = resources.files("rules").joinpath(DEFAULT_RULESET).read_text(encoding="utf-8")
        _DEFAULT.append(loads(content))
    return _DEFAULT[0]

