"""Board reports: the JSON, CSV and XLSX exports (bearer token, or the signed-in session of the
web app for these downloads), and the standalone printable HTML the CLI writes."""

from __future__ import annotations

from typing import Any

import flask
from flask import render_template

import allocations
from service import auth, reports, schemas
from service.app import Blueprint, current_ruleset, ledger_session
from service.errors import Rejected

blp = Blueprint("reports", __name__, url_prefix="/api/v1",
                description="Board reports: a bearer token (or a signed-in session) is needed.")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(value: str | None) -> str:
    try:
        if value is None:
            raise ValueError("give a financial year such as 2013-14")
        reports.year_bounds(value)
    except ValueError as error:
        raise Rejected(422, str(error), {"year": [str(error)]}) from None
    return value


def _report(year: str) -> reports.BoardReport:
    return reports.board_report(ledger_session(), current_ruleset(), year)


def render_html(report: reports.BoardReport) -> str:
    charts = reports.report_svg_charts(report)
    body = reports.report_json(report)
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
                     for r, lines, total in reports.fund_rows(allocated)],
            "chart": charts[index + (1 if report.partners else 0)]
            if len(charts) > index + (1 if report.partners else 0) else None})
    return render_template("board.html", report=report, funds=funds, charts=charts,
                           columns=reports.DHR_COLUMNS,
                           money=lambda pence: f"£{reports.pounds(pence):,.2f}")


@blp.route("/reports/board")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.arguments(schemas.ReportQuerySchema(), location="query")
@blp.alt_response(200, schema=schemas.BoardReportSchema, description="The figures (JSON); "
                  "text/csv or an XLSX workbook with format=csv|xlsx")
def board_export(query: dict[str, Any]) -> Any:
    """The board report's figures as JSON, CSV or XLSX."""
    year = _year(query["year"])
    report = _report(year)
    if query["format"] == "csv":
        return flask.Response(reports.report_csv(report), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="board-{year}.csv"'})
    if query["format"] == "xlsx":
        return flask.Response(reports.report_xlsx(report), mimetype=XLSX, headers={
            "Content-Disposition": f'attachment; filename="board-{year}.xlsx"'})
    return reports.report_json(report)
