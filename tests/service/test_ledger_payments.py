"""Payments, reversals, credit allocation, document status, statements and aged debt, through
the API on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.service import invariants
from tests.service.conftest import Ledger
from tests.service.test_ledger_cases import Api, by_partner


def constabulary(documents: list[dict[str, Any]]) -> dict[str, Any]:
    return by_partner(documents)["derbyshire-constabulary"]


def test_part_payments_overpayment_reversal_and_paid(ledger: Ledger) -> None:
    api = Api(ledger)
    api.case("DHR-P-1", "amber-valley", "2012-06-01")
    api.cost("DHR-P-1", "600.00", "2012-07-01")
    invoice = constabulary(api.bill("DHR-P-1", "2012-08-01"))
    number = invoice["number"]
    assert invoice["amount"] == "85.72" and invoice["due"] == "2012-08-31"
    assert (invoice["status"], invoice["paid"], invoice["outstanding"]) == ("open", "0.00",
                                                                           "85.72")
    first = api.call("POST", f"/invoices/{number}/payments",
                     {"date": "2012-09-01", "amount": "50.00", "reference": "BACS 1234"}, 201)
    assert first == {"id": first["id"], "document": number, "date": "2012-09-01",
                     "amount": "50.00", "reference": "BACS 1234"}
    document = api.call("GET", f"/invoices/{number}", role="viewer")
    assert (document["status"], document["paid"], document["outstanding"]) == (
        "part-paid", "50.00", "35.72")
    over = api.call("POST", f"/invoices/{number}/payments",
                    {"date": "2012-09-02", "amount": "35.73"}, 422)
    assert list(over["errors"]) == ["amount"] and "35.72" in over["detail"]
    api.call("POST", f"/invoices/{number}/payments", {"date": "2012-09-02", "amount": "0.00"},
             422)
    api.call("POST", f"/invoices/{number}/payments", {"date": "2012-07-31", "amount": "1.00"},
             422)
    # the payment was recorded in error: reversed, never deleted
    reversal = api.call("POST", f"/payments/{first['id']}/reversal",
                        {"date": "2012-09-03", "reason": "bounced"}, 201)
    assert reversal["payment"] == first["id"] and reversal["amount"] == "50.00"
    again = api.call("POST", f"/payments/{first['id']}/reversal",
                     {"date": "2012-09-03", "reason": "twice"}, 409)
    assert again["status"] == 409
    api.call("POST", "/payments/999999/reversal", {"date": "2012-09-03", "reason": "x"}, 404)
    api.call("POST", f"/payments/{first['id']}/reversal", {"date": "2012-09-03",
                                                          "reason": "  "}, 422)
    assert api.call("GET", f"/invoices/{number}", role="viewer")["status"] == "open"
    paid = api.call("POST", f"/invoices/{number}/paid", {"date": "2012-09-04"})
    assert (paid["status"], paid["paid"], paid["outstanding"]) == ("paid", "85.72", "0.00")
    api.call("POST", f"/invoices/{number}/paid", {"date": "2012-09-05"}, 409)
    statement = api.call("GET", "/organisations/derbyshire-constabulary/statement",
                         role="viewer")
    assert [(e["kind"], e.get("reference"), e["amount"], e["balance"])
            for e in statement["entries"]] == [
        ("invoice", None, "85.72", "85.72"), ("payment", "BACS 1234", "-50.00", "35.72"),
        ("reversal", "BACS 1234", "50.00", "85.72"), ("payment", None, "-85.72", "0.00")]
    events = [e["action"] for e in api.call("GET", "/audit", role="admin")["events"]]
    assert events.count("payment") == 2 and events.count("reverse-payment") == 1
    invariants.check(ledger.app)


def test_credit_is_set_against_open_invoices_oldest_first(ledger: Ledger) -> None:
    """A partner netting to nothing shows no open invoice and no credit."""
    api = Api(ledger)
    api.case("DHR-P-2", "erewash", "2015-01-01")
    first = api.cost("DHR-P-2", "700.00", "2015-02-01")
    second = api.cost("DHR-P-2", "1400.00", "2015-03-01")
    one = constabulary(api.bill("DHR-P-2", "2015-02-10"))
    two = constabulary(api.bill("DHR-P-2", "2015-03-10"))
    assert (one["amount"], two["amount"]) == ("100.00", "200.00")
    api.call("POST", f"/invoices/{one['number']}/payments",
             {"date": "2015-03-11", "amount": "40.00"}, 201)
    api.revise("DHR-P-2", first, "0.00")
    api.revise("DHR-P-2", second, "0.00")
    credit = constabulary(api.bill("DHR-P-2", "2015-04-01"))
    assert credit["amount"] == "-300.00" and credit["corrects"] == [one["number"], two["number"]]
    # 60.00 goes to the older invoice (40.00 of it was paid), 200.00 to the newer: 40.00 held
    assert (credit["status"], credit["credited"], credit["outstanding"]) == (
        "open", "-260.00", "-40.00")
    one_now = api.call("GET", f"/invoices/{one['number']}", role="viewer")
    two_now = api.call("GET", f"/invoices/{two['number']}", role="viewer")
    assert (one_now["status"], one_now["paid"], one_now["credited"], one_now["outstanding"]) == (
        "paid", "40.00", "60.00", "0.00")
    assert (two_now["status"], two_now["outstanding"]) == ("credited", "0.00")
    statement = api.call("GET", "/organisations/derbyshire-constabulary/statement",
                         role="viewer")
    assert statement["closing_balance"] == "-40.00"  # credit held for the partner
    # the held credit is refunded as a payment against the credit note
    refund = api.call("POST", f"/invoices/{credit['number']}/paid", {"date": "2015-04-02"})
    assert (refund["status"], refund["paid"], refund["outstanding"]) == ("paid", "-40.00", "0.00")
    assert api.call("GET", "/organisations/derbyshire-constabulary/statement",
                    role="viewer")["closing_balance"] == "0.00"
    open_docs = api.call("GET", "/invoices?organisation=derbyshire-constabulary&status=open",
                         role="viewer")["invoices"]
    assert open_docs == []
    invariants.check(ledger.app)


def test_held_credit_goes_to_the_next_invoice_of_the_case(ledger: Ledger) -> None:
    api = Api(ledger)
    api.case("DHR-P-3", "erewash", "2015-01-01")
    first = api.cost("DHR-P-3", "700.00", "2015-02-01")
    invoice = constabulary(api.bill("DHR-P-3", "2015-02-10"))
    api.call("POST", f"/invoices/{invoice['number']}/paid", {"date": "2015-02-11"})
    api.revise("DHR-P-3", first, "350.00")
    credit = constabulary(api.bill("DHR-P-3", "2015-02-12"))
    assert credit["outstanding"] == "-50.00"  # nothing open to set it against: held
    api.cost("DHR-P-3", "1400.00", "2015-02-13")
    topup = constabulary(api.bill("DHR-P-3", "2015-02-14"))
    assert (topup["amount"], topup["credited"], topup["outstanding"]) == ("200.00", "50.00",
                                                                          "150.00")
    assert api.call("GET", f"/invoices/{credit['number']}", role="viewer")["status"] == \
        "credited"
    invariants.check(ledger.app)


def test_statement_opening_balance_and_aged_debt(ledger: Ledger) -> None:
    api = Api(ledger)
    api.case("DHR-P-4", "erewash", "2015-01-01")
    api.cost("DHR-P-4", "700.00", "2015-01-05")
    old = constabulary(api.bill("DHR-P-4", "2015-01-10"))  # due 2015-02-09
    api.cost("DHR-P-4", "1400.00", "2015-05-01")
    new = constabulary(api.bill("DHR-P-4", "2015-05-20"))  # due 2015-06-19
    api.call("POST", f"/invoices/{old['number']}/payments",
             {"date": "2015-06-01", "amount": "30.00", "reference": "R-1"}, 201)
    statement = api.call("GET", "/organisations/derbyshire-constabulary/statement"
                         "?from=2015-05-01&to=2015-06-30", role="viewer")
    assert statement["opening_balance"] == "100.00"
    assert [(e["date"], e["kind"], e["amount"], e["balance"]) for e in statement["entries"]] == [
        ("2015-05-20", "invoice", "200.00", "300.00"),
        ("2015-06-01", "payment", "-30.00", "270.00")]
    assert statement["closing_balance"] == "270.00"
    aged = api.call("GET", "/reports/aged-debt?date=2015-06-30", role="viewer")
    row = next(r for r in aged["organisations"] if r["organisation"] == "derbyshire-constabulary")
    # the old invoice is 141 days past due; the new one 11
    assert (row["current"], row["1-30"], row["over-90"], row["total"]) == (
        "0.00", "200.00", "70.00", "270.00")
    earlier = api.call("GET", "/reports/aged-debt?date=2015-02-20", role="viewer")
    row = next(r for r in earlier["organisations"]
               if r["organisation"] == "derbyshire-constabulary")
    assert (row["1-30"], row["total"]) == ("100.00", "100.00")
    assert sum(float(r["total"]) for r in aged["organisations"]) == float(
        aged["totals"]["total"])
    listed = api.call("GET", "/invoices?from=2015-05-01&to=2015-05-31", role="viewer")
    assert {d["number"] for d in listed["invoices"]} >= {new["number"]}
    assert old["number"] not in {d["number"] for d in listed["invoices"]}
    part = api.call("GET", "/invoices?status=part-paid", role="viewer")["invoices"]
    assert [d["number"] for d in part] == [old["number"]]
    api.call("GET", "/reports/aged-debt?date=1800-01-01", role="viewer", status=422)
    api.call("GET", "/reports/aged-debt", role="viewer")
    invariants.check(ledger.app)
