"""The JSON API over HTTP: the examples of the rules, the contract shapes, docs and spec."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from service.api.schemas import ApportionmentSchema, ComparisonSchema, FundAllocationSchema


def dhr(district: str, on: str, amount: str = "4250.00", **extra: Any) -> dict[str, Any]:
    return {"district": district, "date": on,
            "costs": [{"item": "overview-author", "amount": amount}], **extra}


def test_amber_valley_six_ways(client: FlaskClient) -> None:
    response = client.post("/api/v1/dhr/apportion", json=dhr("amber-valley", "2013-05-01"))
    assert response.status_code == 200
    body = response.get_json()
    assert ApportionmentSchema().validate(body) == {}
    assert body["currency"] == "GBP" and body["total"] == "4250.00"
    assert body["date"] == "2013-05-01" and body["district"] == "amber-valley"
    assert body["arrangement"]["id"] == "derbyshire-dhr" and body["arrangement"]["source"]
    first = body["shares"][0]
    assert {k: first[k] for k in ("organisation", "name", "role", "amount", "fraction",
                                  "remainder_penny")} == {
        "organisation": "derbyshire-constabulary", "name": "Derbyshire Constabulary",
        "role": "police-force", "amount": "708.34", "fraction": "1/6", "remainder_penny": True}
    assert [s["amount"] for s in body["shares"]] == ["708.34", "708.34"] + ["708.33"] * 4


def test_chesterfield_seven_ways(client: FlaskClient) -> None:
    body = client.post("/api/v1/dhr/apportion", json={
        "district": "chesterfield", "date": "2012-09-30",
        "costs": [{"item": "panel-chair", "amount": "3850.00"},
                  {"item": "overview-author", "amount": "3850.00"}]}).get_json()
    assert [s["amount"] for s in body["shares"]] == ["1100.00"] * 7
    assert "derbyshire-police-authority" in [s["organisation"] for s in body["shares"]]


def test_health_body_and_arrangement_may_be_named(client: FlaskClient) -> None:
    body = client.post("/api/v1/dhr/apportion", json=dhr(
        "high-peak", "2016-01-01", health_body="tameside-glossop-ccg",
        arrangement="derbyshire-dhr", currency="GBP")).get_json()
    assert body["health_body"] == "tameside-glossop-ccg"
    assert len(body["shares"]) == 7


def test_fund_by_id_and_inline(client: FlaskClient) -> None:
    by_id = client.post("/api/v1/funds/allocate", json={"fund": "home-office-csf-2012-13"})
    assert by_id.status_code == 200
    body = by_id.get_json()
    assert FundAllocationSchema().validate(body) == {}
    assert (body["total"], body["allocated"], body["unallocated"]) == (
        "322000.00", "322000.00", "0.00")
    amber = body["recipients"][0]
    exact = {"floored": False, "capped": False, "damped": False, "remainder_penny": False,
             "held": None}
    assert amber == {"recipient": "amber-valley-csp", "name": amber["name"],
                     "amount": "23250.00", "previous": None,
                     "lines": [{"line": "asb-officers", "amount": "15000.00", "fraction": "1/8",
                                **exact},
                               {"line": "csp-programme", "amount": "8250.00", "fraction": "1/8",
                                **exact}]}
    assert body["follows"] == "home-office-csf-2011-12" and body["warnings"] == []
    definition = client.get("/api/v1/funds/home-office-csf-2012-13").get_json()
    inline = client.post("/api/v1/funds/allocate", json={"fund": definition})
    assert inline.status_code == 200
    assert inline.get_json()["recipients"] == body["recipients"]


def test_design_example_inline_fund(client: FlaskClient) -> None:
    csps = ["amber-valley-csp", "bolsover-csp", "chesterfield-csp", "derbyshire-dales-csp",
            "erewash-csp", "high-peak-csp", "north-east-derbyshire-csp", "south-derbyshire-csp"]
    population = ["122309", "75866", "103788", "71116", "112081", "90892", "99023", "94611"]
    response = client.post("/api/v1/funds/allocate", json={"fund": {
        "id": "example-2024-25", "name": "CSP grant", "year": "2024-25", "total": "100000.00",
        "recipients": csps,
        "lines": [
            {"id": "base", "kind": "per-recipient", "amount": "5000.00"},
            {"id": "formula", "kind": "proportional", "amount": "20000.00",
             "weights": dict(zip(csps, population, strict=True)), "floor": "2000.00", "cap": None},
            {"id": "iom", "kind": "fixed", "recipient": "probation-service",
             "amount": "20000.00"},
            {"id": "rest", "kind": "residual", "recipient": None}]}})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["unallocated"] == "20000.00" and body["allocated"] == "80000.00"
    formula = [line["amount"] for r in body["recipients"] for line in r["lines"]
               if line["line"] == "formula"]
    assert min(formula, key=float) == "2000.00"
    assert sum(int(a.replace(".", "")) for a in formula) == 2000000


def test_compare_probation_one_share(client: FlaskClient) -> None:
    response = client.post("/api/v1/scenarios/compare", json={
        "changes": [{"op": "set-policy", "arrangement": "derbyshire-dhr", "policy": "probation",
                     "value": "one-share"}],
        "dhr": [dhr("erewash", "2015-01-01", "7000.00")],
        "funds": [{"fund": "home-office-csf-2012-13"}]})
    assert response.status_code == 200
    body = response.get_json()
    assert ComparisonSchema().validate(body) == {}
    rows = {row["organisation"]: row for row in body["organisations"]}
    assert rows["dlnr-crc"] == {"organisation": "dlnr-crc", "name": rows["dlnr-crc"]["name"],
                                "base": "1000.00", "scenario": "583.33", "delta": "-416.67"}
    assert body["totals"] == {"base": "329000.00", "scenario": "329000.00", "delta": "0.00"}
    assert len(body["base"]["dhr"]) == len(body["scenario"]["dhr"]) == 1


def test_compare_merge_changes_fund_totals(client: FlaskClient) -> None:
    body = client.post("/api/v1/scenarios/compare", json={
        "changes": [{"op": "merge-csps", "csps": ["bolsover-csp", "chesterfield-csp"],
                     "into": "north-csp", "date": "2012-04-01", "name": "North CSP"}],
        "funds": [{"fund": "home-office-csf-2012-13"}]}).get_json()
    rows = {row["recipient"]: row for row in body["recipients"]}
    assert rows["north-csp"]["scenario"] == "23250.00" and rows["north-csp"]["name"] == "North CSP"
    assert rows["bolsover-csp"]["delta"] == "-23250.00"
    assert body["totals"]["delta"] == "-23250.00"


def test_organisations_on_a_date(client: FlaskClient) -> None:
    body = client.get("/api/v1/organisations?date=2015-01-01").get_json()
    assert body["date"] == "2015-01-01"
    by_id = {o["id"]: o for o in body["organisations"]}
    assert by_id["dlnr-crc"]["statutory"] is True
    assert by_id["derbyshire-pcc"]["statutory"] is False
    assert "derbyshire-police-authority" not in by_id
    assert by_id["dlnr-crc"]["active"] == [{"from": "2014-06-01", "to": "2021-06-26"}]
    assert set(by_id["derbyshire-constabulary"]) >= {"id", "name", "kind", "statutory", "active"}
    today = client.get("/api/v1/organisations").get_json()
    assert "derby-derbyshire-icb" in {o["id"] for o in today["organisations"]}


def test_districts_arrangements_funds(client: FlaskClient) -> None:
    districts = client.get("/api/v1/districts").get_json()
    ids = [d["id"] for d in districts["districts"]]
    assert ids[:8] == ["amber-valley", "bolsover", "chesterfield", "derbyshire-dales", "erewash",
                       "high-peak", "north-east-derbyshire", "south-derbyshire"]
    assert "derby-city" in ids and "safer-derby" in [c["id"] for c in districts["csps"]]
    arrangements = client.get("/api/v1/arrangements").get_json()["arrangements"]
    assert [a["id"] for a in arrangements] == ["derbyshire-dhr"]
    one = client.get("/api/v1/arrangements/derbyshire-dhr").get_json()
    assert [r["id"] for r in one["roles"]] == [
        "police-force", "police-authority", "county-council", "probation", "fire-rescue",
        "health-commissioner", "district-council"]
    funds = client.get("/api/v1/funds").get_json()["funds"]
    assert [f["id"] for f in funds] == [
        "home-office-csf-2011-12", "home-office-csf-2012-13", "pcc-passported-2013-14",
        "pcc-crime-prevention-bids-2013-14"]


@pytest.mark.parametrize("path", ["/api/v1/arrangements/nope", "/api/v1/funds/nope",
                                  "/api/v1/nowhere"])
def test_unknown_ids_in_paths_are_404_problems(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_openapi_document_and_docs_page(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/organisations", "/api/v1/districts", "/api/v1/arrangements",
                 "/api/v1/arrangements/{arrangement_id}", "/api/v1/dhr/apportion",
                 "/api/v1/funds", "/api/v1/funds/{fund_id}", "/api/v1/funds/allocate",
                 "/api/v1/scenarios/compare"):
        assert path in spec["paths"], path
    page = client.get("/api/docs")
    assert page.status_code == 200 and b"swagger-ui-bundle.js" in page.data
    assert b"http" not in page.data.split(b"<script>")[0].lower().replace(b"https://", b"")
    asset = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000


def test_healthz_names_the_ruleset(client: FlaskClient) -> None:
    body = client.get("/healthz").get_json()
    assert body == {"status": "ok", "ruleset": {
        "id": "derbyshire", "name": body["ruleset"]["name"], "file": "embedded"}}
