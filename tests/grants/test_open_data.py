"""The 360Giving export against the standard's schema: valid packages pass, broken ones fail,
and the CSV's columns are the standard's field titles."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from service.grants.opendata import CSV_COLUMNS
from tests.grants.open_data import GRANT_SCHEMA, errors

GRANT = {
    "id": "360G-derbyshire-AWD-000001", "title": "PCC grant: Amber Valley CSP",
    "description": "PCC grant (2013-14), award AWD-000001.", "currency": "GBP",
    "amountAwarded": 23250.00, "awardDate": "2013-04-02",
    "recipientOrganization": [{"id": "360G-derbyshire-amber-valley-csp", "name": "Amber Valley"}],
    "fundingOrganization": [{"id": "360G-derbyshire-derbyshire-pcc", "name": "Derbyshire PCC"}],
    "grantProgramme": [{"code": "pcc-grant-2013-14", "title": "PCC grant"}],
    "beneficiaryLocation": [{"name": "Amber Valley", "geoCode": "E07000032",
                             "geoCodeType": "NMD"}]}


def test_a_grant_like_ours_is_valid() -> None:
    assert errors({"grants": [GRANT], "version": "1.4"}) == []


@pytest.mark.parametrize(("field", "value"), [
    ("amountAwarded", "23250.00"), ("awardDate", "02/04/2013"), ("recipientOrganization", []),
    ("fundingOrganization", [{"name": "no id"}]), ("currency", 826)])
def test_the_validator_refuses_broken_grants(field: str, value: Any) -> None:
    broken = copy.deepcopy(GRANT)
    broken[field] = value
    assert errors({"grants": [broken]}) != []
    missing = copy.deepcopy(GRANT)
    del missing["title"]
    assert errors({"grants": [missing]}) != []
    assert errors({"grants": []}) != []  # a package has at least one grant


def test_csv_columns_are_the_standards_titles() -> None:
    properties = GRANT_SCHEMA["properties"]
    definitions = GRANT_SCHEMA["$defs"]
    def resolved(spec: dict[str, Any]) -> dict[str, Any]:
        ref = spec.get("$ref")
        return definitions[ref.rsplit("/", 1)[1]] if ref else spec

    titles = {resolved(spec)["title"]: name for name, spec in properties.items()
              if "title" in resolved(spec)}
    for column, path in CSV_COLUMNS:
        parts = column.split(":")
        assert titles[parts[0]] == path[0], column
        if len(parts) == 2:
            ref = properties[path[0]]["items"]["$ref"].rsplit("/", 1)[1]
            assert definitions[ref]["properties"][path[1]]["title"] == parts[1], column
