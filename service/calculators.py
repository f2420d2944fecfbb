"""Stateless calculators: DHR apportionment, fund allocation, what-if comparison."""

from __future__ import annotations

from typing import Any

import flask

import rules
from service import reports, reports_api, schemas, wire
from service.app import Blueprint, current_ruleset, json_body

blp = Blueprint("calculators", __name__, url_prefix="/api/v1",
                description="Calculators: public, no token needed, nothing stored.")

DHR_REQUEST = schemas.DhrRequestSchema()
FUND_REQUEST = schemas.FundRequestSchema()
COMPARE_REQUEST = schemas.CompareRequestSchema()


@blp.route("/dhr/apportion", methods=["POST"])
@blp.json_body(DHR_REQUEST)
@blp.alt_response(200, schema=schemas.ApportionmentSchema, description="The split")
def apportion_dhr() -> dict[str, Any]:
    """Split a review's costs among the statutory partners on the date, to the penny."""
    ruleset = current_ruleset()
    result = rules.apportion(ruleset, wire.dhr_request(json_body(DHR_REQUEST)))
    return wire.apportionment_body(ruleset, result)


@blp.route("/funds/allocate", methods=["POST"])
@blp.json_body(FUND_REQUEST)
@blp.alt_response(200, schema=schemas.FundAllocationSchema, description="The allocation")
def allocate_fund() -> dict[str, Any]:
    """Allocate a fund (an id or an inline definition) line by line to its recipients."""
    ruleset = current_ruleset()
    fund = wire.fund_of(ruleset, wire.fund_reference(json_body(FUND_REQUEST)["fund"]))
    return wire.fund_allocation_body(ruleset, rules.allocate_fund(ruleset, fund))


@blp.route("/scenarios/compare", methods=["POST"])
@blp.arguments(schemas.CompareQuerySchema(), location="query")
@blp.json_body(COMPARE_REQUEST)
@blp.alt_response(200, schema=schemas.ComparisonSchema,
                  description="Base, scenario, delta (JSON; CSV or XLSX with format=)")
def compare(query: dict[str, Any]) -> Any:
    """Compare DHR splits and fund allocations under the rules and under changed rules."""
    ruleset = current_ruleset()
    body = json_body(COMPARE_REQUEST)
    result = rules.compare(
        ruleset, wire.changes(body["changes"]), [wire.dhr_request(r) for r in body["dhr"]],
        [wire.fund_reference(f["fund"], f"funds.{i}.fund") for i, f in enumerate(body["funds"])])
    answer = wire.comparison_body(ruleset, result)
    if query["format"] == "csv":
        return flask.Response(reports.comparison_csv(answer), mimetype="text/csv", headers={
            "Content-Disposition": 'attachment; filename="whatif.csv"'})
    if query["format"] == "xlsx":
        return flask.Response(reports.comparison_xlsx(answer), mimetype=reports_api.XLSX,
                              headers={"Content-Disposition": 'attachment; filename="whatif.xlsx"'})
    return answer
