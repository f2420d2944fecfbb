"""Invoices, credit notes and statements as PDF, read back: every required field and the right
amounts in the extracted text, A4 pages, fonts embedded, long documents breaking across pages
with the table header repeated, and nothing a user typed able to change the page."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from service.documents import render
from service.documents.model import Party, Statement, StatementEntry
from tests.documents.samples import CONTACT, ISSUER, invoice


def text_of(pdf: bytes) -> list[str]:
    """The text of each page, as pypdf extracts it (whitespace collapsed)."""
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "poppler-utils is installed by scripts/ensure-tools.sh (make test)"
    source = tmp_path / "document.pdf"
    source.write_bytes(pdf)
    done = subprocess.run([tool, "-layout", str(source), "-"], check=True, capture_output=True,
                          timeout=60)
    return done.stdout.decode()


def test_an_invoice_carries_every_required_field(tmp_path: Path) -> None:
    document = invoice(corrects=("INV-000003",),
                       on_behalf_of=Party("derbyshire-police-authority",
                                          "Derbyshire Police Authority"))
    pdf = render.document_pdf(document, ISSUER, CONTACT)
    text = " ".join(text_of(pdf))
    for needed in (
            # issuer: name, address, contact, VAT number and statement, remittance
            "Example County Council", "County Hall", "Matlock DE4 3AG",
            "csu.finance@example.gov.uk", "01629 000000", "GB 123 4567 89",
            "Contributions between public bodies are outside the scope of VAT.",
            "Sort code 00-00-00, account 12345678",
            # addressee: name, organisation, address, email, their reference
            "Accounts Payable", "Derbyshire Constabulary", "Ripley DE5 3RS",
            "ap@example.police.uk", "PO-4411",
            # number, dates, terms
            "Invoice", "INV-000007", "Issue date 1 April 2015", "Due date 1 May 2015", "30 days",
            # lines: case, item, date incurred, share, amount
            "DHR/2015/01", "Overview author", "1 March 2015", "Panel chair", "2 March 2015",
            "1/6", "£708.34", "£500.00",
            # totals
            "Net £1,208.34", "Total due £1,208.34",
            # corrects and on behalf of
            "corrects INV-000003", "on behalf of Derbyshire Police Authority"):
        assert needed in text, needed
    # poppler reads the same text: it is real, selectable text
    assert "INV-000007" in pdftotext(pdf, tmp_path)


def test_a_credit_note_shows_the_credit_and_asks_for_no_payment() -> None:
    credit = invoice(lines=1, number="CN-000002", kind="credit-note", amount=-70834,
                     outstanding=-70834, corrects=("INV-000007",))
    credit = attrs.evolve(credit, lines=tuple(attrs.evolve(line, amount=-line.amount)
                                              for line in credit.lines))
    text = " ".join(text_of(render.document_pdf(credit, ISSUER, CONTACT)))
    assert "Credit note" in text and "CN-000002" in text
    assert "Total credit £708.34" in text and "corrects INV-000007" in text
    assert "No payment is due" in text and "Due date" not in text


def test_pages_are_a4_and_fonts_are_embedded(tmp_path: Path) -> None:
    pdf = render.document_pdf(invoice(), ISSUER, CONTACT)
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    fonts = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            composite: Any = font.get_object()
            descriptor = composite["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts.add(str(descriptor["/FontName"]).split("+")[-1])
    assert fonts <= {"Liberation-Sans", "Liberation-Sans-Bold"} and fonts
    tool = shutil.which("pdftoppm")
    assert tool, "poppler-utils is installed by scripts/ensure-tools.sh (make test)"
    (tmp_path / "invoice.pdf").write_bytes(pdf)
    subprocess.run([tool, "-png", "-r", "72", "-f", "1", "-l", "1", str(tmp_path / "invoice.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    with Image.open(next(tmp_path.glob("page*.png"))) as image:
        width, height = image.size
    assert (width, height) in ((595, 842), (596, 842))
    assert abs(height / width - 297 / 210) < 0.01


def test_a_long_invoice_breaks_across_pages_with_the_header_repeated() -> None:
    document = invoice(lines=120)
    pages = text_of(render.document_pdf(document, ISSUER, CONTACT))
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert "Case reference Item Date incurred Share Amount" in page, number
        assert f"Page {number} of {len(pages)}" in page
        assert "INV-000007" in page  # the running footer names the document on every page
    every = " ".join(pages)
    assert every.count("DHR/2015/01 ") >= 120
    assert "Total due £72,500.40" in pages[-1]  # 60 x 708.34 + 60 x 500.00


def test_a_statement_has_opening_entries_running_and_closing_balances() -> None:
    entries = (StatementEntry(date(2015, 4, 1), "invoice", "INV-000007", "DHR/2015/01",
                              120834, 130834),
               StatementEntry(date(2015, 5, 1), "payment", None, "BACS 4411", -50000, 80834),
               StatementEntry(date(2015, 6, 1), "credit-note", "CN-000002", "DHR/2015/01",
                              -70834, 10000))
    statement = Statement(Party("derbyshire-constabulary", "Derbyshire Constabulary"),
                          date(2015, 4, 1), date(2015, 6, 30), 10000, entries, 10000)
    text = " ".join(text_of(render.statement_pdf(statement, ISSUER, CONTACT,
                                                 date(2015, 7, 1))))
    for needed in ("Statement of account", "Derbyshire Constabulary", "Accounts Payable",
                   "Opening balance £100.00", "INV-000007", "£1,208.34", "£1,308.34",
                   "Payment", "BACS 4411", "-£500.00", "£808.34", "Credit note", "CN-000002",
                   "-£708.34", "Closing balance (owed to us) £100.00", "1 July 2015"):
        assert needed in text, needed


def test_nothing_typed_changes_the_page() -> None:
    hostile = attrs.evolve(CONTACT, name='<img src="file:///etc/passwd"> Bob',
                           address="<script>alert(1)</script>\n</p><h1>PAID</h1>",
                           finance_reference='") ; @page { size: A6 }')
    html = render.document_html(invoice(), ISSUER, hostile)
    assert "<img" not in html and "<script" not in html and "<h1>PAID" not in html
    pdf = render.document_pdf(invoice(), ISSUER, hostile)
    text = " ".join(text_of(pdf))
    assert '<img src="file:///etc/passwd"> Bob' in text and "<h1>PAID</h1>" in text
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert round(float(box.width)) == 595


def test_no_url_is_ever_fetched() -> None:
    with pytest.raises(ValueError, match="fetch nothing"):
        render._no_fetching("file:///etc/passwd")


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_money_reads_back_as_the_same_pence(amount: int) -> None:
    shown = render.money(amount)
    assert re.fullmatch(r"-?£[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}", shown)
    assert int(shown.replace("£", "").replace(",", "").replace(".", "")) == amount


def test_payments_and_credit_against_an_invoice_are_shown() -> None:
    document = invoice(status="part-paid", paid=50000, credited=20000, outstanding=50834)
    text = " ".join(text_of(render.document_pdf(document, ISSUER, CONTACT)))
    assert "Status Part paid" in text and "Paid £500.00" in text
    assert "Credit notes set against it £200.00" in text and "Outstanding £508.34" in text
    assert "Total due £1,208.34" in text
