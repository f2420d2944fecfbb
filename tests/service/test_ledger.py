"""The invoicing ledger through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.ledger import billing as ledger_module
from service.ledger.tables import AuditEvent, Document, Series, Tranche
from tests.service import invariants
from tests.service.conftest import Ledger


def post(client: FlaskClient, ledger: Ledger, path: str, body: Any, role: str = "finance",
         **headers: str) -> Any:
    return client.post(f"/api/v1{path}", json=body, headers=ledger.headers(role, **headers))


def documents(response: Any) -> list[tuple[str, str, str]]:
    assert response.status_code in (200, 201), response.get_json()
    return [(d["kind"], d["organisation"], d["amount"]) for d in response.get_json()["documents"]]


def open_case(ledger: Ledger, client: FlaskClient, reference: str = "DHR-2013-02",
              district: str = "amber-valley", **extra: str) -> None:
    response = post(client, ledger, "/cases", {"reference": reference, "district": district,
                                               "commissioned": "2012-10-01", **extra})
    assert response.status_code == 201, response.get_json()


def cost(ledger: Ledger, client: FlaskClient, amount: str, incurred: str,
         item: str = "overview-author", reference: str = "DHR-2013-02") -> int:
    response = post(client, ledger, f"/cases/{reference}/costs",
                    {"item": item, "amount": amount, "incurred": incurred})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["billed"] is False and body["amount"] == amount
    return int(body["id"])


def test_a_finance_officer_bills_corrects_and_is_paid(ledger: Ledger) -> None:
    client = ledger.client()
    open_case(ledger, client)
    first = cost(ledger, client, "2000.00", "2013-01-10")
    issued = documents(post(client, ledger, "/cases/DHR-2013-02/billing", {"date": "2013-02-01"}))
    assert issued == [("invoice", o, a) for o, a in [
        ("derbyshire-constabulary", "333.34"), ("derbyshire-county-council", "333.34"),
        ("derbyshire-probation-trust", "333.33"), ("derbyshire-fire-rescue", "333.33"),
        ("derbyshire-county-pct", "333.33"), ("amber-valley-council", "333.33")]]
    invariants.check(ledger.app)
    # nothing new: an empty run
    assert documents(post(client, ledger, "/cases/DHR-2013-02/billing",
                          {"date": "2013-02-02"})) == []
    # a revision of a billed tranche settles under that tranche's own (2013-02) split
    revised = client.patch(f"/api/v1/cases/DHR-2013-02/costs/{first}", json={"amount": "1400.00"},
                           headers=ledger.headers())
    assert revised.status_code == 200 and revised.get_json()["amount"] == "1400.00"
    corrections = post(client, ledger, "/cases/DHR-2013-02/billing", {"date": "2013-06-01"})
    assert {k for k, _, _ in documents(corrections)} == {"credit-note"}
    assert sum(Decimal(a) for _, _, a in documents(corrections)) == Decimal("-600.00")
    assert all(len(d["corrects"]) == 1 and d["corrects"][0].startswith("INV-")
               for d in corrections.get_json()["documents"])
    first_run = {d["organisation"]: d["number"] for d in client.get(
        "/api/v1/invoices?to=2013-02-01", headers=ledger.headers("viewer")
    ).get_json()["invoices"]}
    assert all(d["corrects"] == [first_run[d.get("on_behalf_of") or d["organisation"]]]
               for d in corrections.get_json()["documents"])
    pct = [d for d in corrections.get_json()["documents"]
           if d.get("on_behalf_of") == "derbyshire-county-pct"]
    # the PCT had gone by June 2013: its credit goes to the CCG that took over Amber Valley
    assert pct and pct[0]["amount"] == "-100.00"
    assert pct[0]["organisation"] == "southern-derbyshire-ccg"
    invariants.check(ledger.app)
    # payment and the statement
    # INV-000001 was credited 100.00 on 2013-06-01, so paying it pays what is outstanding
    paid = post(client, ledger, "/invoices/INV-000001/paid", {"date": "2013-06-02"})
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["status"] == "paid" and paid.get_json()["paid"] == "233.34"
    statement = client.get("/api/v1/organisations/derbyshire-constabulary/statement"
                           "?from=2013-01-01&to=2013-12-31", headers=ledger.headers("viewer"))
    body = statement.get_json()
    assert body["opening_balance"] == "0.00" and body["closing_balance"] == "0.00"
    assert [(e["kind"], e["number"], e["amount"], e["balance"]) for e in body["entries"]] == [
        ("invoice", "INV-000001", "333.34", "333.34"),
        ("credit-note", "CN-000001", "-100.00", "233.34"),
        ("payment", "INV-000001", "-233.34", "0.00")]
    case = client.get("/api/v1/cases/DHR-2013-02", headers=ledger.headers("viewer")).get_json()
    assert case["billed"] == "1400.00" and case["total"] == "1400.00"
    assert {n["organisation"]: n["net"] for n in case["invoiced"]}["amber-valley-council"] == \
        "233.33"


def test_tranches_keep_their_split_and_rebill_applies_a_new_one(ledger: Ledger) -> None:
    """The 2013 decision: costs not yet invoiced follow the new split; a rebill is a board's
    choice to apply it to billed costs too."""
    client = ledger.client()
    open_case(ledger, client, "DHR-2012-01", "chesterfield")
    cost(ledger, client, "3850.00", "2012-06-01", "panel-chair", "DHR-2012-01")
    issued = documents(post(client, ledger, "/cases/DHR-2012-01/billing", {"date": "2012-10-01"}))
    assert len(issued) == 7 and {a for _, _, a in issued} == {"550.00"}
    cost(ledger, client, "2400.00", "2013-04-02", "overview-author", "DHR-2012-01")
    second = documents(post(client, ledger, "/cases/DHR-2012-01/billing", {"date": "2013-05-01"}))
    assert [o for _, o, _ in second] == [
        "derbyshire-constabulary", "derbyshire-county-council", "derbyshire-probation-trust",
        "derbyshire-fire-rescue", "north-derbyshire-ccg", "chesterfield-council"]
    assert {a for _, _, a in second} == {"400.00"}
    invariants.check(ledger.app)
    preview = post(client, ledger, "/cases/DHR-2012-01/rebill",
                   {"date": "2013-05-01", "dry_run": True})
    assert preview.status_code == 200 and preview.get_json()["dry_run"] is True
    assert all(d["number"] is None for d in preview.get_json()["documents"])
    real = post(client, ledger, "/cases/DHR-2012-01/rebill", {"date": "2013-05-01"})
    assert real.status_code == 201
    assert [(k, o, a) for k, o, a in documents(real)] == [
        (k, o, a) for k, o, a in documents(preview)]
    moved = {d.get("on_behalf_of") or d["organisation"]: d["amount"]
             for d in real.get_json()["documents"]}
    assert moved["derbyshire-police-authority"] == "-550.00"
    authority = [d for d in real.get_json()["documents"]
                 if d.get("on_behalf_of") == "derbyshire-police-authority"]
    assert authority[0]["organisation"] == "derbyshire-pcc"  # it had gone: its successor
    assert moved["derbyshire-county-pct"] == "-550.00"
    assert moved["north-derbyshire-ccg"] == "641.66"
    assert moved["derbyshire-constabulary"] == "91.67"
    invariants.check(ledger.app)
    case = client.get("/api/v1/cases/DHR-2012-01", headers=ledger.headers("viewer")).get_json()
    nets = {n["organisation"]: n["net"] for n in case["invoiced"]}
    assert nets["derbyshire-police-authority"] == "0.00"
    assert sorted(v for v in nets.values() if v != "0.00") == ["1041.66"] * 2 + ["1041.67"] * 4


def test_many_tranches_never_drift(ledger: Ledger) -> None:
    client = ledger.client()
    open_case(ledger, client)
    for day in range(1, 8):
        cost(ledger, client, "0.01", f"2013-05-0{day}")
        post(client, ledger, "/cases/DHR-2013-02/billing", {"date": f"2013-05-0{day}"})
    case = client.get("/api/v1/cases/DHR-2013-02", headers=ledger.headers()).get_json()
    assert [n["net"] for n in case["invoiced"]] == ["0.02"] + ["0.01"] * 5
    invariants.check(ledger.app)


def test_idempotency_keys(ledger: Ledger) -> None:
    client = ledger.client()
    open_case(ledger, client)
    cost(ledger, client, "100.00", "2013-05-01")
    first = post(client, ledger, "/cases/DHR-2013-02/billing", {"date": "2013-05-01"},
                 **{"Idempotency-Key": "run-1"})
    again = post(client, ledger, "/cases/DHR-2013-02/billing", {"date": "2013-05-01"},
                 **{"Idempotency-Key": "run-1"})
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json() and first.get_json()["documents"]
    other = post(client, ledger, "/cases/DHR-2013-02/billing", {"date": "2013-05-02"},
                 **{"Idempotency-Key": "run-1"})
    assert other.status_code == 409 and other.content_type == "application/problem+json"
    case_retry = post(client, ledger, "/cases", {"reference": "DHR-X", "district": "erewash",
                                                 "commissioned": "2014-01-01"},
                      **{"Idempotency-Key": "new-case"})
    case_again = post(client, ledger, "/cases", {"reference": "DHR-X", "district": "erewash",
                                                 "commissioned": "2014-01-01"},
                      **{"Idempotency-Key": "new-case"})
    assert case_retry.status_code == case_again.status_code == 201
    with ledger.app.extensions["apportion.db"].session() as session:
        assert session.scalar(select(func.count(Document.id))) == 6
    invariants.check(ledger.app)


def test_auth_and_roles(ledger: Ledger) -> None:
    client = ledger.client()
    anonymous = client.get("/api/v1/cases")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/api/v1/cases", headers={"Authorization": "Bearer nope"}).status_code == 401
    viewer = post(client, ledger, "/cases", {"reference": "DHR-1", "district": "erewash",
                                             "commissioned": "2014-01-01"}, role="viewer")
    assert viewer.status_code == 403
    assert client.get("/api/v1/audit", headers=ledger.headers("finance")).status_code == 403
    assert client.get("/api/v1/cases", headers=ledger.headers("viewer")).status_code == 200
    open_case(ledger, client)
    events = client.get("/api/v1/audit", headers=ledger.headers("admin")).get_json()["events"]
    created = [e for e in events if e["action"] == "create"]
    assert created[-1]["actor"] == "test finance (finance)"
    assert created[-1]["after"]["reference"] == "DHR-2013-02" and created[-1]["before"] is None
    # public calculators need no token
    assert client.get("/api/v1/districts").status_code == 200


@pytest.mark.parametrize(("path", "body", "status", "field"), [
    ("/cases", {"reference": "DHR-2", "district": "atlantis", "commissioned": "2014-01-01"},
     422, "district"),
    ("/cases", {"reference": "DHR-2", "district": "derby-city", "commissioned": "2014-01-01"},
     422, "district"),
    ("/cases", {"reference": "DHR-2013-02", "district": "erewash", "commissioned": "2014-01-01"},
     409, "reference"),
    ("/cases", {"reference": "DHR-2", "district": "erewash", "commissioned": "2014-01-01",
                "victim": "name"}, 422, "victim"),
    ("/cases", {"reference": "bad ref!", "district": "erewash", "commissioned": "2014-01-01"},
     422, "reference"),
    ("/cases/DHR-2013-02/costs", {"item": "catering", "amount": "1.00",
                                  "incurred": "2014-01-01"}, 422, "item"),
    ("/cases/DHR-2013-02/costs", {"item": "panel-chair", "amount": 1.0,
                                  "incurred": "2014-01-01"}, 422, "amount"),
    ("/cases/DHR-2013-02/costs", {"item": "panel-chair", "amount": "-1.00",
                                  "incurred": "2014-01-01"}, 422, "amount"),
    ("/cases/NOPE/costs", {"item": "panel-chair", "amount": "1.00", "incurred": "2014-01-01"},
     404, None),
    ("/cases/NOPE/billing", {"date": "2014-01-01"}, 404, None),
    ("/cases/DHR-2013-02/billing", {"date": "2014-02-30"}, 422, "date"),
    ("/invoices/INV-999999/paid", {"date": "2014-01-01"}, 404, None),
])
def test_ledger_refusals(ledger: Ledger, path: str, body: Any, status: int,
                         field: str | None) -> None:
    client = ledger.client()
    open_case(ledger, client)
    response = post(client, ledger, path, body)
    assert response.status_code == status, response.get_json()
    assert response.content_type == "application/problem+json"
    if field:
        assert field in response.get_json()["errors"], response.get_json()


def test_billing_outside_the_arrangement_is_refused_and_changes_nothing(ledger: Ledger) -> None:
    client = ledger.client()
    open_case(ledger, client)
    cost(ledger, client, "100.00", "2011-01-01")
    response = post(client, ledger, "/cases/DHR-2013-02/billing", {"date": "2011-08-31"})
    assert response.status_code == 422 and "date" in response.get_json()["errors"]
    with ledger.app.extensions["apportion.db"].session() as session:
        assert session.scalar(select(func.count(Document.id))) == 0
        assert session.scalar(select(Tranche.split_id)) is None


def test_payments_and_revisions_refused_when_wrong(ledger: Ledger) -> None:
    client = ledger.client()
    open_case(ledger, client)
    cost(ledger, client, "60.00", "2013-05-01")
    post(client, ledger, "/cases/DHR-2013-02/billing", {"date": "2013-05-01"})
    early = post(client, ledger, "/invoices/INV-000001/paid", {"date": "2013-04-01"})
    assert early.status_code == 422
    assert post(client, ledger, "/invoices/INV-000001/paid", {"date": "2013-06-01"}
                ).status_code == 200
    twice = post(client, ledger, "/invoices/INV-000001/paid", {"date": "2013-06-02"})
    assert twice.status_code == 409
    missing = client.patch("/api/v1/cases/DHR-2013-02/costs/999", json={"amount": "1.00"},
                           headers=ledger.headers())
    assert missing.status_code == 404
    listed = client.get("/api/v1/invoices?status=paid", headers=ledger.headers("viewer"))
    assert [d["number"] for d in listed.get_json()["invoices"]] == ["INV-000001"]
    by_org = client.get("/api/v1/invoices?organisation=amber-valley-council&case=DHR-2013-02",
                        headers=ledger.headers("viewer")).get_json()["invoices"]
    assert [d["amount"] for d in by_org] == ["10.00"]
    unknown = client.get("/api/v1/organisations/ghost/statement", headers=ledger.headers())
    assert unknown.status_code == 404


def test_a_command_failing_midway_leaves_nothing(ledger: Ledger,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    client = ledger.client()
    open_case(ledger, client)
    cost(ledger, client, "100.00", "2013-05-01")
    with ledger.app.extensions["apportion.db"].session() as session:
        events_before = session.scalar(select(func.count(AuditEvent.id)))
    real = ledger_module._next_number
    calls = {"n": 0}

    def failing(session: Any, kind: str) -> str:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("the disk caught fire")
        return real(session, kind)

    monkeypatch.setattr(ledger_module, "_next_number", failing)
    ledger.app.config["PROPAGATE_EXCEPTIONS"] = False
    response = post(client, ledger, "/cases/DHR-2013-02/billing", {"date": "2013-05-01"})
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    assert "fire" not in response.get_data(as_text=True)
    with ledger.app.extensions["apportion.db"].session() as session:
        assert session.scalar(select(func.count(Document.id))) == 0
        assert session.scalar(select(Tranche.split_id)) is None
        assert session.scalar(select(func.count(AuditEvent.id))) == events_before
        assert set(session.scalars(select(Series.last))) == {0}
    monkeypatch.setattr(ledger_module, "_next_number", real)
    assert len(documents(post(client, ledger, "/cases/DHR-2013-02/billing",
                              {"date": "2013-05-01"}))) == 6
    invariants.check(ledger.app)
