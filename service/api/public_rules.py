"""Read-only views of the rules in use: organisations, districts, arrangements, funds."""

from __future__ import annotations

from datetime import date
from typing import Any

from werkzeug.exceptions import NotFound

from service.api import schemas
from service.http.blueprint import Blueprint, problems
from service.http.context import current_ruleset
from service.wire import answers, requests

blp = Blueprint("rules", __name__, url_prefix="/api/v1",
                description="The rules in use: public, no token needed.")


@blp.route("/organisations")
@blp.arguments(requests.OrganisationsQuerySchema(), location="query", as_kwargs=True)
@blp.alt_response(200, schema=schemas.OrganisationsSchema, description="Active on the date")
def organisations(date: date | None = None) -> dict[str, Any]:
    """Organisations active on a date (default today), and whether each is statutory then."""
    return answers.organisations_body(current_ruleset(), date or _today())


def _today() -> date:
    return date.today()


@blp.route("/districts")
@blp.alt_response(200, schema=schemas.DistrictsSchema, description="Districts and CSPs")
def districts() -> dict[str, Any]:
    """Districts with their council, CSP and health coverage over time; CSPs."""
    return answers.districts_body(current_ruleset())


@blp.route("/arrangements")
@blp.alt_response(200, schema=schemas.ArrangementsSchema, description="Every arrangement")
def arrangements() -> dict[str, Any]:
    """Cost-sharing arrangements: roles in order, policies, sources."""
    return {"arrangements": [answers.arrangement_body(a)
                             for a in current_ruleset().arrangements.values()]}


@blp.route("/arrangements/<slug:arrangement_id>")
@blp.alt_response(200, schema=schemas.ArrangementSchema, description="The arrangement")
@blp.doc(responses=problems((404, "Unknown arrangement")))
def arrangement(arrangement_id: str) -> dict[str, Any]:
    """One arrangement."""
    found = current_ruleset().arrangements.get(arrangement_id)
    if found is None:
        raise NotFound(f"unknown arrangement {arrangement_id!r}; known: "
                       f"{', '.join(current_ruleset().arrangements)}")
    return answers.arrangement_body(found)


@blp.route("/funds")
@blp.alt_response(200, schema=schemas.FundsSchema, description="Every fund")
def funds() -> dict[str, Any]:
    """Fund definitions: year, total, recipients and ordered lines."""
    return {"funds": [answers.fund_body(f) for f in current_ruleset().funds.values()]}


@blp.route("/funds/<fund:fund_id>")
@blp.alt_response(200, schema=schemas.FundSchema, description="The fund")
@blp.doc(responses=problems((404, "Unknown fund")))
def fund(fund_id: str) -> dict[str, Any]:
    """One fund definition."""
    found = current_ruleset().funds.get(fund_id)
    if found is None:
        raise NotFound(f"unknown fund {fund_id!r}; known: {', '.join(current_ruleset().funds)}")
    return answers.fund_body(found)
