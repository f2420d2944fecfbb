"""Board reports over HTTP: the JSON, CSV and XLSX exports of the board report's figures."""

from __future__ import annotations

from typing import Any

import flask

from service.api import schemas
from service.http import auth
from service.http.blueprint import Blueprint
from service.http.context import current_ruleset, ledger_session
from service.reports import board
from service.reports.board import XLSX
from service.wire import requests

blp = Blueprint("reports", __name__, url_prefix="/api/v1",
                description="Board reports: a bearer token is needed.")

@blp.route("/reports/board")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.arguments(requests.ReportQuerySchema(), location="query")
@blp.alt_response(200, schema=schemas.BoardReportSchema, description="The figures (JSON); "
                  "text/csv or an XLSX workbook with format=csv|xlsx")
@blp.exports("The board report's figures")
def board_export(query: dict[str, Any]) -> Any:
    """The board report's figures as JSON, CSV or XLSX."""
    year = board.report_year(query["year"])
    report = board.board_report(ledger_session(), current_ruleset(), year)
    if query["format"] == "csv":
        return flask.Response(board.report_csv(report), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="board-{year}.csv"'})
    if query["format"] == "xlsx":
        return flask.Response(board.report_xlsx(report), mimetype=XLSX, headers={
            "Content-Disposition": f'attachment; filename="board-{year}.xlsx"'})
    return board.report_json(report)
