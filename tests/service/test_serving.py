"""Issue 10 at the test client: each defect found when the service was tried as an operator
would, with the test that now catches it (both databases where the ledger is involved)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from service.cli.commands import cli
from service.ledger import audit
from service.ledger.tables import AuditEvent, Token
from service.wire import requests
from service.wire.fields import Day, Strict
from tests.service import invariants
from tests.service.conftest import PASSWORD, Ledger, csrf_token
from tests.service.test_hostile import problem

CASE = {"reference": "DHR-2015-01", "district": "erewash", "commissioned": "2015-01-01"}
COST = {"item": "panel-chair", "amount": "700.00", "incurred": "2015-02-01"}


def open_case(ledger: Ledger, client: FlaskClient) -> int:
    assert client.post("/api/v1/cases", json=CASE, headers=ledger.headers()).status_code == 201
    added = client.post("/api/v1/cases/DHR-2015-01/costs", json=COST, headers=ledger.headers())
    assert added.status_code == 201, added.get_json()
    return int(added.get_json()["id"])


# --- ids bounded by the converters: a value the database cannot hold never reaches it -----

@pytest.mark.parametrize("cost_id", ["2147483648", "9223372036854775808", "0", "99999999999"])
def test_a_cost_id_beyond_the_integer_range_is_404(ledger: Ledger, cost_id: str) -> None:
    client = ledger.client()
    open_case(ledger, client)
    response = client.patch(f"/api/v1/cases/DHR-2015-01/costs/{cost_id}",
                            json={"amount": "1.00"}, headers=ledger.headers())
    # The id route refuses the id, and no reference ends in /costs/<id> (so the case route
    # cannot take the whole path): a 404, never a database error.
    problem(response, 404)


@pytest.mark.parametrize("path", [
    "/api/v1/cases/DHR%00X", "/api/v1/cases/DHR-2015-01%00/costs/1",
    "/api/v1/organisations/erewash%00council/statement", "/api/v1/invoices/INV%00/paid",
    "/api/v1/funds/x%00y", "/api/v1/arrangements/%00", "/api/v1/cases/" + "A" * 41,
    "/api/v1/tokens/%00",
])
def test_a_nul_byte_or_overlong_id_in_a_path_is_404(ledger: Ledger, path: str) -> None:
    client = ledger.client()
    for method in ("GET", "POST", "PATCH", "DELETE"):
        response = client.open(path, method=method, json={"date": "2015-03-01"},
                               headers=ledger.headers("admin"))
        assert response.status_code in (404, 405), (method, path, response.status_code)
        problem(response, response.status_code)


@pytest.mark.parametrize("after", ["2147483648", "99999999999999999999", "-1"])
def test_audit_after_beyond_the_integer_range_is_422(ledger: Ledger, after: str) -> None:
    found = problem(ledger.client().get(f"/api/v1/audit?after={after}",
                                        headers=ledger.headers("admin")), 422)
    assert "after" in found["errors"]


@pytest.mark.parametrize("query", ["case=DHR%00", "organisation=a%00b", "status=open%00",
                                   "x%01=1"])
def test_control_characters_in_a_query_are_refused(ledger: Ledger, query: str) -> None:
    response = ledger.client().get(f"/api/v1/invoices?{query}", headers=ledger.headers())
    assert response.status_code in (400, 422)
    problem(response, response.status_code)


# --- text the database cannot store, numbers out of range: 422 naming the field -----------

@pytest.mark.parametrize(("body", "field"), [
    ({**CASE, "reference": "DHR\u0000"}, "reference"),
    ({**CASE, "district": "erewash\u0000"}, "district"),
    ({**CASE, "health_body": "\ud800"}, "health_body"),
    ({**CASE, "reference\u0000": "x"}, "body"),
])
def test_text_no_database_can_store_is_422(ledger: Ledger, body: dict[str, Any],
                                          field: str) -> None:
    raw = json.dumps(body).encode()  # json.dumps keeps \\ud800 escaped, as a client would
    response = ledger.client().post("/api/v1/cases", data=raw, content_type="application/json",
                                    headers=ledger.headers())
    found = problem(response, 422)
    assert field in found["errors"], found


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1E400", "100", "1.5", "0"])
def test_money_as_any_json_number_is_422_naming_the_field(client: FlaskClient,
                                                          number: str) -> None:
    raw = ('{"district": "erewash", "date": "2015-01-01", "costs": [{"item": "overview-author",'
           f' "amount": {number}}}]}}')
    found = problem(client.post("/api/v1/dhr/apportion", data=raw,
                                content_type="application/json"), 422)
    assert "costs.0.amount" in found["errors"], found


@pytest.mark.parametrize("value", ["20130501", "2013-5-1", "2013-05-01T00:00", "+2013-05-01",
                                   "2013-W18-3", "2013-121", " 2013-05-01"])
def test_dates_are_strictly_yyyy_mm_dd(client: FlaskClient, value: str) -> None:
    found = problem(client.post("/api/v1/dhr/apportion", json={
        "district": "erewash", "date": value,
        "costs": [{"item": "overview-author", "amount": "1.00"}]}), 422)
    assert "date" in found["errors"]


def test_every_request_date_is_strict() -> None:
    # A schema added later with a plain marshmallow Date would accept "20130501" again.
    for name in requests.__all__:
        schema = getattr(requests, name)
        if isinstance(schema, type) and issubclass(schema, Strict):
            for field_name, field in schema().fields.items():
                if type(field).__name__ == "Date":
                    assert isinstance(field, Day), f"{name}.{field_name} is not a Day"


@pytest.mark.parametrize("year", ["0000-01", "9999-00"])
def test_an_inline_fund_year_out_of_the_calendar_is_422(client: FlaskClient, year: str) -> None:
    fund = {"id": "x", "name": "X", "year": year, "total": "1.00", "recipients": ["erewash-csp"],
            "lines": [{"id": "a", "kind": "residual"}]}
    found = problem(client.post("/api/v1/funds/allocate", json={"fund": fund}), 422)
    assert "fund.year" in found["errors"], found


def test_an_xlsx_export_survives_control_characters_in_names(client: FlaskClient) -> None:
    """Issue 10: a successor named with a control character made the what-if XLSX a 500."""
    change = {"op": "replace-organisation", "organisation": "erewash-council",
              "date": "2014-01-01", "successors": [
                  {"id": "new-erewash", "name": "New\x07 Erewash\x1b =1+1",
                   "kind": "district-council"}]}
    response = client.post("/api/v1/scenarios/compare?format=xlsx", json={
        "changes": [change], "dhr": [{
            "district": "erewash", "date": "2015-01-01",
            "costs": [{"item": "overview-author", "amount": "100.00"}]}]})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    sheet = load_workbook(io.BytesIO(response.get_data()))["DHR by organisation"]
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "New\ufffd Erewash\ufffd =1+1" in names, names


def test_export_cells_are_safe() -> None:
    from service.wire.cells import cell

    assert cell("Bell\x07\x00") == "Bell\ufffd\ufffd"
    assert cell("=1+1") == "'=1+1" and cell("-5.00") == "-5.00" and cell(3) == 3
    assert cell("line\nbreak\ttab") == "line\nbreak\ttab"


@pytest.mark.parametrize("target", ["/cases\r\nSet-Cookie: x=1", "/cases\n", "/\x00",
                                    "//evil.example/", "https://evil.example/", "/\\evil"])
def test_sign_in_next_with_cr_lf_is_never_a_header(ledger: Ledger, target: str) -> None:
    client = ledger.client()
    control = any(ord(c) < 32 for c in target)  # refused in any query string: 400
    assert client.get("/sign-in", query_string={"next": target}).status_code == (
        400 if control else 200)
    ledger.sign_in("viewer", client)  # an account exists and is signed in on this client
    signed_out = ledger.client()
    response = signed_out.post("/sign-in", data={
        "email": "viewer@example.org", "password": PASSWORD, "next": target,
        "csrf_token": csrf_token(signed_out, "/sign-in")})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location in ("/", target.strip()) and location.isprintable(), location
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    again = client.get("/sign-in", query_string={"next": target})
    assert again.status_code == 400 if control else again.headers["Location"] == "/"
    assert "x=1" not in again.headers.get("Set-Cookie", "")


# --- contract: Allow on 405, idempotency per credential and canonical --------------------

@pytest.mark.parametrize(("method", "path"), [("DELETE", "/api/v1/districts"),
                                              ("GET", "/api/v1/dhr/apportion"),
                                              ("PUT", "/api/v1/cases")])
def test_405_says_what_is_allowed(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path, method=method)
    problem(response, 405)
    assert response.headers.get("Allow"), response.headers


def test_idempotency_keys_are_per_credential_and_canonical(ledger: Ledger) -> None:
    client = ledger.client()
    assert client.post("/api/v1/cases", json=CASE, headers=ledger.headers()).status_code == 201
    body = json.dumps(COST)
    reordered = json.dumps(dict(reversed(list(COST.items()))), indent=2)
    first = client.post("/api/v1/cases/DHR-2015-01/costs", data=body,
                        content_type="application/json",
                        headers=ledger.headers("finance", **{"Idempotency-Key": "k1"}))
    again = client.post("/api/v1/cases/DHR-2015-01/costs", data=reordered,
                        content_type="application/json",
                        headers=ledger.headers("finance", **{"Idempotency-Key": "k1"}))
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()  # a retry, however its keys are laid out
    other = client.post("/api/v1/cases/DHR-2015-01/costs", data=body,
                        content_type="application/json",
                        headers=ledger.headers("admin", **{"Idempotency-Key": "k1"}))
    assert other.status_code == 201 and other.get_json()["id"] != first.get_json()["id"]
    changed = client.post("/api/v1/cases/DHR-2015-01/costs", json={**COST, "amount": "1.00"},
                          headers=ledger.headers("finance", **{"Idempotency-Key": "k1"}))
    problem(changed, 409)


@pytest.mark.parametrize("key", ["", "a" * 201, "caf\u00e9", "a b", "x\ty"])
def test_bad_idempotency_keys_are_422(ledger: Ledger, key: str) -> None:
    response = ledger.client().post(
        "/api/v1/cases", json=CASE,
        headers={**ledger.headers(), "Idempotency-Key": key.encode().decode("latin-1")})
    assert "Idempotency-Key" in problem(response, 422)["errors"]


# --- audit: billing's changes, the actor, append-only in the database --------------------

def test_billing_changes_are_audited_with_before_after_and_the_credential(
        ledger: Ledger) -> None:
    client = ledger.client()
    cost_id = open_case(ledger, client)
    billed = client.post("/api/v1/cases/DHR-2015-01/billing", json={"date": "2015-03-01"},
                         headers=ledger.headers())
    assert billed.status_code == 201
    events = [e for e in client.get("/api/v1/audit", headers=ledger.headers("admin"))
              .get_json()["events"] if e["action"] != "create-token"]  # the fixture's
    groups = [e for e in events if e["action"] == "billing:split-group"]
    tranches = [e for e in events if e["action"] == "billing:tranche"]
    assert len(groups) == 1 and groups[0]["after"]["split"]
    assert tranches and all(e["entity_id"] == str(cost_id) for e in tranches)
    assert tranches[0]["before"]["split_id"] is None
    assert str(tranches[0]["after"]["split_id"]) == groups[0]["entity_id"]
    assert any(e["after"].get("billed_amount") == 70000 for e in tranches)
    with ledger.app.extensions["apportion.db"].session() as session:
        finance_id = session.scalar(select(Token.id).where(Token.name == "test finance"))
    assert {e["actor_id"] for e in events} == {f"token:{finance_id}"}
    assert all(e["actor"] == "test finance (finance)" for e in events)


def test_the_audit_log_is_append_only_in_the_database(ledger: Ledger) -> None:
    database = ledger.app.extensions["apportion.db"]
    with database.session() as session:
        audit.record(session, "tester", "test", "case", "x", None, {"a": 1})
        session.commit()
    for statement in (update(AuditEvent).values(actor="forger"), delete(AuditEvent)):
        with database.session() as session, pytest.raises(DatabaseError,
                                                          match="append-only"):
            session.execute(statement)
            session.commit()
    if ledger.backend == "postgresql":
        with database.session() as session, pytest.raises(DatabaseError, match="append-only"):
            session.execute(text("TRUNCATE audit_events"))
    with database.session() as session:
        assert session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "test")) \
            == "tester"


# --- tokens: lifecycle by API and CLI ----------------------------------------------------

def test_tokens_are_listed_created_and_revoked_with_effect_at_once(ledger: Ledger) -> None:
    client = ledger.client()
    admin = ledger.headers("admin")
    made = client.post("/api/v1/tokens", json={"name": "import job", "owner": "Jo Bloggs",
                                               "role": "viewer", "days": 30}, headers=admin)
    assert made.status_code == 201, made.get_json()
    token = made.get_json()
    assert token["token"].startswith("apn_") and token["owner"] == "Jo Bloggs"
    assert token["active"] and token["revoked"] is None and token["expires"]
    own = {"Authorization": f"Bearer {token['token']}"}
    assert client.get("/api/v1/cases", headers=own).status_code == 200
    listed = client.get("/api/v1/tokens", headers=admin).get_json()["tokens"]
    assert [t["name"] for t in listed][-1] == "import job"
    assert all("token" not in t and "digest" not in t for t in listed)
    assert client.get("/api/v1/tokens", headers=own).status_code == 403
    revoked = client.delete(f"/api/v1/tokens/{token['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.get_json()["active"] is False
    problem(client.get("/api/v1/cases", headers=own), 401)
    problem(client.delete(f"/api/v1/tokens/{token['id']}", headers=admin), 409)
    problem(client.delete("/api/v1/tokens/2147483647", headers=admin), 404)
    found = problem(client.post("/api/v1/tokens", json={"name": "x", "role": "god"},
                                headers=admin), 422)
    assert "role" in found["errors"]


def test_an_expired_token_is_refused(ledger: Ledger) -> None:
    client = ledger.client()
    database = ledger.app.extensions["apportion.db"]
    with database.session() as session:
        session.execute(update(Token).where(Token.name == "test viewer").values(
            expires_at=audit.now() - timedelta(seconds=1)))
        session.commit()
    problem(client.get("/api/v1/cases", headers=ledger.headers("viewer")), 401)
    assert client.get("/api/v1/cases", headers=ledger.headers("finance")).status_code == 200


def test_token_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    runner = CliRunner()
    made = runner.invoke(cli, ["token", "create", "--role", "finance", "--name", "Jo Bloggs",
                               "--days", "7"])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith("apn_")
    listed = runner.invoke(cli, ["token", "list", "--json"])
    tokens = json.loads(listed.stdout)["tokens"]
    assert [(t["id"], t["name"], t["role"], t["active"]) for t in tokens] == [
        (1, "Jo Bloggs", "finance", True)]
    assert runner.invoke(cli, ["token", "revoke", "1"]).exit_code == 0
    again = runner.invoke(cli, ["token", "revoke", "1"])
    assert again.exit_code == 2 and "revoked already" in again.output
    assert runner.invoke(cli, ["token", "revoke", "99"]).exit_code == 2
    assert runner.invoke(cli, ["token", "create", "--role", "finance", "--name", "x",
                               "--days", "0"]).exit_code == 2
    human = runner.invoke(cli, ["token", "list"])
    assert "revoked" in human.stdout and "Jo Bloggs" in human.stdout


# --- headers: security, request ids, cache --------------------------------------------

def test_security_headers_and_request_ids(ledger: Ledger) -> None:
    client = ledger.client()
    response = client.get("/api/v1/cases", headers=ledger.headers())
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert len(response.headers["X-Request-Id"]) == 32
    given = client.get("/healthz", headers={"X-Request-Id": "edge-42.a:b"})
    assert given.headers["X-Request-Id"] == "edge-42.a:b"
    hostile = client.get("/healthz", headers={"X-Request-Id": "x" * 101})
    assert hostile.headers["X-Request-Id"] != "x" * 101
    refused = client.get("/api/v1/cases")
    assert refused.status_code == 401 and refused.headers["Cache-Control"] == "no-store"


def test_each_security_header_is_sent_once(ledger: Ledger) -> None:
    client = ledger.client()
    for response in (client.get("/api/v1/cases", headers=ledger.headers()),
                     client.get("/sign-in"), client.get("/api/v1/cases"),
                     client.post("/api/v1/dhr/apportion", json={"district": "x"})):
        for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
                     "Referrer-Policy", "Cache-Control", "X-Request-Id"):
            assert len(response.headers.getlist(name)) == 1, (response.request.path, name)


def test_the_api_opens_no_browser_session(ledger: Ledger) -> None:
    """The JSON API takes bearer tokens: it neither reads nor sets the pages' cookie."""
    client = ledger.client()
    client.get("/sign-in")  # the pages' form cookie is set
    assert client.get_cookie("apportion_form") is not None
    answer = client.post("/api/v1/dhr/apportion", json={
        "district": "erewash", "date": "2014-05-01",
        "costs": [{"item": "overview-author", "amount": "100.00"}]})
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    assert "Cookie" not in answer.headers.get("Vary", "")


def test_text_a_database_cannot_hold_is_refused_wherever_it_is_escaped(ledger: Ledger) -> None:
    client = ledger.client()
    for raw in ('{"district": "a\\u0000b", "date": "2014-05-01", "costs": []}',
                '{"district\\u0000": "x"}', '{"district": "\\ud800"}'):
        answer = client.post("/api/v1/dhr/apportion", data=raw,
                             content_type="application/json")
        assert answer.status_code in (400, 422), raw
        assert answer.status_code != 422 or (answer.json or {}).get("errors"), raw


def test_pages_get_the_same_policy(ledger: Ledger) -> None:
    response = ledger.client().get("/sign-in")
    assert response.status_code == 200 and response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"


# --- operations: readiness, metrics, backup and restore -------------------------------

def test_readyz_says_the_database_is_reachable_and_current(ledger: Ledger) -> None:
    response = ledger.client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "database": "reachable",
                                   "migration": ledger.app.extensions["apportion.db"].head()}


def test_readyz_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    from service.app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}"})
    database = app.extensions["apportion.db"]
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "0001" in response.get_json()["detail"]


def test_metrics_count_requests_billing_runs_and_documents(ledger: Ledger) -> None:
    client = ledger.client()

    def sample(name: str, **labels: str) -> float:
        text_ = client.get("/metrics").get_data(as_text=True)
        want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        total = 0.0
        for line in text_.splitlines():
            if line.startswith(name + "{"):
                found = line[len(name) + 1:line.index("}")]
                if all(part in found.split(",") for part in want.split(",") if part):
                    total += float(line.rsplit(" ", 1)[1])
        return total

    runs, invoices = sample("apportion_billing_runs_total", kind="bill"), sample(
        "apportion_documents_issued_total", kind="invoice")
    open_case(ledger, client)
    issued = client.post("/api/v1/cases/DHR-2015-01/billing", json={"date": "2015-03-01"},
                         headers=ledger.headers()).get_json()["documents"]
    assert sample("apportion_billing_runs_total", kind="bill") == runs + 1
    assert sample("apportion_documents_issued_total", kind="invoice") == invoices + len(issued)
    assert sample("apportion_http_requests_total", route="/api/v1/cases", method="POST",
                  status="201") >= 1


def test_backup_and_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.app import create_app

    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    from service.ledger import tokens

    with app.extensions["apportion.db"].session() as session:
        secret = tokens.create_token(session, "t", "finance")
        session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.post("/api/v1/cases", json=CASE, headers=headers).status_code == 201
    runner = CliRunner()
    copy = tmp_path / "copy.sqlite3"
    assert runner.invoke(cli, ["backup", str(copy)]).exit_code == 0
    exists = runner.invoke(cli, ["backup", str(copy)])
    assert exists.exit_code == 2 and "exists" in exists.output
    assert client.post("/api/v1/cases", json={**CASE, "reference": "DHR-LATER"},
                       headers=headers).status_code == 201
    refused = runner.invoke(cli, ["restore", str(copy)])
    assert refused.exit_code == 2 and "--force" in refused.output
    assert runner.invoke(cli, ["restore", str(copy), "--force"]).exit_code == 0
    app.extensions["apportion.db"].dispose()
    cases = client.get("/api/v1/cases", headers=headers).get_json()["cases"]
    assert [c["reference"] for c in cases] == ["DHR-2015-01"]
    not_a_backup = tmp_path / "junk.sqlite3"
    not_a_backup.write_bytes(b"junk" * 100)
    assert runner.invoke(cli, ["restore", str(not_a_backup), "--force"]).exit_code == 2
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    pg = runner.invoke(cli, ["backup", str(tmp_path / "pg.sqlite3")])
    assert pg.exit_code == 2 and "pg_dump" in pg.output


def test_invariants_hold_after_the_audited_billing(ledger: Ledger) -> None:
    client = ledger.client()
    cost_id = open_case(ledger, client)
    for date_ in ("2015-03-01", "2015-04-01"):
        assert client.post("/api/v1/cases/DHR-2015-01/billing", json={"date": date_},
                           headers=ledger.headers()).status_code == 201
        client.patch(f"/api/v1/cases/DHR-2015-01/costs/{cost_id}", json={"amount": "1000.00"},
                     headers=ledger.headers())
    assert client.post("/api/v1/cases/DHR-2015-01/rebill", json={"date": "2015-05-01"},
                       headers=ledger.headers()).status_code == 201
    invariants.check(ledger.app)


def test_answers_refused_before_the_app_runs_carry_the_headers(client: FlaskClient) -> None:
    """A body past the limit is refused by the body buffer, before Flask sees the request:
    the security headers and the request id still go out, once each."""
    refused = client.post("/api/v1/dhr/apportion", data=b"x" * (2 * 1024 * 1024),
                          content_type="application/json", headers={"X-Request-Id": "big-1"})
    assert refused.status_code == 413
    assert refused.headers["X-Request-Id"] == "big-1"
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
                 "Referrer-Policy", "Cache-Control"):
        assert len(refused.headers.getlist(name)) == 1, name


def test_the_api_docs_page_may_run_only_its_own_inline_code(client: FlaskClient) -> None:
    page = client.get("/api/docs")
    csp = page.headers["Content-Security-Policy"]
    assert page.status_code == 200 and len(page.headers.getlist("Content-Security-Policy")) == 1
    assert "unsafe-inline" not in csp and "default-src 'self'" in csp


def test_static_assets_may_be_cached(client: FlaskClient) -> None:
    asset = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and asset.headers.get("Cache-Control") != "no-store"
    assert asset.headers["X-Frame-Options"] == "DENY"


def test_api_reads_never_wait_for_a_writer(ledger: Ledger) -> None:
    """A GET of the API with a bearer token takes no write lock: while another connection holds
    SQLite's write lock (a billing run in progress, say), the read answers at once from the
    last committed state; a write still waits for the lock (DESIGN.md §10)."""
    import sqlite3
    import time

    if ledger.backend != "sqlite":
        pytest.skip("PostgreSQL readers never take a write lock")
    client = ledger.client()
    created = client.post("/api/v1/cases", headers=ledger.headers(), json={
        "reference": "DHR-READ-1", "district": "erewash", "commissioned": "2014-05-01"})
    assert created.status_code == 201
    url = ledger.app.extensions["apportion.db"].url
    writer = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        for path in ("/api/v1/cases", "/api/v1/cases/DHR-READ-1", "/api/v1/invoices",
                     "/api/v1/reports/aged-debt?date=2014-06-01"):
            answer = client.get(path, headers=ledger.headers("viewer"))
            assert answer.status_code == 200, (path, answer.get_data(as_text=True))
        assert time.monotonic() - started < 5
        listed = client.get("/api/v1/cases", headers=ledger.headers()).get_json()
        assert any(c["reference"] == "DHR-READ-1" for c in listed["cases"])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
