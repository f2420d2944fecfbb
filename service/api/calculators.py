"""Stateless calculators: DHR apportionment, fund allocation, what-if comparison."""

from __future__ import annotations

from typing import Any

import flask

import rules
from service.api import schemas
from service.http.blueprint import Blueprint
from service.http.bodies import json_body
from service.http.context import current_ruleset
from service.reports import board
from service.reports.board import XLSX
from service.wire import answers, requests

blp = Blueprint("calculators", __name__, url_prefix="/api/v1",
                description="Calculators: public, no token needed, nothing stored.")

DHR_REQUEST = requests.DhrRequestSchema()
FUND_REQUEST = requests.FundRequestSchema()
COMPARE_REQUEST = requests.CompareRequestSchema()


@blp.route("/dhr/apportion", methods=["POST"])
@blp.json_body(DHR_REQUEST)
@blp.alt_response(200, schema=schemas.ApportionmentSchema, description="The split")
def apportion_dhr() -> dict[str, Any]:
    """Split a review's costs among the statutory partners on the date, to the penny."""
    ruleset = current_ruleset()
    result = rules.apportion(ruleset, answers.dhr_request(json_body(DHR_REQUEST)))
    return answers.apportionment_body(ruleset, result)


@blp.route("/funds/allocate", methods=["POST"])
@blp.json_body(FUND_REQUEST)
@blp.alt_response(200, schema=schemas.FundAllocationSchema, description="The allocation")
def allocate_fund() -> dict[str, Any]:
    """Allocate a fund (an id or an inline definition) line by line to its recipients."""
    ruleset = current_ruleset()
    fund = answers.fund_of(ruleset, answers.fund_reference(json_body(FUND_REQUEST)["fund"]))
    return answers.fund_answer(ruleset, fund)


@blp.route("/scenarios/compare", methods=["POST"])
@blp.arguments(requests.CompareQuerySchema(), location="query")
@blp.json_body(COMPARE_REQUEST)
@blp.alt_response(200, schema=schemas.ComparisonSchema,
                  description="Base, scenario, delta (JSON; CSV or XLSX with format=)")
@blp.exports("Base, scenario, delta")
def compare(query: dict[str, Any]) -> Any:
    """Compare DHR splits and fund allocations under the rules and under changed rules."""
    ruleset = current_ruleset()
    body = json_body(COMPARE_REQUEST)
    result = rules.compare(
        ruleset, answers.changes(body["changes"]), [answers.dhr_request(r) for r in body["dhr"]],
        [answers.fund_reference(f["fund"], f"funds.{i}.fund") for i, f in enumerate(body["funds"])])
    answer = answers.comparison_body(ruleset, result)
    if query["format"] == "csv":
        return flask.Response(board.comparison_csv(answer), mimetype="text/csv", headers={
            "Content-Disposition": 'attachment; filename="whatif.csv"'})
    if query["format"] == "xlsx":
        return flask.Response(board.comparison_xlsx(answer), mimetype=XLSX,
                              headers={"Content-Disposition": 'attachment; filename="whatif.xlsx"'})
    return answer
