"""The board report as a printable HTML page (A4 print CSS, SVG charts), rendered with Jinja
outside any request: the page and the CLI render the same HTML."""

from __future__ import annotations

import functools

import jinja2

import allocations
from service.reports.board import (
    DHR_COLUMNS,
    BoardReport,
    fund_rows,
    pounds,
    report_json,
    report_svg_charts,
)

__all__ = ["render_html"]


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("service.reports", "templates"),
                              autoescape=True)


def render_html(report: BoardReport) -> str:
    """The report as a complete HTML page."""
    charts = report_svg_charts(report)
    body = report_json(report)
    funds = []
    for index, (fund, allocated) in enumerate(zip(body["funds"], report.funds, strict=True)):
        funds.append({
            "name": fund["name"], "source": fund["source"],
            "total": allocations.to_minor(allocated.result.total),
            "allocated": allocations.to_minor(allocated.result.allocated),
            "unallocated": allocations.to_minor(allocated.result.unallocated),
            "lines": [{"id": line.id, "amount": allocations.to_minor(line.amount)}
                      for line in allocated.result.lines],
            "rows": [{"name": report.ruleset.name_of(r), "lines": lines, "total": total}
                     for r, lines, total in fund_rows(allocated)],
            "chart": charts[index + (1 if report.partners else 0)]
            if len(charts) > index + (1 if report.partners else 0) else None})
    return _templates().get_template("board.html").render(
        report=report, funds=funds, charts=charts, columns=DHR_COLUMNS,
        money=lambda pence: f"£{pounds(pence):,.2f}")
