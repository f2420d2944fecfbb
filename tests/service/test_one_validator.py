"""One validator per input format: an inline fund is validated by the rules alone, and the
OpenAPI document describes the same rules.

The laws, over every embedded fund and a battery of shape-level mutations of each:

* whatever the rules accept, the published JSON schema accepts (the docs never refuse a valid
  fund);
* a mutation of the shape (an unknown field, money as a JSON number or with three places, an
  unknown line kind, a malformed id or year, no lines) is refused by both, or by neither.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask

import rules

Fund = dict[str, Any]


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects as JSON Schema: ``nullable`` becomes a ``null`` type."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items()
                 if key not in ("nullable", "example")}
    if node.get("nullable"):
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.fixture(scope="module")
def documented(app: Flask) -> Callable[[Fund], bool]:
    """Whether the OpenAPI document's ``InlineFund`` schema accepts a fund."""
    spec = app.test_client().get("/api/openapi.json").get_json()
    root = {"$ref": "#/components/schemas/InlineFund",
            "components": {"schemas": _json_schema(spec["components"]["schemas"])}}
    validator = jsonschema_rs.Draft7Validator(root)
    return lambda fund: bool(validator.is_valid(fund))


def _rules_accept(fund: Fund) -> bool:
    try:
        rules.fund_from_dict(fund)
    except rules.RulesError:
        return False
    return True


def _embedded() -> list[Fund]:
    return [{"id": fund_id, **rules.fund_to_dict(fund)}
            for fund_id, fund in rules.default_ruleset().funds.items()]


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[Fund], None]:
    def mutate(fund: Fund) -> None:
        node: Any = fund
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


def _field_its_kind_does_not_use(fund: Fund) -> None:
    line = fund["lines"][0]
    unused = next(f for f in rules.LINE_FIELDS if f not in rules.LINE_ALLOWS[line["kind"]])
    line[unused] = "0"


def _without_a_field_its_kind_needs(fund: Fund) -> None:
    for line in fund["lines"]:
        needs = sorted(rules.LINE_NEEDS[line["kind"]])
        if needs:
            del line[needs[0]]
            return
    fund["lines"][0]["kind"] = "passport"  # only residual lines: one needing fund and lines


MUTATIONS: dict[str, Callable[[Fund], None]] = {
    "a line field its kind does not use": _field_its_kind_does_not_use,
    "a line without a field its kind needs": _without_a_field_its_kind_needs,
    "unknown field": _set(("colour",), "blue"),
    "total as a JSON number": _set(("total",), 1000),
    "total with three places": _set(("total",), "1000.001"),
    "total not a number": _set(("total",), "lots"),
    "year not a financial year": _set(("year",), "2013"),
    "id with a space": _set(("id",), "a fund"),
    "id starting with a dash": _set(("id",), "-fund"),
    "id with a letter outside ASCII": _set(("id",), "fund\u00e9"),
    "no lines": _set(("lines",), []),
    "unknown line kind": _set(("lines", 0, "kind"), "lottery"),
    "unknown line field": _set(("lines", 0, "colour"), "blue"),
    "line amount as a JSON number": _set(("lines", 0, "amount"), 15000),
    "recipients not a list": _set(("recipients",), "amber-valley-csp"),
    "follows not an id": _set(("follows",), "last year"),
    "stages not a list": _set(("stages",), "80/20"),
    "a stage without a due date": _set(("stages",), [{"id": "award", "percent": "100"}]),
    "a stage percent as a float": _set(("stages",), [{"id": "award", "percent": 99.5,
                                                      "due": "2013-04-30"}]),
    "an unknown stage field": _set(("stages",), [{"id": "award", "percent": "100",
                                                  "due": "2013-04-30", "colour": "blue"}]),
}


@pytest.mark.parametrize("fund", _embedded(), ids=lambda fund: fund["id"])
def test_what_the_rules_accept_the_document_accepts(
        fund: Fund, documented: Callable[[Fund], bool]) -> None:
    assert _rules_accept(fund)
    assert documented(fund)


@pytest.mark.parametrize("mutation", list(MUTATIONS))
@pytest.mark.parametrize("fund", _embedded(), ids=lambda fund: fund["id"])
def test_a_bad_shape_is_refused_by_both(
        fund: Fund, mutation: str, documented: Callable[[Fund], bool]) -> None:
    changed = copy.deepcopy(fund)
    MUTATIONS[mutation](changed)
    assert not _rules_accept(changed), f"the rules accept a fund with {mutation}"
    assert not documented(changed), f"the OpenAPI document allows a fund with {mutation}"
