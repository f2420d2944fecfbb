"""What-if warnings on the wire: POST /api/v1/scenarios/compare and `apportion whatif`."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import attrs
import openpyxl
from flask.testing import FlaskClient

import rules
from service.api.schemas import ComparisonSchema, FundAllocationSchema
from service.app import create_app
from tests.service.test_cli import run

CSPS = ["amber-valley-csp", "bolsover-csp", "chesterfield-csp", "derbyshire-dales-csp",
        "erewash-csp", "high-peak-csp", "north-east-derbyshire-csp", "south-derbyshire-csp"]


def grant(total: str, weights: dict[str, str] | str, recipients: list[str] | None = None
          ) -> dict[str, Any]:
    return {"fund": {"id": "grant", "name": "CSP grant", "year": "2014-15", "total": total,
                     "recipients": recipients or list(weights),
                     "lines": [{"id": "formula", "kind": "proportional", "amount": total,
                                "weights": weights}]}}


MERGER: dict[str, Any] = {
    "changes": [{"op": "merge-csps", "csps": ["bolsover-csp", "north-east-derbyshire-csp"],
                 "into": "north-derbyshire-csp", "date": "2014-04-01",
                 "name": "North Derbyshire CSP"}],
    "funds": [grant("60000.08", "population-2011", CSPS)]}


def test_a_merger_that_moves_a_penny_outside_it_warns(client: FlaskClient) -> None:
    response = client.post("/api/v1/scenarios/compare", json=MERGER)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert ComparisonSchema().validate(body) == {}
    [warning] = body["warnings"]
    assert warning["kind"] == "new-member"
    assert warning["recipient"] == "derbyshire-dales-csp"
    assert warning["name"] == "Derbyshire Dales Community Safety Partnership"
    assert warning["line"] == "funds.0.formula"
    assert warning["base"] == "5543.77" and warning["scenario"] == "5543.78"
    assert set(warning["others"]) == {"amber-valley-csp", "chesterfield-csp", "erewash-csp",
                                      "high-peak-csp", "south-derbyshire-csp"}
    assert "gets a penny more against" in warning["detail"]
    assert "North Derbyshire CSP joined" in warning["detail"]


def test_ten_pence_to_eleven_over_six_six_two_warns_alabama(client: FlaskClient) -> None:
    body = client.post("/api/v1/scenarios/compare", json={
        "changes": [{"op": "set-fund-total", "fund": "grant", "total": "0.11"},
                    {"op": "set-line-amount", "fund": "grant", "line": "formula",
                     "amount": "0.11"}],
        "funds": [grant("0.10", {"amber-valley-csp": "6", "bolsover-csp": "6",
                                 "chesterfield-csp": "2"})]}).get_json()
    assert [(r["recipient"], r["base"], r["scenario"]) for r in body["recipients"]] == [
        ("amber-valley-csp", "0.04", "0.05"), ("bolsover-csp", "0.04", "0.05"),
        ("chesterfield-csp", "0.02", "0.01")]
    [warning] = body["warnings"]
    assert (warning["kind"], warning["recipient"], warning["line"]) == (
        "alabama", "chesterfield-csp", "funds.0.formula")
    assert warning["detail"].startswith(
        "Chesterfield Community Safety Partnership gets 1p less on line 'formula' of CSP grant "
        "(£0.02 to £0.01) although the pot grows from £0.10 to £0.11")


def test_a_line_without_an_amount_cannot_be_given_one(client: FlaskClient) -> None:
    response = client.post("/api/v1/scenarios/compare", json={
        "changes": [{"op": "set-line-amount", "fund": "grant", "line": "rest", "amount": "1.00"}],
        "funds": [{"fund": {**grant("1.00", {"amber-valley-csp": "1"})["fund"], "lines": [
            {"id": "rest", "kind": "residual", "recipient": None}]}}]})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "changes.0.line": ["line 'rest' is residual: it has no amount"]}


def test_changes_reach_an_inline_fund_and_no_paradox_means_no_warning(
        client: FlaskClient) -> None:
    body = client.post("/api/v1/scenarios/compare", json={
        "changes": [{"op": "set-fund-total", "fund": "grant", "total": "100.00"}],
        "funds": [grant("0.10", {"amber-valley-csp": "6", "bolsover-csp": "6",
                                  "chesterfield-csp": "2"})]}).get_json()
    assert body["warnings"] == []
    assert body["scenario"]["funds"][0]["total"] == "100.00"
    assert body["scenario"]["funds"][0]["unallocated"] == "99.90"


def test_whatif_prints_the_warnings(client: FlaskClient, tmp_path: Path) -> None:
    file = tmp_path / "merger.json"
    file.write_text(json.dumps(MERGER))
    human = run("whatif", "--file", str(file))
    assert human.returncode == 0, human.stderr
    assert "Warnings (1)" in human.stdout
    assert "! New-member paradox: Derbyshire Dales Community Safety Partnership" in human.stdout
    as_json = run("whatif", "--file", str(file), "--json")
    assert json.loads(as_json.stdout) == client.post("/api/v1/scenarios/compare",
                                                     json=MERGER).get_json()
    quiet = tmp_path / "quiet.json"
    quiet.write_text(json.dumps({**MERGER, "funds": [grant("60000.00", "population-2011",
                                                           CSPS)]}))
    assert "Warnings: none" in run("whatif", "--file", str(quiet)).stdout


def test_a_fund_following_another_warns_of_a_paradox(tmp_path: Path) -> None:
    def grant_fund(fund_id: str, year: str, total: str) -> rules.Fund:
        return rules.fund_from_dict({**grant(total, {"amber-valley-csp": "6", "bolsover-csp": "6",
                                                     "chesterfield-csp": "2"})["fund"],
                                     "id": fund_id, "year": year})

    base = rules.default_ruleset()
    before = grant_fund("grant-2014-15", "2014-15", "0.10")
    ruleset = attrs.evolve(base, funds={**base.funds, before.id: before})
    path = tmp_path / "rules.toml"
    path.write_text(rules.dumps(ruleset))
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
                     ruleset=str(path))
    after = {**grant("0.11", {"amber-valley-csp": "6", "bolsover-csp": "6",
                              "chesterfield-csp": "2"})["fund"],
             "id": "grant-2015-16", "year": "2015-16", "follows": "grant-2014-15"}
    response = app.test_client().post("/api/v1/funds/allocate", json={"fund": after})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert FundAllocationSchema().validate(body) == {}
    [warning] = body["warnings"]
    assert (warning["kind"], warning["recipient"], warning["line"], warning["base"],
            warning["scenario"]) == ("alabama", "chesterfield-csp", "formula", "0.02", "0.01")
    assert warning["detail"].startswith("Chesterfield Community Safety Partnership gets 1p less")


def test_the_xlsx_download_lists_the_warnings(client: FlaskClient) -> None:
    response = client.post("/api/v1/scenarios/compare?format=xlsx", json=MERGER)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert "Warnings" in book.sheetnames
    rows = list(book["Warnings"].iter_rows(values_only=True))
    assert rows[0] == ("Kind", "Recipient", "Name", "Line", "Base", "Scenario", "Detail")
    assert rows[1][:4] == ("new-member", "derbyshire-dales-csp",
                           "Derbyshire Dales Community Safety Partnership", "funds.0.formula")
    assert len(rows) == 2
