"""axe-core in Chromium on every page of the web app (each state that matters: empty forms,
forms with errors, previews, results): no serious or critical violation, and every page's
title unique."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import AXE_RESULTS, check_page, sign_in
from tests.browser.test_journeys import _add_cost, _date, _open_case


def test_every_page_passes_axe_and_has_a_unique_title(page: Page) -> None:
    failures: dict[str, list[dict[str, object]]] = {}

    def check(name: str) -> None:
        serious = check_page(page, name)
        if serious:
            failures[name] = serious

    page.goto("/sign-in")
    check("sign-in")
    page.get_by_role("button", name="Sign in").click()
    check("sign-in-errors")
    sign_in(page, "admin")
    check("dashboard")
    page.goto("/cases/new")
    check("new-case")
    page.get_by_role("button", name="Open case").click()
    check("new-case-errors")
    _open_case(page, "DHR-AXE-1")
    _add_cost(page, "overview-author", "4250", 20, 4, 2013)
    check("case")
    page.get_by_role("button", name="Preview billing").click()
    check("case-billing-errors")
    _date(page, "Billing date", 1, 5, 2013)
    page.get_by_role("button", name="Preview billing").click()
    check("billing-preview")
    page.get_by_role("button", name="Confirm and issue").click()
    expect(page.get_by_text("6 documents issued")).to_be_visible()
    check("case-billed")
    _date(page, "Rebilling date", 1, 7, 2014)
    page.get_by_role("button", name="Preview rebill").click()
    check("rebill-preview")
    page.goto("/cases/DHR-AXE-1")
    page.get_by_role("link", name="Change").first.click()
    check("change-cost")
    page.goto("/cases?district=amber-valley&status=open")
    check("cases")
    page.goto("/partners")
    check("partners")
    page.get_by_role("link", name="Derbyshire Constabulary").click()
    check("partner")
    page.goto("/payments")
    check("payments")
    page.get_by_role("button", name="Record payment").click()
    check("payments-errors")
    page.goto("/partners/derbyshire-constabulary")
    page.get_by_text("Set the billing contact").click()
    page.get_by_role("button", name="Save billing contact").click()
    check("partner-contact-errors")
    page.goto("/calculator")
    check("calculator")
    page.get_by_label("District where the review is held").select_option("high-peak")
    _date(page, "Date of the split (the billing date)", 1, 5, 2015)
    page.get_by_label("Cost: overview-author (optional)").fill("4250")
    page.get_by_role("button", name="Calculate").click()
    # High Peak had two health commissioners in 2015: the rules ask which one
    expect(page.locator(".govuk-error-summary")).to_contain_text("health")
    check("calculator-errors")
    page.get_by_label("District where the review is held").select_option("amber-valley")
    page.get_by_role("button", name="Calculate").click()
    expect(page.locator("#result")).to_contain_text("£4,250.00 split on 1 May 2015")
    check("calculator-result")
    page.goto("/funds")
    check("funds")
    page.goto("/funds?fund=home-office-csf-2012-13")
    check("fund")
    page.goto("/funds?fund=pcc-passported-2013-14")
    expect(page.get_by_role("table", name="Payment stages")).to_be_visible()
    check("fund-with-stages")
    _date(page, "Award (decision) date", 1, 4, 2013)
    page.get_by_role("button", name="Make the awards").click()
    expect(page.get_by_text("10 awards made")).to_be_visible()
    check("awards")
    page.locator("table a").first.click()
    check("award")
    page.get_by_role("button", name=re.compile("^Pay stage")).first.click()
    check("award-errors")
    page.goto("/what-if")
    check("what-if")
    page.get_by_label("Fund", exact=True).select_option("home-office-csf-2012-13")
    page.get_by_label("District", exact=True).select_option("amber-valley")
    _date(page, "Date of the split", 1, 5, 2015)
    page.get_by_label("Cost: overview-author (optional)").fill("4250")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#comparison")).to_be_visible()
    check("what-if-result")
    page.goto("/reports/board?year=2013-14")
    check("board-report")
    page.goto("/admin/users")
    check("admin-users")
    page.get_by_label("Name").fill("New Person")
    page.get_by_label("Email address").fill("new.person@example.org")
    page.get_by_role("button", name="Create account").click()
    check("admin-user-created")
    page.goto("/admin/tokens")
    check("admin-tokens")
    page.goto("/admin/settings")
    check("admin-settings")
    page.get_by_role("button", name="Save issuer settings").click()
    check("admin-settings-errors")
    page.goto("/admin/audit")
    check("admin-audit")
    page.goto("/cases/NO-SUCH-CASE")
    check("not-found")
    page.get_by_role("button", name="Sign out").click()
    check("signed-out")

    assert not failures, failures
    titles = [r["title"] for name, r in AXE_RESULTS.items() if not name.endswith(
        ("-errors", "-result", "-billed", "-created"))]
    assert len(titles) == len(set(titles)), sorted(titles)
