"""The apportion command line: tables for people, the HTTP body with --json, errors with exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

APPORTION = str(Path(sys.executable).parent / "apportion")


def run(*args: str, stdin: str | None = None, database: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database or "sqlite:///" + tempfile.mktemp(".sqlite3")}
    return subprocess.run([APPORTION, *args], capture_output=True, text=True, input=stdin,
                          timeout=60, check=False, env=env)


def test_dhr_table() -> None:
    done = run("dhr", "--district", "amber-valley", "--date", "2013-05-01",
               "--cost", "overview-author=4250.00")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any("Derbyshire Constabulary" in line and "£708.34" in line and line.endswith("*")
               for line in lines)
    assert any(line.startswith("Total") and "£4,250.00" in line for line in lines)
    assert "leftover penny" in done.stdout


def test_dhr_json_is_the_http_body(client: FlaskClient) -> None:
    done = run("dhr", "--district", "high-peak", "--date", "2016-01-01", "--cost",
               "panel-chair=3000.00", "--cost", "overview-author=1234.56", "--health-body",
               "tameside-glossop-ccg", "--json")
    assert done.returncode == 0, done.stderr
    http = client.post("/api/v1/dhr/apportion", json={
        "district": "high-peak", "date": "2016-01-01", "health_body": "tameside-glossop-ccg",
        "costs": [{"item": "panel-chair", "amount": "3000.00"},
                  {"item": "overview-author", "amount": "1234.56"}]})
    assert json.loads(done.stdout) == http.get_json()


def test_fund_by_id_and_file(client: FlaskClient, tmp_path: Path) -> None:
    done = run("fund", "home-office-csf-2012-13")
    assert done.returncode == 0, done.stderr
    assert "£322,000.00" in done.stdout and "£23,250.00" in done.stdout
    as_json = run("fund", "home-office-csf-2012-13", "--json")
    http = client.post("/api/v1/funds/allocate", json={"fund": "home-office-csf-2012-13"})
    assert json.loads(as_json.stdout) == http.get_json()
    definition = client.get("/api/v1/funds/home-office-csf-2012-13").get_json()
    definition["id"] = "copy"
    file = tmp_path / "fund.json"
    file.write_text(json.dumps(definition))
    from_file = run("fund", "--file", str(file), "--json")
    assert from_file.returncode == 0, from_file.stderr
    assert json.loads(from_file.stdout)["recipients"] == http.get_json()["recipients"]
    wrapped = run("fund", "--file", "-", "--json", stdin=json.dumps({"fund": definition}))
    assert json.loads(wrapped.stdout)["fund"] == "copy"


def test_whatif(client: FlaskClient, tmp_path: Path) -> None:
    scenario: dict[str, Any] = {
        "changes": [{"op": "set-policy", "arrangement": "derbyshire-dhr", "policy": "probation",
                     "value": "one-share"}],
        "dhr": [{"district": "erewash", "date": "2015-01-01",
                 "costs": [{"item": "panel-chair", "amount": "7000.00"}]}],
        "funds": [{"fund": "home-office-csf-2012-13"}]}
    file = tmp_path / "scenario.json"
    file.write_text(json.dumps(scenario))
    human = run("whatif", "--file", str(file))
    assert human.returncode == 0, human.stderr
    assert "-£416.67" in human.stdout and "Total" in human.stdout
    as_json = run("whatif", "--file", str(file), "--json")
    http = client.post("/api/v1/scenarios/compare", json=scenario).get_json()
    assert json.loads(as_json.stdout) == http


def test_organisations(client: FlaskClient) -> None:
    done = run("organisations", "--date", "2015-01-01")
    assert done.returncode == 0
    assert "dlnr-crc" in done.stdout and "derbyshire-police-authority" not in done.stdout
    as_json = run("organisations", "--date", "2015-01-01", "--json")
    assert json.loads(as_json.stdout) == client.get(
        "/api/v1/organisations?date=2015-01-01").get_json()


@pytest.mark.parametrize(("args", "says"), [
    (["dhr", "--district", "derby-city", "--date", "2015-01-01", "--cost",
      "overview-author=1.00"], "no arrangement covers district 'derby-city'"),
    (["dhr", "--district", "erewash", "--date", "2015-02-30", "--cost", "overview-author=1.00"],
     "date: Not a valid date"),
    (["dhr", "--district", "erewash", "--date", "2015-01-01", "--cost", "overview-author=1.5e3"],
     "exponent"),
    (["dhr", "--district", "erewash", "--date", "2015-01-01", "--cost", "overview-author"],
     "ITEM=AMOUNT"),
    (["dhr", "--district", "high-peak", "--date", "2015-01-01", "--cost", "panel-chair=1.00"],
     "north-derbyshire-ccg, tameside-glossop-ccg"),
    (["dhr", "--district", "erewash"], "Missing option"),
    (["fund", "nope"], "unknown fund 'nope'"),
    (["fund"], "give a fund id or --file"),
    (["fund", "--file", "/nonexistent.json"], "cannot read"),
    (["whatif", "--file", "-"], "not valid JSON"),
    (["organisations", "--date", "someday"], "Not a valid date"),
    (["dhr", "--district", "erewash", "--date", "2015-01-01", "--cost", "panel-chair=1.00",
      "--ruleset", "/nonexistent.toml"], "cannot be read"),
    (["frobnicate"], "No such command"),
])
def test_errors_exit_2_without_traceback(args: list[str], says: str) -> None:
    done = run(*args, stdin="{not json")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert says in done.stderr
    assert "Traceback" not in done.stderr and not done.stdout


def test_a_ruleset_file_can_replace_the_embedded_one(tmp_path: Path) -> None:
    import rules

    data = rules.to_dict(rules.default_ruleset())
    data["arrangements"]["derbyshire-dhr"]["districts"].append("derby-city")
    file = tmp_path / "mine.toml"
    import tomli_w

    file.write_text(tomli_w.dumps(data))
    done = run("dhr", "--district", "derby-city", "--date", "2015-01-01", "--cost",
               "overview-author=700.00", "--ruleset", str(file), "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert "derby-city-council" in [s["organisation"] for s in body["shares"]]
    assert "southern-derbyshire-ccg" in [s["organisation"] for s in body["shares"]]


def test_token_create_prints_a_working_token(tmp_path: Path) -> None:
    from service.app import create_app

    database = f"sqlite:///{tmp_path / 'tokens.sqlite3'}"
    done = run("token", "create", "--role", "finance", "--name", "Jo Bloggs", database=database)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert token.startswith("apn_") and len(token) > 40
    app = create_app({"DATABASE_URL": database})
    client = app.test_client()
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 200
    assert client.get("/api/v1/audit", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 403
    with app.extensions["apportion.db"].session() as session:
        from sqlalchemy import select

        from service.ledger.tables import Token
        stored = session.scalars(select(Token.digest)).all()
    assert token not in stored and len(stored) == 1
    bad = run("token", "create", "--role", "emperor", "--name", "X", database=database)
    assert bad.returncode == 2 and "Invalid value" in bad.stderr


def test_fund_explanations_stages_and_year_on_year() -> None:
    done = run("fund", "pcc-passported-2013-14")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Previous (home-office-csf-2012-13)" in out
    assert "How each amount was reached:" in out
    assert any("Amber Valley" in line and "asb-officers" in line and "1/8" in line
               for line in out.splitlines())
    assert "Payment stages:" in out and "is paid once this condition is met" in out
    damped = {"fund": {"id": "d", "name": "D", "year": "2013-14", "total": "100.00",
                       "recipients": ["amber-valley-csp", "bolsover-csp"],
                       "follows": "home-office-csf-2012-13",
                       "lines": [{"id": "asb-officers", "kind": "proportional",
                                  "amount": "100.00",
                                  "weights": {"amber-valley-csp": 1, "bolsover-csp": 30},
                                  "damping": {"max_decrease": "99.9", "max_increase": "0"}}]}}
    shown = run("fund", "--file", "-", stdin=json.dumps(damped))
    assert shown.returncode == 0, shown.stderr
    assert "damped: held at its largest allowed decrease" in shown.stdout
