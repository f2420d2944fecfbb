"""The finance pages through Flask's test client: part payments and reversals, statements and
aged debt, editing and filtering cases."""

from __future__ import annotations

import re

import pytest

from service.wire import requests
from tests.service.conftest import Ledger, billed_case, post_form


def test_part_payment_then_the_rest_then_a_reversal_show_on_the_statement(ledger: Ledger
                                                                          ) -> None:
    client = ledger.sign_in("finance")
    first = billed_case(client)[0]  # Derbyshire Constabulary, £708.34
    status, _, html = post_form(client, "/payments", {
        "document": first, "amount": "800.00", "date-day": "1", "date-month": "6",
        "date-year": "2013"}, "/payments")
    assert status == 400 and "more than the" in html and 'value="800.00"' in html
    status, location, _ = post_form(client, "/payments", {
        "document": first, "amount": "500.00", "reference": "BACS 1234", "date-day": "1",
        "date-month": "6", "date-year": "2013"}, "/payments")
    assert (status, location) == (303, "/payments")
    statement = client.get("/partners/derbyshire-constabulary").get_data(as_text=True)
    assert "BACS 1234" in statement and "£208.34" in statement  # the balance after it
    assert "Part paid" in client.get("/cases/DHR-2013-02").get_data(as_text=True)
    status, _, _ = post_form(client, "/payments", {
        "document": first, "date-day": "2", "date-month": "6", "date-year": "2013"},
        "/payments")
    assert status == 303
    payments = client.get("/payments").get_data(as_text=True)
    payment_ids = re.findall(r"/payments/(\d+)/reversal", payments)
    assert len(payment_ids) == 2
    status, _, html = post_form(client, f"/payments/{payment_ids[0]}/reversal", {
        "date-day": "3", "date-month": "6", "date-year": "2013", "reason": ""},
        f"/payments/{payment_ids[0]}/reversal")
    assert status == 400 and "Say why the payment is reversed" in html
    status, location, _ = post_form(client, f"/payments/{payment_ids[0]}/reversal", {
        "date-day": "3", "date-month": "6", "date-year": "2013",
        "reason": "recorded against the wrong invoice"}, f"/payments/{payment_ids[0]}/reversal")
    assert (status, location) == (303, "/payments")
    statement = client.get("/partners/derbyshire-constabulary").get_data(as_text=True)
    assert "reversed" in statement
    dashboard = client.get("/").get_data(as_text=True)
    assert "Outstanding and overdue by partner" in dashboard and "Over 90 days" in dashboard


def test_a_case_is_edited_and_filtered(ledger: Ledger) -> None:
    client = ledger.sign_in("finance")
    billed_case(client)
    status, location, _ = post_form(client, "/cases/DHR-2013-02/details", {
        "status": "closed", "health_body": "", "commissioned-day": "1",
        "commissioned-month": "11", "commissioned-year": "2012",
        "new-reference": "DHR/2013/02"}, "/cases/DHR-2013-02")
    assert (status, location) == (303, "/cases/DHR/2013/02")
    assert client.get("/cases?status=closed&q=2013/02").get_data(as_text=True).count(
        'href="/cases/DHR/2013/02"') == 1
    assert "0 of 1" in client.get("/cases?status=open").get_data(as_text=True)
    bad = client.get("/cases?year=last")
    assert bad.status_code == 400 and 'href="#year"' in bad.get_data(as_text=True)


def test_the_payments_page_says_when_it_shows_only_the_oldest_documents(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ledger.sign_in("finance")
    issued = billed_case(client)  # six invoices
    assert "there are more" not in client.get("/payments").get_data(as_text=True)
    monkeypatch.setattr(requests, "MAX_PAGE_SIZE", 4)  # the payments page reads one page
    html = client.get("/payments").get_data(as_text=True)
    assert "These are the oldest 4 outstanding documents; there are more" in html
    assert issued[3] in html and issued[5] not in html
