"""What schemathesis checks on the real server, pinned at the test client (both databases where
the ledger is involved): one route per URL (405 with the right Allow), every answer's content
type in the OpenAPI document, the document stating what the service refuses, and hostile
paths on the web app's pages as well as the API's."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.service.conftest import Ledger
from tests.service.test_hostile import problem

CASE = {"reference": "DHR/2015/01", "district": "erewash", "commissioned": "2015-01-01"}
COST = {"item": "panel-chair", "amount": "700.00", "incurred": "2015-02-01"}
PROBLEM_JSON = "application/problem+json"


def open_case(ledger: Ledger, client: FlaskClient) -> int:
    assert client.post("/api/v1/cases", json=CASE, headers=ledger.headers()).status_code == 201
    added = client.post("/api/v1/cases/DHR/2015/01/costs", json=COST, headers=ledger.headers())
    assert added.status_code == 201, added.get_json()
    return int(added.get_json()["id"])


def allowed(response: Any) -> set[str]:
    return {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}


# --- one route per URL: a reference never swallows /costs, /billing, /rebill ---------------

@pytest.mark.parametrize(("method", "suffix", "methods"), [
    ("PATCH", "/costs", {"POST", "OPTIONS"}),
    ("GET", "/costs", {"POST", "OPTIONS"}),
    ("PATCH", "/billing", {"POST", "OPTIONS"}),
    ("GET", "/billing", {"POST", "OPTIONS"}),
    ("PATCH", "/rebill", {"POST", "OPTIONS"}),
    ("GET", "/costs/{id}", {"PATCH", "OPTIONS"}),
    ("POST", "/costs/{id}", {"PATCH", "OPTIONS"}),
    ("DELETE", "", {"GET", "HEAD", "PATCH", "OPTIONS"}),
])
def test_a_wrong_method_on_a_case_route_is_405_naming_that_route_s_methods(
        ledger: Ledger, method: str, suffix: str, methods: set[str]) -> None:
    client = ledger.client()
    cost = open_case(ledger, client)
    path = "/api/v1/cases/DHR/2015/01" + suffix.replace("{id}", str(cost))
    response = client.open(path, method=method, json={"date": "2015-03-01"},
                           headers=ledger.headers())
    problem(response, 405)
    assert allowed(response) == methods
    options = client.options(path, headers=ledger.headers())
    assert options.status_code == 200 and allowed(options) == methods


@pytest.mark.parametrize("reference", ["DHR/costs", "DHR/2015/billing", "A/rebill/1",
                                       "A/details", "A/documents/x", "A//B", "A/./B", "A/../B",
                                       "A/", "new", "A/.hidden"])
def test_a_reference_a_url_could_not_name_is_refused(ledger: Ledger, reference: str) -> None:
    client = ledger.client()
    found = problem(client.post("/api/v1/cases", json={**CASE, "reference": reference},
                                headers=ledger.headers()), 422)
    assert "reference" in found["errors"], found
    open_case(ledger, client)
    renamed = problem(client.patch("/api/v1/cases/DHR/2015/01", json={"reference": reference},
                                   headers=ledger.headers()), 422)
    assert "reference" in renamed["errors"], renamed


@pytest.mark.parametrize("reference", ["DHR/2015/01", "DHR-2013-02", "costs/2015", "new/1",
                                       "A/costs2", "R.1_x-2/B", "X" * 40])
def test_every_reference_accepted_reaches_every_case_route(ledger: Ledger,
                                                           reference: str) -> None:
    client = ledger.client()
    made = client.post("/api/v1/cases", json={**CASE, "reference": reference},
                       headers=ledger.headers())
    assert made.status_code == 201, made.get_json()
    base = f"/api/v1/cases/{reference}"
    cost = client.post(f"{base}/costs", json=COST, headers=ledger.headers())
    assert cost.status_code == 201, cost.get_json()
    revised = client.patch(f"{base}/costs/{cost.get_json()['id']}", json={"amount": "701.00"},
                           headers=ledger.headers())
    assert revised.status_code == 200, revised.get_json()
    billed = client.post(f"{base}/billing", json={"date": "2015-03-01"},
                         headers=ledger.headers())
    assert billed.status_code == 201, billed.get_json()
    preview = client.post(f"{base}/rebill", json={"date": "2015-03-02", "dry_run": True},
                          headers=ledger.headers())
    assert preview.status_code == 200, preview.get_json()
    got = client.get(base, headers=ledger.headers())
    assert got.status_code == 200 and got.get_json()["reference"] == reference
    page = ledger.sign_in("finance").get(f"/cases/{reference}")
    assert page.status_code == 200 and reference in page.get_data(as_text=True)


@pytest.mark.parametrize("cost_id", ["2147483648", "9223372036854775808", "0", "99999999999"])
def test_a_cost_id_beyond_the_integer_range_is_404_not_the_case_route(ledger: Ledger,
                                                                     cost_id: str) -> None:
    client = ledger.client()
    open_case(ledger, client)
    problem(client.patch(f"/api/v1/cases/DHR/2015/01/costs/{cost_id}",
                         json={"amount": "1.00"}, headers=ledger.headers()), 404)


# --- the web app's pages: bounded path ids, never a 5xx -----------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/cases/DHR%00X"), ("GET", "/cases/DHR%01X"), ("GET", "/cases/%7F"),
    ("GET", "/cases/" + "A" * 41), ("GET", "/cases/DHR/2015/01%00"),
    ("GET", "/cases/DHR/2015/01/costs/1%00"), ("GET", "/cases/DHR/2015/01/costs/99999999999"),
    ("POST", "/cases/DHR%00X/costs"), ("POST", "/cases/DHR%1bX/billing"),
    ("POST", "/cases/DHR%00X/details"), ("POST", "/cases/DHR%00/documents/INV-1/send"),
    ("POST", "/cases/DHR/2015/01/documents/INV%00/send"),
    ("GET", "/payments/99999999999/reversal"), ("POST", "/payments/2147483648/reversal"),
    ("POST", "/admin/users/99999999999"), ("POST", "/admin/tokens/2147483648/revoke"),
    ("GET", "/partners/erewash%00council"), ("GET", "/awards/AW%00"),
    ("GET", "/assets/%00"), ("GET", "/api/docs/assets/x%00.js"),
])
def test_hostile_page_paths_are_4xx_never_5xx(ledger: Ledger, method: str, path: str) -> None:
    client = ledger.sign_in("admin")
    open_case(ledger, ledger.client())
    response = client.open(path, method=method, data={})
    assert 400 <= response.status_code < 500, (path, response.status_code,
                                               response.get_data(as_text=True)[:300])


# --- the OpenAPI document: every answer's content type, the refusals it states -------------

def _document(app: Flask) -> dict[str, Any]:
    found: dict[str, Any] = app.test_client().get("/api/openapi.json").get_json()
    return found


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method != "parameters"]


def _response(document: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in response:
        found: dict[str, Any] = document["components"]["responses"][
            response["$ref"].rsplit("/", 1)[1]]
        return found
    return response


def test_every_refusal_is_documented_as_problem_json(app: Flask) -> None:
    document = _document(app)
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status == "default" or int(status) >= 400:
                content = _response(document, response).get("content", {})
                assert set(content) == {PROBLEM_JSON}, (method, path, status, content)


@pytest.mark.parametrize(("path", "method", "types"), [
    ("/api/v1/organisations/{organisation}/statement", "get",
     {"application/json", "application/pdf"}),
    ("/api/v1/funds/{fund_id}/360giving", "get", {"application/json", "text/csv"}),
    ("/api/v1/invoices/{number}/pdf", "get", {"application/pdf"}),
    ("/api/v1/reports/board", "get", {"application/json", "text/csv",
                                      "application/vnd.openxmlformats-officedocument."
                                      "spreadsheetml.sheet"}),
])
def test_every_success_content_type_is_documented(app: Flask, path: str, method: str,
                                                  types: set[str]) -> None:
    content = _document(app)["paths"][path][method]["responses"]["200"]["content"]
    assert set(content) == types


def _string_parameters(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            parameters = item.get("parameters", []) + (
                operation.get("parameters", []) if method != "parameters" else [])
            for parameter in parameters:
                schema = parameter["schema"]
                if schema.get("type") == "string" and "enum" not in schema:
                    found.append((path, parameter["name"], schema))
    return found


def test_every_text_parameter_documents_that_control_characters_are_refused(app: Flask) -> None:
    # The service refuses control characters in any path or query value (404 / 400); the
    # document must say so, or a schema-valid request is refused.
    for path, name, schema in _string_parameters(_document(app)):
        pattern = schema.get("pattern")
        assert pattern, (path, name, schema)
        for control in ("\x00", "\x01", "\x1f", "\x7f", "\n"):
            assert not re.search(pattern, f"a{control}b"), (path, name, pattern)


def test_text_fields_state_length_and_characters(app: Flask) -> None:
    issuer = _document(app)["components"]["schemas"]["Issuer"]["properties"]
    for name in ("name", "address", "telephone", "vat_statement", "remittance"):
        assert {"maxLength", "pattern", "minLength"} <= set(issuer[name]), (name, issuer[name])
        assert not re.search(issuer[name]["pattern"], "   "), name  # blank is refused
        assert not re.search(issuer[name]["pattern"], "a\x00b"), name


def test_dates_state_the_plausible_range(app: Flask) -> None:
    date = _document(app)["components"]["schemas"]["DhrRequest"]["properties"]["date"]
    pattern = date["pattern"]
    assert re.search(pattern, "2013-05-01") and re.search(pattern, "2100-12-31")
    for implausible in ("1989-12-31", "2101-01-01", "0000-01-01", "2013-13-01"):
        assert not re.search(pattern, implausible), implausible


@pytest.mark.parametrize(("body", "field"), [
    ({"district": "erewash\n", "date": "2015-01-01",
      "costs": [{"item": "overview-author", "amount": "1.00"}]}, "district"),
    ({"district": "erewash", "date": "2015-01-01",
      "costs": [{"item": "overview-author\n", "amount": "1.00"}]}, "costs.0.item"),
])
def test_an_id_with_a_trailing_newline_is_not_an_id(client: FlaskClient, body: dict[str, Any],
                                                    field: str) -> None:
    found = problem(client.post("/api/v1/dhr/apportion", json=body), 422)
    assert found["errors"][field] == ["not a valid id"], found


def test_a_query_with_a_control_character_is_refused_by_its_documented_pattern(
        app: Flask) -> None:
    cases = _document(app)["paths"]["/api/v1/cases"]["get"]["parameters"]
    q = next(p for p in cases if p["name"] == "q")["schema"]
    assert not re.search(q["pattern"], "DHR\x07")


@pytest.mark.parametrize(("path", "name"), [("/api/v1/reports/board", "year")])
def test_a_financial_year_s_pattern_refuses_what_the_service_refuses(app: Flask, path: str,
                                                                   name: str) -> None:
    parameters = _document(app)["paths"][path]["get"]["parameters"]
    pattern = next(p for p in parameters if p["name"] == name)["schema"]["pattern"]
    for good in ("2013-14", "1999-00", "0001-02", "9998-99"):
        assert re.search(pattern, good), good
    for bad in ("2013-15", "2013-13", "0000-01", "9999-00", "2013", "13-14"):
        assert not re.search(pattern, bad), bad


def test_the_case_list_year_pattern(app: Flask) -> None:
    parameters = _document(app)["paths"]["/api/v1/cases"]["get"]["parameters"]
    pattern = next(p for p in parameters if p["name"] == "year")["schema"]["pattern"]
    for good in ("2015", "2015-16", "1999-00"):
        assert re.search(pattern, good), good
    for bad in ("1998-82", "2015-17", "1815", "2015\n"):
        assert not re.fullmatch(pattern, bad), bad


def test_scenario_changes_are_documented_as_change_objects(app: Flask) -> None:
    changes = _document(app)["components"]["schemas"]["CompareRequest"]["properties"]["changes"]
    assert changes["items"] == {"allOf": [{"$ref": "#/components/schemas/Change"}]}


@pytest.mark.parametrize("name", ["   ", "a\x7fb", "tab\there"])
def test_a_token_name_the_ledger_refuses_the_document_refuses(app: Flask, name: str) -> None:
    token = _document(app)["components"]["schemas"]["TokenRequest"]["properties"]
    for field in ("name", "owner"):
        assert not re.search(token[field]["pattern"], name), (field, name)


def test_free_text_of_an_inline_fund_states_that_nul_is_refused(app: Flask) -> None:
    schemas = _document(app)["components"]["schemas"]
    for schema, field in (("InlineFund", "name"), ("InlineFund", "source"),
                          ("LineFixed", "name"), ("Bid", "name"), ("Stage", "condition"),
                          ("ConditionRequest", "note"), ("RecoveryRequest", "reason")):
        pattern = schemas[schema]["properties"][field]["pattern"]
        assert re.search(pattern, "Chair, 2013") and not re.search(pattern, "a\x00b"), field


def test_a_passport_line_names_at_least_one_line(app: Flask) -> None:
    passport = _document(app)["components"]["schemas"]["LinePassport"]
    assert passport["properties"]["lines"]["minItems"] == 1
    assert {"fund", "lines"} <= set(passport["required"])


def test_every_operation_with_an_id_in_its_path_documents_its_404(app: Flask) -> None:
    document = _document(app)
    for method, path, operation in _operations(document):
        if "{" in path:
            response = _response(document, operation["responses"].get("404", {}))
            assert set(response.get("content", {})) == {PROBLEM_JSON}, (method, path)
