"""Grants over HTTP on both databases: the grants officer's year, refusals, audit, open data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from flask.testing import FlaskClient

import rules
from service.api.schemas import AwardsSchema, FundAllocationSchema
from service.app import create_app
from service.ledger import tokens as ledger_tokens
from service.ledger.errors import Invalid
from tests.grants.open_data import validate_package
from tests.service.conftest import BACKENDS, Ledger, fresh_database_url

CSPS = ["amber-valley-csp", "bolsover-csp", "chesterfield-csp", "derbyshire-dales-csp",
        "erewash-csp", "high-peak-csp", "north-east-derbyshire-csp", "south-derbyshire-csp"]

#: 2013-14 set up from 2012-13: the CSP lines passported back, paid 80% on award and 20% after
#: an evaluation (a condition), as DESIGN.md s.9's example stages.
STAGED = {
    "name": "PCC CSP grant 2013-14", "year": "2013-14", "total": "186000.00",
    "recipients": CSPS, "follows": "home-office-csf-2012-13", "funder": "derbyshire-pcc",
    "lines": [{"id": "asb-officers", "kind": "passport", "fund": "home-office-csf-2012-13",
               "lines": ["asb-officers"]},
              {"id": "csp-programme", "kind": "passport", "fund": "home-office-csf-2012-13",
               "lines": ["csp-programme"]}],
    "stages": [{"id": "award", "percent": "80", "due": "2013-04-30"},
               {"id": "evaluation", "percent": "20", "due": "2013-10-31",
                "condition": "outcome report received"}]}


@pytest.fixture(params=BACKENDS)
def grants(request: pytest.FixtureRequest, tmp_path: Path) -> Ledger:
    """A ledger whose ruleset adds the staged 2013-14 CSP grant to the embedded rules."""
    backend: str = request.param
    postgres = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    data = rules.to_dict(rules.default_ruleset())
    data["funds"]["pcc-csp-grant-2013-14"] = STAGED
    path = tmp_path / "rules.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    app = create_app({"TESTING": True,
                      "DATABASE_URL": fresh_database_url(backend, tmp_path, postgres)},
                     ruleset=str(path))
    with app.extensions["apportion.db"].session() as session:
        tokens = {role: ledger_tokens.create_token(session, f"test {role}", role)
                  for role in ledger_tokens.ROLES}
        session.commit()
    return Ledger(app, tokens, backend)


def _post(client: FlaskClient, ledger: Ledger, path: str, body: dict[str, Any],
          role: str = "finance") -> Any:
    return client.post(path, json=body, headers=ledger.headers(role))


def test_the_grants_officers_year(grants: Ledger) -> None:
    client = grants.client()
    allocated = client.post("/api/v1/funds/allocate", json={"fund": "pcc-csp-grant-2013-14"})
    body = allocated.get_json()
    assert allocated.status_code == 200 and FundAllocationSchema().validate(body) == {}
    amber = body["recipients"][0]
    assert amber["amount"] == amber["previous"] == "23250.00"
    assert [(s["stage"], s["amount"], s["due"]) for s in amber["stages"]] == [
        ("award", "18600.00", "2013-04-30"), ("evaluation", "4650.00", "2013-10-31")]

    committed = _post(client, grants, "/api/v1/funds/pcc-csp-grant-2013-14/awards",
                      {"date": "2013-04-02"})
    assert committed.status_code == 201, committed.get_json()
    issued = committed.get_json()["awards"]
    assert AwardsSchema().validate(committed.get_json()) == {}
    assert [a["number"] for a in issued] == [f"AWD-{n:06d}" for n in range(1, 9)]
    number = issued[0]["number"]
    assert issued[0]["recipient"] == "amber-valley-csp"
    assert [s["status"] for s in issued[0]["stages"]] == ["payable", "awaiting-condition"]
    again = _post(client, grants, "/api/v1/funds/pcc-csp-grant-2013-14/awards",
                  {"date": "2013-04-03"})
    assert again.status_code == 409

    stage = f"/api/v1/awards/{number}/stages"
    early = _post(client, grants, f"{stage}/award/payment", {"date": "2013-04-29"})
    assert early.status_code == 422 and "due on 2013-04-30" in early.get_json()["detail"]
    first = _post(client, grants, f"{stage}/award/payment", {"date": "2013-04-30"})
    assert first.status_code == 201 and first.get_json()["amount"] == "18600.00"
    twice = _post(client, grants, f"{stage}/award/payment", {"date": "2013-05-01"})
    assert twice.status_code == 409

    unmet = _post(client, grants, f"{stage}/evaluation/payment", {"date": "2013-11-01"})
    assert unmet.status_code == 422 and "condition" in unmet.get_json()["detail"]
    refused = _post(client, grants, f"{stage}/evaluation/condition",
                    {"met": False, "date": "2013-10-20", "note": "report incomplete"})
    assert refused.status_code == 200
    still = _post(client, grants, f"{stage}/evaluation/payment", {"date": "2013-11-01"})
    assert still.status_code == 422 and "not met" in still.get_json()["detail"]
    met = _post(client, grants, f"{stage}/evaluation/condition",
                {"met": True, "date": "2013-10-28", "note": "outcome report received"})
    assert met.status_code == 200
    assert met.get_json()["stages"][1]["condition_met"] is True
    second = _post(client, grants, f"{stage}/evaluation/payment", {"date": "2013-11-01"})
    assert second.status_code == 201 and second.get_json()["to_pay"] == "0.00"

    too_much = _post(client, grants, f"/api/v1/awards/{number}/recovery",
                     {"amount": "23250.01", "date": "2014-04-30", "reason": "underspend"})
    assert too_much.status_code == 422
    recovered = _post(client, grants, f"/api/v1/awards/{number}/recovery",
                      {"amount": "1200.50", "date": "2014-04-30", "reason": "underspend"})
    assert recovered.status_code == 201 and recovered.get_json()["number"] == "REC-000001"

    listed = client.get("/api/v1/awards?fund=pcc-csp-grant-2013-14&recipient=amber-valley-csp",
                        headers=grants.headers("viewer")).get_json()["awards"]
    assert len(listed) == 1
    assert (listed[0]["paid"], listed[0]["recovered"], listed[0]["net_paid"]) == (
        "23250.00", "1200.50", "22049.50")

    audit = client.get("/api/v1/audit?limit=100", headers=grants.headers("admin")).get_json()
    actions = [(e["action"], e["entity_id"]) for e in audit["events"] if e["entity"] == "award"]
    assert ("commit", number) in actions and ("condition", number) in actions
    assert [a for a, n in actions if n == number].count("pay") == 2
    assert ("recover", number) in actions

    published = client.get("/api/v1/funds/pcc-csp-grant-2013-14/360giving",
                           headers=grants.headers("viewer"))
    assert published.status_code == 200
    package = json.loads(published.get_data(as_text=True))
    validate_package(package)
    assert [g["amountAwarded"] for g in package["grants"]] == [23250] * 8
    assert '"amountAwarded": 23250.00' in published.get_data(as_text=True)  # exact, no float
    assert package["grants"][0]["beneficiaryLocation"][0]["geoCode"] == "E07000032"
    flat = client.get("/api/v1/funds/pcc-csp-grant-2013-14/360giving?format=csv",
                      headers=grants.headers("viewer"))
    rows = list(csv.DictReader(io.StringIO(flat.get_data(as_text=True))))
    assert [r["Identifier"] for r in rows] == [g["id"] for g in package["grants"]]
    assert rows[1]["Beneficiary Location:Geographic Code"] == "E07000033"


def test_refusals_and_roles(grants: Ledger) -> None:
    client = grants.client()
    assert _post(client, grants, "/api/v1/funds/pcc-csp-grant-2013-14/awards",
                 {"date": "2013-04-02"}, role="viewer").status_code == 403
    assert client.post("/api/v1/funds/pcc-csp-grant-2013-14/awards",
                       json={"date": "2013-04-02"}).status_code == 401
    unknown = _post(client, grants, "/api/v1/funds/nope/awards", {"date": "2013-04-02"})
    assert unknown.status_code == 404
    nothing = _post(client, grants, "/api/v1/funds/pcc-crime-prevention-bids-2013-14/awards",
                    {"date": "2013-04-02"})
    assert nothing.status_code == 422 and "nothing" in nothing.get_json()["detail"]
    future = _post(client, grants, "/api/v1/funds/pcc-csp-grant-2013-14/awards",
                   {"date": "2999-01-01"})
    assert future.status_code == 422
    bad = _post(client, grants, "/api/v1/funds/pcc-csp-grant-2013-14/awards", {"date": 3})
    assert bad.status_code == 422
    assert _post(client, grants, "/api/v1/awards/AWD-999999/recovery",
                 {"amount": "1.00", "date": "2014-01-01", "reason": "x"}).status_code == 404
    no_funder = client.get("/api/v1/funds/home-office-csf-2012-13/360giving",
                           headers=grants.headers("viewer"))
    assert no_funder.status_code == 422 and "funder" in no_funder.get_json()["detail"]
    _post(client, grants, "/api/v1/funds/pcc-passported-2013-14/awards", {"date": "2013-04-01"})
    number = client.get("/api/v1/awards?fund=pcc-passported-2013-14",
                        headers=grants.headers("viewer")).get_json()["awards"][0]["number"]
    no_stage = _post(client, grants, f"/api/v1/awards/{number}/stages/evaluation/payment",
                     {"date": "2013-05-01"})
    assert no_stage.status_code == 404
    unmet = _post(client, grants, f"/api/v1/awards/{number}/stages/passport/payment",
                  {"date": "2013-05-01"})
    assert unmet.status_code == 422 and "outcomes" in unmet.get_json()["detail"]


def test_board_report_allocations_by_csp_and_year(grants: Ledger) -> None:
    client = grants.client()
    report = client.get("/api/v1/reports/board?year=2013-14",
                        headers=grants.headers("viewer")).get_json()
    funds = {f["fund"]: f for f in report["funds"]}
    passported = funds["pcc-passported-2013-14"]["year_on_year"]
    assert passported["follows"] == "home-office-csf-2012-13"
    assert {r["recipient"]: r["change"] for r in passported["recipients"]}["amber-valley-csp"] \
        == "0.00"
    assert passported["totals"]["change"] == "0.00"
    earlier = client.get("/api/v1/reports/board?year=2012-13",
                         headers=grants.headers("viewer")).get_json()
    cut = {f["fund"]: f for f in earlier["funds"]}["home-office-csf-2012-13"]["year_on_year"]
    assert cut["fund_total"] == {"amount": "322000.00", "previous": "735000.00",
                                 "change": "-413000.00"}
    flat = client.get("/api/v1/reports/board?year=2013-14&format=csv",
                      headers=grants.headers("viewer")).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(flat)))
    change = [r for r in rows if r["section"] == "change:pcc-csp-grant-2013-14"]
    assert {r["column"] for r in change} == {"amount", "previous", "change"}


def test_open_data_uses_the_publishers_registered_prefix(grants: Ledger) -> None:
    client = grants.client()
    answer = _post(client, grants, "/api/v1/funds/pcc-csp-grant-2013-14/awards",
                   {"date": "2013-04-02"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    grants.app.config["OPEN_DATA_PREFIX"] = "360G-examplepcc"
    package = client.get("/api/v1/funds/pcc-csp-grant-2013-14/360giving",
                         headers=grants.headers("viewer")).get_json()
    validate_package(package)
    ids = [g["id"] for g in package["grants"]]
    assert ids and all(i.startswith("360G-examplepcc-AWD-") for i in ids)
    assert package["grants"][0]["fundingOrganization"][0]["id"] == (
        "360G-examplepcc-derbyshire-pcc")


@pytest.mark.parametrize("prefix", ["examplepcc", "360G-", "360G-bad prefix", "360G-é",
                                    "360g-lower", "360G-" + "x" * 65])
def test_a_prefix_that_is_not_a_360giving_prefix_stops_the_start(prefix: str,
                                                                 tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="is not a 360Giving prefix"):
        create_app({"TESTING": True, "OPEN_DATA_PREFIX": prefix,
                    "DATABASE_URL": f"sqlite:///{tmp_path}/ledger.sqlite3"})
