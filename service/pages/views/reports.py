"""The board report of a financial year: the figures, charts and sources, printable, with
its CSV and XLSX downloads (the API's exports, which accept the signed-in session)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import flask
from markupsafe import Markup

import allocations
from service.http.context import current_ruleset, ledger_session
from service.http.hardening import csp_nonce
from service.pages.forms import Form
from service.pages.views.accounting import financial_year
from service.pages.views.common import blueprint, needs, page
from service.reports import board as reports

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _chart(svg: str) -> Markup:
    """A pygal chart as inline SVG the page's Content-Security-Policy allows: its style
    element carries the page's nonce, its script (pygal's tooltips) is left out."""
    nonce = csp_nonce()
    return Markup(_SCRIPT.sub("", svg).replace("<style", f'<style nonce="{nonce}"'))


@blueprint.get("/reports/board")
@needs("viewer")
def board() -> Any:
    """The board report for ``?year=`` (default: the current financial year)."""
    year = flask.request.args.get("year") or financial_year(date.today())
    form = Form({"year": year})
    try:
        reports.year_bounds(year)
    except ValueError as error:
        form.error("year", f"Enter a financial year like 2013-14 ({error})")
        return page("board_report.html", "Board report", 400, form=form, report=None)
    report = reports.board_report(ledger_session(), current_ruleset(), year)
    charts = [_chart(svg) for svg in reports.report_svg_charts(report)]
    funds = []
    first_fund_chart = 1 if report.partners else 0
    for index, allocated in enumerate(report.funds):
        funds.append({
            "name": allocated.fund.name, "source": allocated.fund.source,
            "total": allocations.to_minor(allocated.result.total),
            "allocated": allocations.to_minor(allocated.result.allocated),
            "unallocated": allocations.to_minor(allocated.result.unallocated),
            "lines": [{"id": line.id, "amount": allocations.to_minor(line.amount)}
                      for line in allocated.result.lines],
            "rows": [{"name": report.ruleset.name_of(r), "lines": lines, "total": total}
                     for r, lines, total in reports.fund_rows(allocated)],
            "chart": charts[first_fund_chart + index]
            if len(charts) > first_fund_chart + index else None})
    return page("board_report.html", f"Board report {year}", form=form, report=report, funds=funds,
                dhr_chart=charts[0] if report.partners else None,
                columns=reports.DHR_COLUMNS, year=year)
