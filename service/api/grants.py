"""Grants over HTTP: committing a fund's awards, conditions, stage payments, recoveries and the
360Giving export. Every call needs a bearer token; writes run as one transaction each."""

from __future__ import annotations

from typing import Any

import flask

from service.api import schemas
from service.api.ledger import command
from service.grants import awards, opendata
from service.http import auth, paging
from service.http.blueprint import Blueprint
from service.http.bodies import json_body
from service.http.context import current_ruleset, ledger_session
from service.ledger import audit
from service.wire import requests

__all__ = ["blp"]

blp = Blueprint("grants", __name__, url_prefix="/api/v1",
                description="Grants: awards, stage payments, recoveries, open data.")

AWARDS = requests.AwardsRequestSchema()
CONDITION = requests.ConditionRequestSchema()
STAGE_PAYMENT = requests.StagePaymentRequestSchema()
RECOVERY = requests.RecoveryRequestSchema()


@blp.route("/funds/<fund_id>/awards", methods=["POST"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(AWARDS)
@blp.alt_response(201, schema=schemas.AwardsSchema, description="The awards issued")
def commit(fund_id: str) -> Any:
    """Commit a fund's allocation: one numbered award per recipient, with its stages."""
    on = json_body(AWARDS)["date"]
    return command(lambda s: {"awards": awards.commit_fund(s, current_ruleset(), fund_id, on,
                                                           auth.actor())})


@blp.route("/awards")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.arguments(requests.AwardsQuerySchema(), location="query", as_kwargs=True)
@blp.alt_response(200, schema=schemas.AwardsPageSchema, description="Awards, paid and to pay")
def list_awards(**query: Any) -> Any:
    """Awards, optionally of one fund and one recipient, with what is paid and still due;
    in number order, a page at a time (`limit`, and `next`: the URL of the next page)."""
    found = awards.list_awards(ledger_session(), **query)
    return {"awards": found.items, "next": paging.page_link(found.last)}


@blp.route("/awards/<number>/stages/<stage>/condition", methods=["POST"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(CONDITION)
@blp.alt_response(200, schema=schemas.AwardSchema, description="The award")
def condition(number: str, stage: str) -> Any:
    """Record whether a stage's condition is met (e.g. the outcome report received)."""
    data = json_body(CONDITION)
    return command(lambda s: awards.record_condition(
        s, number, stage, data["met"], data["date"], data.get("note"), auth.actor()), 200)


@blp.route("/awards/<number>/stages/<stage>/payment", methods=["POST"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(STAGE_PAYMENT)
@blp.alt_response(201, schema=schemas.StagePaymentSchema, description="The payment")
def payment(number: str, stage: str) -> Any:
    """Pay a stage in full: refused before its due date and until its condition is met."""
    on = json_body(STAGE_PAYMENT)["date"]
    return command(lambda s: awards.pay_stage(s, number, stage, on, auth.actor()))


@blp.route("/awards/<number>/recovery", methods=["POST"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(RECOVERY)
@blp.alt_response(201, schema=schemas.RecoverySchema, description="The recovery")
def recovery(number: str) -> Any:
    """Claw back underspend: at most what was paid and not yet recovered."""
    data = json_body(RECOVERY)
    return command(lambda s: awards.recover(s, number, data["amount"], data["date"],
                                            data["reason"], auth.actor()))


@blp.route("/funds/<fund_id>/360giving")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.arguments(requests.OpenDataQuerySchema(), location="query")
@blp.alt_response(200, schema={"type": "object"},
                  description="A 360Giving grant package (JSON); its CSV with format=csv")
@blp.alt_response(200, content_type="text/csv", schema={"type": "string"},
                  description="A 360Giving grant package (JSON); its CSV with format=csv")
def open_data(query: dict[str, Any], fund_id: str) -> Any:
    """The fund's awards in the 360Giving Data Standard."""
    package = opendata.grants_package(ledger_session(), current_ruleset(), fund_id,
                                      audit.now().date(),
                                      flask.current_app.config.get("OPEN_DATA_PREFIX"))
    if query["format"] == "csv":
        return flask.Response(opendata.grants_csv(package), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{fund_id}-360giving.csv"'})
    return flask.Response(opendata.grants_json(package), mimetype="application/json")
