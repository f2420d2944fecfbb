"""Hostile input, endpoint by endpoint: always a clear 4xx problem+json, never a 5xx."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

GOOD_DHR = {"district": "erewash", "date": "2015-01-01",
            "costs": [{"item": "overview-author", "amount": "100.00"}]}


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    assert body["status"] == status and body["detail"]
    return body


def with_(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(GOOD_DHR))
    body.update(changes)
    return body


@pytest.mark.parametrize(("body", "field", "says"), [
    (with_(costs=[{"item": "overview-author", "amount": 100.0}]), "costs.0.amount",
     "not a number"),
    (with_(costs=[{"item": "overview-author", "amount": 100}]), "costs.0.amount", "not a number"),
    (with_(costs=[{"item": "overview-author", "amount": "100.001"}]), "costs.0.amount",
     "decimal places"),
    (with_(costs=[{"item": "overview-author", "amount": "NaN"}]), "costs.0.amount", "finite"),
    (with_(costs=[{"item": "overview-author", "amount": "1e5"}]), "costs.0.amount", "exponent"),
    (with_(costs=[{"item": "overview-author", "amount": "-5.00"}]), "costs.0.amount",
     "negative"),
    (with_(costs=[{"item": "overview-author", "amount": ""}]), "costs.0.amount", "empty"),
    (with_(costs=[{"item": "overview-author", "amount": "9" * 20}]), "costs.0.amount",
     "too large"),
    (with_(costs=[]), "costs", "Length must be between 1 and 100"),
    (with_(costs=[{"item": "catering", "amount": "1.00"}]), "costs.0.item", "catering"),
    (with_(costs=[{"item": "overview-author", "amount": "1.00", "vat": "0.20"}]), "costs.0.vat",
     "Unknown field"),
    (with_(date="2013-02-30"), "date", "Not a valid date"),
    (with_(date="yesterday"), "date", "Not a valid date"),
    (with_(date=20150101), "date", "Not a valid date"),
    (with_(date="2011-08-31"), "date", "in force from 2011-09-01"),
    (with_(district="atlantis"), "district", "unknown district"),
    (with_(district="derby-city"), "district", "no arrangement covers"),
    (with_(district=None), "district", "Field may not be null"),
    (with_(district="high-peak"), "health_body", "several health commissioners"),
    (with_(health_body="hardwick-ccg"), "health_body", "does not cover"),
    (with_(health_body="nhs-nowhere"), "health_body", "unknown organisation"),
    (with_(arrangement="nope"), "arrangement", "unknown arrangement"),
    (with_(currency="EUR"), "currency", "Must be one of"),
    (with_(victim_name="secret"), "victim_name", "Unknown field"),
    ([1, 2, 3], "body", "Invalid input type"),
    ("a string", "body", "Invalid input type"),
])
def test_dhr_apportion_refuses(client: FlaskClient, body: Any, field: str, says: str) -> None:
    response = client.post("/api/v1/dhr/apportion", json=body)
    found = problem(response, 422)
    assert field in found["errors"], found
    assert says in " ".join(found["errors"][field]), found


@pytest.mark.parametrize("path", ["/api/v1/dhr/apportion", "/api/v1/funds/allocate",
                                  "/api/v1/scenarios/compare"])
@pytest.mark.parametrize(("data", "status"), [
    ("{not json", 400),
    ("[" * 100_000, 400),
    ('{"a":' * 50 + "1" + "}" * 50, 400),
    ('{"district": ' + "1" * 5000 + "}", 400),
    ("\xff\xfe", 400),
    ("", 400),
    ("null", 422),
])
def test_malformed_bodies(client: FlaskClient, path: str, data: str, status: int) -> None:
    response = client.post(path, data=data.encode("utf-8", "surrogateescape"),
                           content_type="application/json")
    problem(response, status)


@pytest.mark.parametrize("path", ["/api/v1/dhr/apportion", "/api/v1/funds/allocate",
                                  "/api/v1/scenarios/compare"])
def test_huge_bodies_are_413(client: FlaskClient, path: str) -> None:
    response = client.post(path, data=b'{"x": "' + b"a" * 2_000_000 + b'"}',
                           content_type="application/json")
    problem(response, 413)


def test_wrong_method_and_media_type(client: FlaskClient) -> None:
    problem(client.get("/api/v1/dhr/apportion"), 405)
    problem(client.post("/api/v1/dhr/apportion", data="district=erewash",
                        content_type="application/x-www-form-urlencoded"), 415)


@pytest.mark.parametrize(("fund", "field", "says"), [
    ("nope", "fund", "unknown fund"),
    (42, "fund", "a fund id"),
    ({"id": "x"}, "fund.name", "required"),
    ({"id": "x", "name": "X", "year": "2024-26", "total": "1.00", "recipients": [],
      "lines": [{"id": "a", "kind": "residual"}]}, "fund.year", "financial year"),
    ({"id": "x", "name": "X", "year": "2024-25", "total": "100.00", "recipients": ["erewash-csp"],
      "lines": [{"id": "a", "kind": "fixed", "recipient": "erewash-csp", "amount": "60.00"},
                {"id": "b", "kind": "fixed", "recipient": "erewash-csp", "amount": "60.00"}]},
     "fund.lines.1", "line 'b' needs 60.00 but only 40.00"),
    ({"id": "x", "name": "X", "year": "2024-25", "total": "100.00", "recipients": ["nowhere"],
      "lines": [{"id": "a", "kind": "per-recipient", "amount": "1.00"}]},
     "fund.recipients.0", "unknown recipient"),
    ({"id": "x", "name": "X", "year": "2024-25", "total": "100.00", "recipients": ["erewash-csp"],
      "lines": [{"id": "a", "kind": "proportional", "amount": "10.00",
                 "weights": {"erewash-csp": 0.5}}]}, "fund.lines.0.weights", "never a float"),
    ({"id": "x", "name": "X", "year": "2024-25", "total": "100.00", "recipients": ["erewash-csp"],
      "lines": [{"id": "a", "kind": "proportional", "amount": "10.00",
                 "weights": "no-such-set"}]}, "fund.lines.0.weights", "unknown weight set"),
    ({"id": "x", "name": "X", "year": "2024-25", "total": "100.00", "recipients": ["erewash-csp"],
      "lines": [{"id": "a", "kind": "teleport", "amount": "10.00"}]}, "fund.lines.0.kind",
     "not one of"),
    ({"id": "x", "name": "X", "year": "2024-25", "total": 100, "recipients": ["erewash-csp"],
      "lines": [{"id": "a", "kind": "residual"}]}, "fund.total", "not a number"),
    ({"id": "x", "name": "X", "year": "2024-25", "total": "100.00", "currency": "USD",
      "recipients": ["erewash-csp"], "lines": [{"id": "a", "kind": "residual"}]},
     "fund.currency", "not one of GBP"),
])
def test_funds_allocate_refuses(client: FlaskClient, fund: Any, field: str, says: str) -> None:
    found = problem(client.post("/api/v1/funds/allocate", json={"fund": fund}), 422)
    assert field in found["errors"], found
    assert says in " ".join(found["errors"][field]), found


@pytest.mark.parametrize(("body", "field", "says"), [
    ({"changes": [{"op": "teleport"}]}, "changes.0.op", "unknown change operation"),
    ({"changes": [{"organisation": "x"}]}, "changes.0.op", "is required"),
    ({"changes": ["end-organisation"]}, "changes.0", "object"),
    ({"changes": [{"op": "end-organisation", "organisation": "ghost", "date": "2015-01-01"}]},
     "changes.0.organisation", "unknown organisation"),
    ({"changes": [{"op": "end-organisation", "organisation": "dlnr-crc", "date": "2010-01-01"}]},
     "changes.0.date", "cannot end"),
    ({"changes": [{"op": "end-organisation", "organisation": "dlnr-crc"}]}, "changes.0.date",
     "is required"),
    ({"changes": [{"op": "set-policy", "arrangement": "derbyshire-dhr", "policy": "mood",
                   "value": "x"}]}, "changes.0.policy", "unknown policy"),
    ({"changes": [{"op": "set-policy", "arrangement": "derbyshire-dhr", "policy": "probation",
                   "value": "half"}]}, "changes.0.value", "each, one-share"),
    ({"changes": [{"op": "set-role-weight", "arrangement": "derbyshire-dhr", "role": "probation",
                   "weight": -1}]}, "changes.0.weight", "negative"),
    ({"changes": [{"op": "set-fund-total", "fund": "home-office-csf-2012-13",
                   "total": "100.00"}], "funds": [{"fund": "home-office-csf-2012-13"}]},
     "funds.0.fund.lines.0", "under the scenario"),
    ({"changes": [], "dhr": [with_(district="atlantis")]}, "dhr.0.district", "unknown district"),
    ({"changes": [{"op": "end-organisation", "organisation": "erewash-council",
                   "date": "2014-01-01"}], "dhr": [GOOD_DHR]}, "dhr.0.district",
     "under the scenario"),
    ({"changes": [{"op": "merge-csps", "csps": ["erewash-csp"], "into": "erewash-csp",
                   "date": "2014-01-01"}]}, "changes.0.csps", "at least two"),
    ({"changes": [], "extra": 1}, "extra", "Unknown field"),
    ({}, "changes", "required"),
])
def test_scenarios_compare_refuses(client: FlaskClient, body: Any, field: str, says: str) -> None:
    found = problem(client.post("/api/v1/scenarios/compare", json=body), 422)
    assert field in found["errors"], found
    assert says in " ".join(found["errors"][field]), found


@pytest.mark.parametrize("query", ["date=2015-02-30", "date=soon", "date=", "colour=red"])
def test_organisations_refuses_bad_queries(client: FlaskClient, query: str) -> None:
    problem(client.get(f"/api/v1/organisations?{query}"), 422)
