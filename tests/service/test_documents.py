"""Documents a finance officer can send, through the API on SQLite and PostgreSQL: issuer
settings and billing contacts (audited), a document with its due date and lines, its PDF read
back, sending it to a real SMTP server, the finance-system export (opened by LibreOffice), and
every refusal clear with nothing half-done."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from service.ledger.tables import AuditEvent, DocumentSending
from tests.mailbox import Mailbox
from tests.service.conftest import Ledger, make_ledger

ISSUER = {
    "name": "Example County Council", "address": "Community Safety Unit\nCounty Hall\nMatlock",
    "email": "csu.finance@example.gov.uk", "telephone": "01629 000000", "vat_number": None,
    "vat_statement": "Contributions between public bodies are outside the scope of VAT.",
    "payment_terms_days": 28, "remittance": "BACS: sort code 00-00-00, account 12345678"}
CONTACT = {"name": "Accounts Payable", "address": "Butterley Hall\nRipley DE5 3RS",
           "email": "ap@example.police.uk", "finance_reference": "PO-4411"}
POLICE = "derbyshire-constabulary"


def call(ledger: Ledger, client: FlaskClient, method: str, path: str, body: Any = None,
         role: str = "finance") -> Any:
    return client.open(f"/api/v1{path}", method=method, json=body, headers=ledger.headers(role))


def bill(ledger: Ledger, client: FlaskClient) -> list[dict[str, Any]]:
    """A case in Amber Valley billed on 1 May 2013: six invoices of 708.34 / 708.33."""
    for path, body in (
            ("/cases", {"reference": "DHR-2013-02", "district": "amber-valley",
                        "commissioned": "2012-11-01"}),
            ("/cases/DHR-2013-02/costs", {"item": "overview-author", "amount": "4250.00",
                                             "incurred": "2013-04-20"})):
        assert call(ledger, client, "POST", path, body).status_code == 201
    billed = call(ledger, client, "POST", "/cases/DHR-2013-02/billing",
                  {"date": "2013-05-01"})
    assert billed.status_code == 201, billed.get_json()
    documents: list[dict[str, Any]] = billed.get_json()["documents"]
    return documents


def configured(ledger: Ledger, client: FlaskClient) -> list[dict[str, Any]]:
    assert call(ledger, client, "PUT", "/settings/issuer", ISSUER, "admin").status_code == 200
    assert call(ledger, client, "PUT", f"/organisations/{POLICE}/billing-contact",
                CONTACT).status_code == 200
    return bill(ledger, client)


def audit_count(ledger: Ledger) -> int:
    with ledger.app.extensions["apportion.db"].session() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_issuer_settings_default_then_set_by_an_admin_and_audited(ledger: Ledger) -> None:
    client = ledger.client()
    default = call(ledger, client, "GET", "/settings/issuer", role="viewer").get_json()
    assert default["payment_terms_days"] == 30
    assert default["vat_statement"] == ("Contributions between public bodies are outside the "
                                        "scope of VAT.")
    assert call(ledger, client, "PUT", "/settings/issuer", ISSUER).status_code == 403
    saved = call(ledger, client, "PUT", "/settings/issuer", ISSUER, "admin")
    assert saved.status_code == 200 and saved.get_json() == ISSUER
    assert call(ledger, client, "GET", "/settings/issuer", role="viewer").get_json() == ISSUER
    events = call(ledger, client, "GET", "/audit", role="admin").get_json()["events"]
    event = [e for e in events if e["action"] == "set-issuer"][-1]
    assert event["before"]["payment_terms_days"] == 30
    assert event["after"]["payment_terms_days"] == 28 and event["actor"].startswith("test admin")


@pytest.mark.parametrize(("change", "field"), [
    ({"payment_terms_days": "30"}, "payment_terms_days"),
    ({"payment_terms_days": -1}, "payment_terms_days"),
    ({"payment_terms_days": True}, "payment_terms_days"),
    ({"name": "Council\r\nBcc: everyone@example.org"}, "name"),
    ({"name": "   "}, "name"),
    ({"email": "not an email"}, "email"),
    ({"remittance": "pay\x00here"}, "remittance"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_issuer_settings_are_refused_naming_the_field(ledger: Ledger, change: dict[str, Any],
                                                          field: str) -> None:
    client = ledger.client()
    answer = call(ledger, client, "PUT", "/settings/issuer", ISSUER | change, "admin")
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert field in answer.get_json()["errors"]
    assert call(ledger, client, "GET", "/settings/issuer", role="viewer"
                ).get_json()["payment_terms_days"] == 30


def test_billing_contacts_are_kept_per_organisation_and_audited(ledger: Ledger) -> None:
    client = ledger.client()
    path = f"/organisations/{POLICE}/billing-contact"
    assert call(ledger, client, "GET", path, role="viewer").status_code == 404
    assert call(ledger, client, "PUT", path, CONTACT, "viewer").status_code == 403
    assert call(ledger, client, "PUT", path, CONTACT).get_json() == CONTACT
    assert call(ledger, client, "GET", path, role="viewer").get_json() == CONTACT
    postal = CONTACT | {"email": None, "finance_reference": None}
    assert call(ledger, client, "PUT", path, postal).get_json() == postal
    events = [e for e in call(ledger, client, "GET", "/audit", role="admin").get_json()["events"]
              if e["action"] == "set-billing-contact"]
    assert [e["before"] for e in events] == [None, CONTACT]
    assert events[-1]["after"] == postal and events[-1]["entity_id"] == POLICE
    unknown = call(ledger, client, "PUT", "/organisations/nobody/billing-contact", CONTACT)
    assert unknown.status_code == 404
    bad = call(ledger, client, "PUT", path, CONTACT | {"email": "ap@"})
    assert bad.status_code == 422 and "email" in bad.get_json()["errors"]


def test_a_document_has_its_due_date_lines_and_pdf(ledger: Ledger) -> None:
    client = ledger.client()
    documents = configured(ledger, client)
    number = next(d["number"] for d in documents if d["organisation"] == POLICE)
    body = call(ledger, client, "GET", f"/invoices/{number}", role="viewer").get_json()
    assert body["number"] == number and body["amount"] == "708.34"
    assert body["issued"] == "2013-05-01"
    assert body["due"] == (date(2013, 5, 1) + timedelta(days=28)).isoformat()
    assert body["sent"] == []
    assert [(line["case"], line["item"], line["incurred"], line["fraction"], line["amount"])
            for line in body["lines"]] == [
        ("DHR-2013-02", "overview-author", "2013-04-20", "1/6", "708.34")]
    pdf = client.get(f"/api/v1/invoices/{number}/pdf", headers=ledger.headers("viewer"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(pdf.data))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for needed in ("Example County Council", "Accounts Payable", "Derbyshire Constabulary",
                   "PO-4411", number, "Issue date 1 May 2013", "Due date 29 May 2013",
                   "DHR-2013-02", "Overview author", "20 April 2013", "1/6", "£708.34",
                   "Total due £708.34", "outside the scope of VAT", "sort code 00-00-00"):
        assert needed in text, needed
    assert round(float(reader.pages[0].mediabox.height)) == 842


def test_unknown_documents_are_404_everywhere(ledger: Ledger) -> None:
    client = ledger.client()
    for method, path in (("GET", "/invoices/INV-999999"), ("GET", "/invoices/INV-999999/pdf"),
                         ("POST", "/invoices/INV-999999/send")):
        answer = call(ledger, client, method, path)
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
        assert "INV-999999" in answer.get_json()["detail"]


def test_sending_emails_the_pdf_and_records_it(ledger: Ledger, mailbox: Mailbox) -> None:
    client = ledger.client()
    documents = configured(ledger, client)
    ledger.app.config["SMTP_URL"] = mailbox.url
    number = next(d["number"] for d in documents if d["organisation"] == POLICE)
    sent = call(ledger, client, "POST", f"/invoices/{number}/send")
    assert sent.status_code == 200, sent.get_json()
    answer = sent.get_json()
    assert answer["to"] == "ap@example.police.uk" and answer["sent_at"].endswith("Z")
    [received] = mailbox.received
    assert received.recipients == ["ap@example.police.uk"]
    assert received.message["Subject"] == (f"Invoice {number} from Example County Council: "
                                           "case DHR-2013-02")
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    attached = " ".join(PdfReader(io.BytesIO(attachment.get_content())).pages[0]
                        .extract_text().split())
    assert number in attached and "£708.34" in attached
    body = call(ledger, client, "GET", f"/invoices/{number}", role="viewer").get_json()
    assert body["sent"] == [answer]
    events = call(ledger, client, "GET", "/audit", role="admin").get_json()["events"]
    assert [(e["action"], e["entity_id"], e["after"]["to"]) for e in events
            if e["action"] == "send"] == [("send", number, "ap@example.police.uk")]
    assert call(ledger, client, "POST", f"/invoices/{number}/send", role="viewer"
                ).status_code == 403


def test_no_billing_email_is_a_clear_422_and_nothing_is_sent(ledger: Ledger,
                                                             mailbox: Mailbox) -> None:
    client = ledger.client()
    documents = configured(ledger, client)
    ledger.app.config["SMTP_URL"] = mailbox.url
    other = next(d["number"] for d in documents if d["organisation"] != POLICE)
    before = audit_count(ledger)
    refused = call(ledger, client, "POST", f"/invoices/{other}/send")
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert "billing_contact.email" in refused.get_json()["errors"]
    assert "billing-contact" in refused.get_json()["detail"]
    call(ledger, client, "PUT", f"/organisations/{POLICE}/billing-contact",
         CONTACT | {"email": None})
    police = next(d["number"] for d in documents if d["organisation"] == POLICE)
    assert call(ledger, client, "POST", f"/invoices/{police}/send").status_code == 422
    assert mailbox.received == [] and audit_count(ledger) == before + 1  # the contact change


@pytest.mark.parametrize("smtp_url", ["smtp://127.0.0.1:{closed}", None, "http://x"])
def test_an_unavailable_mail_server_leaves_the_ledger_unchanged(
        ledger: Ledger, mailbox: Mailbox, smtp_url: str | None) -> None:
    if smtp_url:
        smtp_url = smtp_url.format(closed=mailbox.unreachable_port)
    client = ledger.client()
    documents = configured(ledger, client)
    ledger.app.config["SMTP_URL"] = smtp_url
    number = next(d["number"] for d in documents if d["organisation"] == POLICE)
    before = audit_count(ledger)
    failed = call(ledger, client, "POST", f"/invoices/{number}/send")
    assert failed.status_code == 503 and failed.mimetype == "application/problem+json"
    assert failed.headers["Retry-After"] == "60"
    detail = failed.get_json()["detail"]
    assert ("could not be reached" in detail if smtp_url and "smtp" in smtp_url
            else "SMTP_URL" in detail)
    assert audit_count(ledger) == before
    with ledger.app.extensions["apportion.db"].session() as session:
        assert session.scalar(select(func.count()).select_from(DocumentSending)) == 0
    assert call(ledger, client, "GET", f"/invoices/{number}", role="viewer"
                ).get_json()["sent"] == []


def test_an_address_the_server_refuses_is_the_contacts_fault(ledger: Ledger,
                                                             mailbox: Mailbox) -> None:
    client = ledger.client()
    documents = configured(ledger, client)
    ledger.app.config["SMTP_URL"] = mailbox.url
    mailbox.handler.refuse_for_good.add("ap@example.police.uk")
    number = next(d["number"] for d in documents if d["organisation"] == POLICE)
    refused = call(ledger, client, "POST", f"/invoices/{number}/send")
    assert refused.status_code == 422
    assert "billing_contact.email" in refused.get_json()["errors"]
    assert call(ledger, client, "GET", f"/invoices/{number}", role="viewer"
                ).get_json()["sent"] == []


def export(ledger: Ledger, client: FlaskClient, query: str) -> Any:
    return client.get(f"/api/v1/exports/documents?{query}", headers=ledger.headers("viewer"))


def test_the_export_lists_each_document_and_agrees_with_the_statements(ledger: Ledger) -> None:
    client = ledger.client()
    documents = configured(ledger, client)
    answer = export(ledger, client, "from=2013-04-01&to=2014-03-31&format=csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True), newline="")))
    assert [r["Number"] for r in rows] == [d["number"] for d in documents]
    police = next(r for r in rows if r["Customer"] == POLICE)
    assert police["Customer reference"] == "PO-4411" and police["Type"] == "Invoice"
    assert police["Issue date"] == "2013-05-01" and police["Due date"] == "2013-05-29"
    assert police["Case"] == "DHR-2013-02" and police["VAT code"] == "OS"
    assert "DHR-2013-02" in police["Description"]
    for row in rows:
        statement = call(ledger, client, "GET", f"/organisations/{row['Customer']}/statement"
                         "?from=2013-04-01&to=2014-03-31", role="viewer").get_json()
        net = sum(Decimal(r["Net"]) for r in rows if r["Customer"] == row["Customer"])
        assert net == Decimal(statement.get("invoiced") or statement["closing_balance"])
        assert Decimal(row["Gross"]) == Decimal(row["Net"]) + Decimal(row["VAT"])
    assert sum(Decimal(r["Gross"]) for r in rows) == Decimal("4250.00")
    empty = export(ledger, client, "from=2014-04-01&to=2015-03-31")
    assert empty.get_data(as_text=True).count("\r\n") == 1  # the header alone


@pytest.mark.parametrize("query", ["to=2014-03-31", "from=2014-04-01&to=2014-03-31",
                                   "from=2013-04-01&to=2014-03-31&format=pdf",
                                   "from=yesterday&to=2014-03-31",
                                   "from=2013-04-01&to=2014-03-31&extra=1"])
def test_bad_export_queries_are_422(ledger: Ledger, query: str) -> None:
    answer = export(ledger, ledger.client(), query)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"


def test_libreoffice_opens_the_xlsx_with_the_same_figures(ledger: Ledger, tmp_path: Path
                                                          ) -> None:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is installed by scripts/ensure-tools.sh (make test)"
    client = ledger.client()
    call(ledger, client, "PUT", "/settings/issuer", ISSUER, "admin")
    call(ledger, client, "PUT", f"/organisations/{POLICE}/billing-contact",
         CONTACT | {"finance_reference": "=HYPERLINK(\"http://evil.example\",\"x\")"})
    bill(ledger, client)
    answer = export(ledger, client, "from=2013-04-01&to=2014-03-31&format=xlsx")
    assert answer.status_code == 200
    workbook = tmp_path / "documents.xlsx"
    workbook.write_bytes(answer.data)
    assert load_workbook(workbook)["Documents"].max_row == 7
    profile = tmp_path / "profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,'
                    "false,false,false,-1", "--outdir", str(tmp_path), str(workbook)],
                   check=True, capture_output=True, timeout=180)
    sheets = sorted(tmp_path.glob("documents*.csv"))
    rows = list(csv.reader(next(p for p in sheets if "Documents" in p.name)
                           .open(encoding="utf-8")))
    assert rows[0][:3] == ["Number", "Type", "Issue date"] and len(rows) == 7
    police = next(r for r in rows if r[4] == POLICE)
    assert police[5] == "'=HYPERLINK(\"http://evil.example\",\"x\")"  # text, never evaluated
    net = sum(Decimal(r[7].replace(",", "")) for r in rows[1:])
    assert net == Decimal("4250.00")
    totals = list(csv.reader(next(p for p in sheets if "Totals" in p.name)
                             .open(encoding="utf-8")))
    assert totals[-1][0] == "Total" and Decimal(totals[-1][2].replace(",", "")) == net


def test_a_retried_send_answers_the_first_sending_and_mails_once(ledger: Ledger,
                                                                mailbox: Mailbox) -> None:
    client = ledger.client()
    documents = configured(ledger, client)
    ledger.app.config["SMTP_URL"] = mailbox.url
    number = next(d["number"] for d in documents if d["organisation"] == POLICE)
    headers = ledger.headers("finance", **{"Idempotency-Key": "send-once"})
    first = client.post(f"/api/v1/invoices/{number}/send", headers=headers)
    again = client.post(f"/api/v1/invoices/{number}/send", headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json() and len(mailbox.received) == 1
    other = client.post(f"/api/v1/invoices/{number}/send",
                        headers=ledger.headers("finance", **{"Idempotency-Key": "send-twice"}))
    assert other.status_code == 200 and len(mailbox.received) == 2
    assert len(call(ledger, client, "GET", f"/invoices/{number}", role="viewer"
                    ).get_json()["sent"]) == 2


def test_the_statement_as_a_pdf(ledger: Ledger) -> None:
    client = ledger.client()
    documents = configured(ledger, client)
    number = next(d["number"] for d in documents if d["organisation"] == POLICE)
    assert call(ledger, client, "POST", f"/invoices/{number}/paid",
                {"date": "2013-06-01"}).status_code == 200
    path = f"/api/v1/organisations/{POLICE}/statement?from=2013-04-01&to=2014-03-31"
    answer = client.get(path + "&format=pdf", headers=ledger.headers("viewer"))
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.data))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for needed in ("Statement of account", "Derbyshire Constabulary", "Accounts Payable",
                   "PO-4411", "From 1 April 2013", "To 31 March 2014", number, "£708.34",
                   "Opening balance", "Closing balance", "Example County Council"):
        assert needed in text, needed
    assert round(float(reader.pages[0].mediabox.width)) == 595
    assert client.get(path + "&format=csv", headers=ledger.headers("viewer")
                      ).status_code == 422
    assert client.get(path, headers=ledger.headers("viewer")).mimetype == "application/json"
    unknown = client.get("/api/v1/organisations/nobody/statement?format=pdf",
                         headers=ledger.headers("viewer"))
    assert unknown.status_code == 404


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(
    st.tuples(st.just("cost"), st.sampled_from(["overview-author", "panel-chair"]),
              st.integers(min_value=1, max_value=900_000)),
    st.tuples(st.just("revise"), st.integers(min_value=0, max_value=5),
              st.integers(min_value=1, max_value=900_000)),
    st.tuples(st.just("bill"), st.just(""), st.just(0))), min_size=1, max_size=8))
def test_every_documents_lines_sum_to_its_amount(
        tmp_path_factory: pytest.TempPathFactory,
        steps: list[tuple[str, str | int, int]]) -> None:
    """Whatever the sequence of costs, revisions and billing runs, each document's lines add up
    to its amount, and an invoice billing new tranches has a line per tranche."""
    made = make_ledger("sqlite", tmp_path_factory.mktemp("lines"), None)
    try:
        client = made.client()
        assert call(made, client, "POST", "/cases", {
            "reference": "DHR-2014-01", "district": "erewash",
            "commissioned": "2014-01-01"}).status_code == 201
        costs: list[int] = []
        day = date(2014, 2, 1)
        for kind, what, pence_ in [*steps, ("bill", "", 0)]:
            amount = str(Decimal(pence_).scaleb(-2))
            day += timedelta(days=3)
            if kind == "cost":
                answer = call(made, client, "POST", "/cases/DHR-2014-01/costs", {
                    "item": what, "amount": amount, "incurred": day.isoformat()})
                costs.append(answer.get_json()["id"])
            elif kind == "revise" and costs:
                call(made, client, "PATCH",
                     f"/cases/DHR-2014-01/costs/{costs[int(what) % len(costs)]}",
                     {"amount": amount})
            elif kind == "bill":
                assert call(made, client, "POST", "/cases/DHR-2014-01/billing",
                            {"date": day.isoformat()}).status_code == 201
        listed = call(made, client, "GET", "/invoices", role="viewer").get_json()["invoices"]
        for document in listed:
            body = call(made, client, "GET", f"/invoices/{document['number']}",
                        role="viewer").get_json()
            assert sum(Decimal(line["amount"]) for line in body["lines"]) == Decimal(
                body["amount"]), body
            assert all(line["fraction"] == "1/6" for line in body["lines"])
    finally:
        made.dispose()


def test_lines_name_each_tranche_billed(ledger: Ledger) -> None:
    client = ledger.client()
    bill(ledger, client)  # overview-author 4250.00 incurred 2013-04-20, billed 2013-05-01
    for item, amount, incurred in (("panel-chair", "600.00", "2013-05-02"),
                                   ("overview-author", "120.00", "2013-05-03")):
        assert call(ledger, client, "POST", "/cases/DHR-2013-02/costs", {
            "item": item, "amount": amount, "incurred": incurred}).status_code == 201
    later = call(ledger, client, "POST", "/cases/DHR-2013-02/billing", {"date": "2013-06-01"})
    police = next(d for d in later.get_json()["documents"] if d["organisation"] == POLICE)
    body = call(ledger, client, "GET", f"/invoices/{police['number']}", role="viewer").get_json()
    assert [(line["item"], line["incurred"], line["fraction"]) for line in body["lines"]] == [
        ("panel-chair", "2013-05-02", "1/6"), ("overview-author", "2013-05-03", "1/6")]
    assert sum(Decimal(line["amount"]) for line in body["lines"]) == Decimal(body["amount"])
