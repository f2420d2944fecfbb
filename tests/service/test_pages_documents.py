"""The documents on the pages through Flask's test client: a partner's billing contact, a
document's PDF and sending it, the issuer settings."""

from __future__ import annotations

import re

import pytest

from service.pages.views import grants as grants_views
from tests.mailbox import Mailbox
from tests.service.conftest import Ledger, billed_case, post_form

ISSUER = {"name": "Derbyshire County Council", "address": "County Hall\nMatlock",
          "email": "csu@example.gov.uk", "telephone": "01629 000000", "vat_number": "",
          "vat_statement": "Outside the scope of VAT.", "remittance": "BACS 00-00-00 12345678"}


def test_billing_contact_send_and_pdf(ledger: Ledger, mailbox: Mailbox) -> None:
    ledger.app.config["SMTP_URL"] = mailbox.url
    client = ledger.sign_in("finance")
    first = billed_case(client)[0]
    status, location, _ = post_form(client, f"/cases/DHR-2013-02/documents/{first}/send", {},
                                "/cases/DHR-2013-02")
    assert status == 303
    page = client.get(location).get_data(as_text=True)
    assert "has no billing contact with an email address" in page and not mailbox.received
    status, _, html = post_form(client, "/partners/derbyshire-constabulary/billing-contact", {
        "name": "Accounts Payable", "address": "Butterley Hall\nRipley", "email": "not-an-email",
        "finance_reference": "PO 99"}, "/partners/derbyshire-constabulary")
    assert status == 400 and 'href="#email"' in html and "Butterley Hall" in html
    status, location, _ = post_form(client, "/partners/derbyshire-constabulary/billing-contact", {
        "name": "Accounts Payable", "address": "Butterley Hall\nRipley",
        "email": "ap@police.example", "finance_reference": "PO 99"},
        "/partners/derbyshire-constabulary")
    assert status == 303
    assert "ap@police.example" in client.get(location).get_data(as_text=True)
    status, location, _ = post_form(client, f"/cases/DHR-2013-02/documents/{first}/send", {},
                                "/cases/DHR-2013-02")
    assert "no email address to send from" in client.get(location).get_data(as_text=True)
    admin = ledger.sign_in("admin")
    status, _, _ = post_form(admin, "/admin/settings", ISSUER | {"payment_terms_days": "30"},
                         "/admin/settings")
    assert status == 303
    status, location, _ = post_form(client, f"/cases/DHR-2013-02/documents/{first}/send", {},
                                "/cases/DHR-2013-02")
    sent = client.get(location).get_data(as_text=True)
    assert f"{first} sent to ap@police.example" in sent, re.findall(
        r"govuk-notification-banner__heading\">(.*?)<", sent, re.S)
    assert [r.recipients for r in mailbox.received] == [["ap@police.example"]]
    pdf = client.get(f"/api/v1/invoices/{first}/pdf")  # the page's link, with the session
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_issuer_settings_are_kept_and_checked(ledger: Ledger) -> None:
    client = ledger.sign_in("admin")
    fields = ISSUER | {"payment_terms_days": "thirty"}
    status, _, html = post_form(client, "/admin/settings", fields, "/admin/settings")
    assert status == 400 and 'href="#payment_terms_days"' in html and "County Hall" in html
    status, location, _ = post_form(client, "/admin/settings",
                                fields | {"payment_terms_days": "28"}, "/admin/settings")
    assert (status, location) == (303, "/admin/settings")
    assert 'value="28"' in client.get("/admin/settings").get_data(as_text=True)
    assert ledger.sign_in("finance").get("/admin/settings").status_code == 403


def test_a_fund_is_awarded_and_a_stage_paid_once_its_condition_is_met(ledger: Ledger) -> None:
    client = ledger.sign_in("finance")
    fund = "pcc-passported-2013-14"
    status, _, html = post_form(client, f"/funds/{fund}/awards", {}, f"/funds?fund={fund}")
    assert status == 400 and 'href="#award-date-day"' in html
    status, location, _ = post_form(client, f"/funds/{fund}/awards", {
        "award-date-day": "1", "award-date-month": "4", "award-date-year": "2013"},
        f"/funds?fund={fund}")
    assert (status, location) == (303, f"/awards?fund={fund}")
    listed = client.get(location).get_data(as_text=True)
    numbers = re.findall(r'href="/awards/([^"]+)"', listed)
    assert len(numbers) == 10 and "£23,250.00" in listed
    award = f"/awards/{numbers[0]}"
    stage = re.search(r'action="/awards/[^/]+/stages/([^"]+)"', client.get(award).get_data(
        as_text=True))
    assert stage
    action = f"{award}/stages/{stage.group(1)}"
    date = {f"{stage.group(1)}-date-day": "1", f"{stage.group(1)}-date-month": "5",
            f"{stage.group(1)}-date-year": "2013"}
    status, _, html = post_form(client, action, date | {"action": "pay"}, award)
    assert status == 400 and "condition" in html  # refused until its condition is met
    status, _, _ = post_form(client, action, date | {"action": "met"}, award)
    assert status == 303
    status, _, _ = post_form(client, action, date | {"action": "pay"}, award)
    assert status == 303
    assert "Paid 1 May 2013" in client.get(award).get_data(as_text=True)
    assert ledger.sign_in("viewer").get(award).status_code == 200


def test_the_awards_page_is_read_a_page_at_a_time(ledger: Ledger,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    client = ledger.sign_in("finance")
    fund = "pcc-passported-2013-14"
    status, _, _ = post_form(client, f"/funds/{fund}/awards", {
        "award-date-day": "1", "award-date-month": "4", "award-date-year": "2013"},
        f"/funds?fund={fund}")
    assert status == 303
    monkeypatch.setattr(grants_views, "PAGE", 3)
    seen: list[str] = []
    path: str | None = f"/awards?fund={fund}"
    while path:
        html = client.get(path).get_data(as_text=True)
        shown = re.findall(r'href="/awards/([^"?]+)"', html)
        assert 0 < len(shown) <= 3
        seen += shown
        found = re.search(r'href="([^"]+)">Next page', html)
        path = found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == len(set(seen)) == 10  # every award once, in order
    assert seen == sorted(seen)
    assert client.get("/awards?cursor=bogus").status_code == 200  # the first page instead
