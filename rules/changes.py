"""Reading scenario changes: ``{"op": "end-organisation", "organisation": ..., "date": ...}``.

The operation names are those of :data:`rules.scenarios.CHANGE_OPERATIONS` (the one list of
them); this module says, per change class, which fields its object has and how they are read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import attrs

from rules.exceptions import RulesetInvalid
from rules.organisations import Organisation
from rules.parsing import (
    BadValue,
    Converter,
    Problems,
    Reader,
    iso_date,
    list_of,
    money,
    parse_weight,
    percent,
    periods,
    slug,
    text,
    weights_map,
)
from rules.periods import Period
from rules.scenarios import (
    CHANGE_OPERATIONS,
    AddContribution,
    AddOrganisation,
    Change,
    EndOrganisation,
    MergeCsps,
    ReplaceOrganisation,
    SetFundTotal,
    SetLineAmount,
    SetPolicy,
    SetRoleWeight,
    SetWeights,
)

__all__ = ["OPERATION_KEYS", "change_from_dict"]

#: Keys accepted for the operation name of a change object.
OPERATION_KEYS = ("op", "operation", "type")

#: Reads the fields of a change object: the keyword arguments of its class, or ``None``.
FieldReader = Callable[[Reader, str, Problems], "dict[str, Any] | None"]


@attrs.frozen
class _Form:
    """The fields of one operation's change object and how to read them."""

    required: frozenset[str]
    optional: frozenset[str]
    read: FieldReader


def _plain(required: Mapping[str, Converter[Any]],
           optional: Mapping[str, Converter[Any]] | None = None) -> _Form:
    """A form whose fields are the change's attributes, each read by one converter."""
    optional = optional or {}

    def read(reader: Reader, path: str, problems: Problems) -> dict[str, Any]:
        return {**{key: reader.get(key, convert) for key, convert in required.items()},
                **{key: reader.get(key, convert, required=False)
                   for key, convert in optional.items()}}
    return _Form(frozenset(required), frozenset(optional), read)


def change_from_dict(data: object, path: str = "change") -> Change:
    """Build a scenario change from ``{"op": "end-organisation", ...}``.

    Raises:
        RulesetInvalid: listing every problem with its path under ``path``.
    """
    problems = Problems()
    if not isinstance(data, dict):
        raise RulesetInvalid([(path, "a change must be an object with an \"op\"")])
    op_key = next((key for key in OPERATION_KEYS if key in data), None)
    op = data.get(op_key) if op_key else None
    if not isinstance(op, str) or op not in CHANGE_OPERATIONS:
        message = ("is required" if op is None else f"unknown change operation {op!r}") + \
            f"; operations: {', '.join(CHANGE_OPERATIONS)}"
        raise RulesetInvalid([(f"{path}.{op_key or 'op'}", message)])
    kind = CHANGE_OPERATIONS[op]
    form = _FORMS[kind]
    reader = Reader(data, path, problems, set(form.required | form.optional | {op_key or "op"}))
    for key in sorted(form.required):
        if data.get(key) is None:
            problems.add(f"{path}.{key}", "is required")
    change: Change | None = None
    if not problems.items:
        arguments = form.read(reader, path, problems)
        change = None if arguments is None else kind(**arguments)
    if problems.items or change is None:
        raise RulesetInvalid(problems.items)
    return change


def _new_organisation(value: object, path: str, problems: Problems,
                      starts: date | None = None) -> Organisation | None:
    """A new organisation of a change: active over its ``active`` periods, else from ``from``,
    else from ``starts`` (the change's date), else always."""
    reader = Reader(value, path, problems, {"id", "name", "kind", "active", "from", "successors",
                                            "source"})
    if not reader.ok:
        return None
    active: tuple[Period, ...] = ()
    if "active" in reader.data:
        active = periods(reader.data["active"], f"{path}.active", problems)
    else:
        start = reader.get("from", iso_date, required=False) or starts or date(1900, 1, 1)
        active = (Period(start),)
    org_id = reader.get("id", slug)
    return Organisation(org_id or "", reader.get("name", text, "") or "",
                        reader.get("kind", slug, "") or "", active,
                        reader.get("successors", list_of(slug), required=False) or (),
                        reader.get("source", text, "scenario", required=False) or "scenario")


def _replace_organisation(reader: Reader, path: str, problems: Problems
                          ) -> dict[str, Any] | None:
    when = reader.get("date", iso_date)
    raw = reader.data["successors"]
    successors: list[str | Organisation] = []
    if not isinstance(raw, list) or not raw:
        problems.add(f"{path}.successors", "must be a non-empty list of ids or organisations")
        return None
    for index, successor in enumerate(raw):
        where = f"{path}.successors.{index}"
        if isinstance(successor, str):
            try:
                successors.append(slug(successor, where))
            except BadValue as bad:
                problems.add(where, str(bad))
        elif (new := _new_organisation(successor, where, problems, when)) is not None:
            successors.append(new)
    return {"organisation": reader.get("organisation", slug), "date": when,
            "successors": tuple(successors)}


def _add_organisation(reader: Reader, path: str, problems: Problems) -> dict[str, Any]:
    starts = reader.get("date", iso_date, required=False)
    organisation = _new_organisation(reader.data["organisation"], f"{path}.organisation",
                                     problems, starts)
    return {"organisation": organisation,
            "arrangement": reader.get("arrangement", slug, required=False),
            "role": reader.get("role", slug, required=False)}


def _set_policy(reader: Reader, path: str, problems: Problems) -> dict[str, Any]:
    value = reader.data["value"]
    if not isinstance(value, (str, list)):
        problems.add(f"{path}.value", "must be a string or a list of strings")
    return {"arrangement": reader.get("arrangement", slug), "policy": reader.get("policy", slug),
            "value": value}


def _set_weights(reader: Reader, path: str, problems: Problems) -> dict[str, Any]:
    convert: Converter[Any] = slug if isinstance(reader.data["weights"], str) else weights_map
    weights = reader.get("weights", convert)
    return {"fund": reader.get("fund", slug), "line": reader.get("line", slug), "weights": weights}


#: How each change class of :data:`~rules.scenarios.CHANGE_OPERATIONS` is read.
_FORMS: dict[type[Change], _Form] = {
    EndOrganisation: _plain({"organisation": slug, "date": iso_date}),
    ReplaceOrganisation: _Form(frozenset({"organisation", "date", "successors"}), frozenset(),
                               _replace_organisation),
    AddOrganisation: _Form(frozenset({"organisation"}), frozenset({"arrangement", "role", "date"}),
                           _add_organisation),
    SetRoleWeight: _plain({"arrangement": slug, "role": slug, "weight": parse_weight}),
    SetPolicy: _Form(frozenset({"arrangement", "policy", "value"}), frozenset(), _set_policy),
    AddContribution: _plain({"arrangement": slug, "organisation": slug, "item": slug,
                             "percent": percent}, {"cap": money}),
    MergeCsps: _plain({"csps": list_of(slug), "into": slug, "date": iso_date}, {"name": text}),
    SetFundTotal: _plain({"fund": slug, "total": money}),
    SetLineAmount: _plain({"fund": slug, "line": slug, "amount": money}),
    SetWeights: _Form(frozenset({"fund", "line", "weights"}), frozenset(), _set_weights),
}
