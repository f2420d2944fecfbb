"""The finance officer's and the board secretary's jobs end to end in Chromium, role checks,
CSRF refusal, bad input, an expired session, and axe-core on every page."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import update

from service.ledger import audit
from service.ledger.tables import SignInSession
from tests.browser.conftest import Site, Timer, sign_in


def titled(title: str) -> str:
    """A page's full title: unique per page, then the service's name."""
    return f"{title} \u2013 apportion"


def _date(page: Page, legend: str, day: int, month: int, year: int) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day))
    group.get_by_label("Month").fill(str(month))
    group.get_by_label("Year").fill(str(year))


def _open_case(page: Page, reference: str, district: str = "Amber Valley") -> None:
    page.goto("/cases/new")
    page.get_by_label("Reference").fill(reference)
    page.get_by_label("District where the review is held").select_option(label=district)
    _date(page, "Date the review was commissioned", 1, 11, 2012)
    page.get_by_role("button", name="Open case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {reference}")


def _pounds(text: str) -> Decimal:
    """An amount as the pages show it ("£1,066.68", "\u2212£500.00") as a Decimal."""
    return Decimal(text.replace("\u2212", "-").replace("£", "").replace(",", ""))


def _add_cost(page: Page, item: str, amount: str, day: int, month: int, year: int) -> None:
    page.get_by_label("Cost item").select_option(item)
    page.get_by_label("Amount").fill(amount)
    _date(page, "Date the cost was incurred", day, month, year)
    page.get_by_role("button", name="Add cost").click()
    expect(page.get_by_text("Cost added")).to_be_visible()


def test_the_finance_officers_journey(page: Page) -> None:
    with Timer() as timer:
        sign_in(page, "finance")
        expect(page).to_have_title(titled("Dashboard"))
        page.get_by_role("link", name="Open a case").first.click()
        expect(page.get_by_text("No victim-identifying data")).to_be_visible()
        _open_case(page, "DHR/2013/07")
        _add_cost(page, "overview-author", "4,250.00", 20, 4, 2013)
        _add_cost(page, "panel-chair", "1500", 25, 4, 2013)
        _date(page, "Billing date", 1, 5, 2013)
        page.get_by_role("button", name="Preview billing").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Check the billing before it is issued")
        shares = page.locator("td.govuk-table__cell--numeric").all_inner_texts()
        assert shares == ["£958.34", "£958.34", "£958.33", "£958.33", "£958.33", "£958.33"]
        page.get_by_role("button", name="Confirm and issue").click()
        expect(page.get_by_text("6 documents issued")).to_be_visible()
        numbers = sorted(set(re.findall(r"INV-\d{6}", page.locator("#documents + table")
                                        .inner_text())))
        assert len(numbers) == 6
        pdf_link = page.get_by_role("link", name=f"PDF of {numbers[0]}")
        pdf = page.request.get(pdf_link.get_attribute("href") or "")
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        assert pdf.body().startswith(b"%PDF")
        page.get_by_role("link", name="Payments").click()
        page.get_by_label("Invoice (or credit note, for a refund)").select_option(numbers[0])
        page.get_by_label("Amount received (optional)").fill("500.00")
        _date(page, "Date it was received", 1, 6, 2013)
        page.get_by_label("Remittance reference (optional)").fill("BACS 4471")
        page.get_by_role("button", name="Record payment").click()
        expect(page.get_by_text(f"Payment against {numbers[0]} recorded")).to_be_visible()
        page.goto("/partners")
        page.get_by_role("link", name="Derbyshire Constabulary").click()
        # the statement's running balance: the part payment takes £500.00 off what was owed
        # (other tests may have billed this partner too, so the row before it is the measure)
        rows = [row.split("\t") for row in
                page.locator("table").first.locator("tbody tr").all_inner_texts()]
        paid = next(i for i, row in enumerate(rows) if "BACS 4471" in row[1])
        assert rows[paid][1] == f"Paid 1 June 2013 against {numbers[0]} (BACS 4471)"
        assert rows[paid][3] == "\u2212£500.00"
        assert _pounds(rows[paid - 1][4]) - _pounds(rows[paid][4]) == Decimal("500.00")
        page.get_by_role("link", name="DHR/2013/07").first.click()
        expect(page.locator("#documents + table")).to_contain_text("Part paid")
    print(f"\nfinance officer's journey: {timer.seconds:.1f} s")


def test_the_board_secretarys_journey(page: Page, site: Site) -> None:
    with Timer() as timer:
        sign_in(page, "finance")
        _open_case(page, "DHR-2013-08", "Erewash")
        _add_cost(page, "overview-author", "3000.01", 1, 8, 2013)
        _date(page, "Billing date", 1, 9, 2013)
        page.get_by_role("button", name="Preview billing").click()
        page.get_by_role("button", name="Confirm and issue").click()
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_title(titled("You have signed out"))

        sign_in(page, "viewer", "/reports/board?year=2013-14")
        expect(page).to_have_title(titled("Board report 2013-14"))
        expect(page.locator("svg").first).to_be_visible()
        with page.expect_download() as csv_download:
            page.get_by_role("link", name=re.compile("^CSV")).click()
        assert csv_download.value.suggested_filename == "board-2013-14.csv"
        rows = list(csv.reader(io.StringIO(
            Path(csv_download.value.path()).read_text(encoding="utf-8"))))
        assert any("Erewash Borough Council" in row for row in rows)
        with page.expect_download() as xlsx_download:
            page.get_by_role("link", name=re.compile("^XLSX")).click()
        assert xlsx_download.value.suggested_filename == "board-2013-14.xlsx"
        workbook = load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()))
        assert workbook.sheetnames
    print(f"\nboard secretary's journey: {timer.seconds:.1f} s")


def test_a_viewer_sees_no_finance_buttons_and_posting_anyway_is_refused(page: Page) -> None:
    sign_in(page, "finance")
    _open_case(page, "DHR-2013-09")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "viewer", "/cases/DHR-2013-09")
    for name in ("Add cost", "Preview billing"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_role("link", name="Open a case")).to_have_count(0)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    refused = page.request.post("/cases/DHR-2013-09/costs", form={
        "csrf_token": token, "item": "overview-author", "amount": "1",
        "incurred-day": "1", "incurred-month": "1", "incurred-year": "2013"})
    assert refused.status == 403
    page.goto("/cases/new")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You do not have permission to do this")


def test_a_form_without_its_csrf_token_is_refused(page: Page) -> None:
    sign_in(page, "finance")
    refused = page.request.post("/cases/new", form={
        "reference": "DHR-CSRF-1", "district": "erewash", "commissioned-day": "1",
        "commissioned-month": "1", "commissioned-year": "2013"})
    assert refused.status == 400 and "Your form has expired" in refused.text()
    assert page.request.get("/cases/DHR-CSRF-1").status == 404


def test_bad_input_comes_back_with_the_error_summary_and_input_kept(page: Page) -> None:
    sign_in(page, "finance", "/cases/new")
    page.get_by_label("Reference").fill("Smith family")
    _date(page, "Date the review was commissioned", 30, 2, 2013)
    page.get_by_role("button", name="Open case").click()
    expect(page).to_have_title(titled("Error: Open a case"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    links = summary.get_by_role("link")
    expect(links).to_have_count(3)
    links.nth(2).click()
    expect(page.locator("#commissioned-day")).to_be_focused()
    expect(page.get_by_label("Reference")).to_have_value("Smith family")


def test_an_expired_session_returns_to_sign_in_then_to_the_page_asked_for(
        page: Page, site: Site) -> None:
    sign_in(page, "viewer", "/")
    with site.app.extensions["apportion.db"].session() as session:
        session.execute(update(SignInSession).values(
            last_seen=audit.now() - timedelta(hours=2)))
        session.commit()
    page.goto("/cases?status=open")
    expect(page).to_have_title(titled("Sign in"))
    sign_in(page, "viewer", page.url.split(page.url.split("/")[2], 1)[1])
    assert page.url.endswith("/cases?status=open")
    expect(page).to_have_title(titled("Cases"))


def test_keyboard_only_sign_in_and_navigation(page: Page) -> None:
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.get_by_label("Email address").focus()
    page.keyboard.type("finance@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery staple")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_title(titled("Dashboard"))
    page.get_by_role("link", name="Cases", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_title(titled("Cases"))
