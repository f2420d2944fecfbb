"""The DHR forecast: what each partner should provide for reviews in a coming year."""

from __future__ import annotations

from datetime import date
from typing import Any

import allocations
from rules.forecast import forecast_year, needs_history
from service.api import schemas
from service.http import auth
from service.http.blueprint import Blueprint
from service.http.bodies import json_body
from service.http.context import current_ruleset, ledger_session
from service.ledger.history import review_history
from service.wire import answers, requests

blp = Blueprint("forecast", __name__, url_prefix="/api/v1",
                description="Forecast: public when reviews and cost are given; reading the "
                            "ledger's history needs the viewer role.")

FORECAST_REQUEST = requests.ForecastRequestSchema()


@auth.requires("viewer")
def _history_allowed() -> None:
    """Passes only for a caller with the viewer role (401 / 403 otherwise)."""


@blp.route("/forecast/dhr", methods=["POST"])
@blp.json_body(FORECAST_REQUEST)
@blp.alt_response(200, schema=schemas.ForecastSchema, description="The forecast")
def forecast_dhr() -> dict[str, Any]:
    """Expected DHR cost per partner for a financial year: expected reviews per district times
    the cost per review, split under the arrangement in force (by days where membership changes
    within the year). What is not given comes from the ledger (viewer role), with a low and
    high figure from its quietest and busiest years."""
    data = json_body(FORECAST_REQUEST)
    reviews = data.get("reviews")
    cost = data.get("cost_per_review")
    pence = None if cost is None else allocations.to_minor(cost)
    history = None
    if needs_history(reviews, pence):
        _history_allowed()
        history = review_history(ledger_session())
    ruleset = current_ruleset()
    result = forecast_year(ruleset, data["year"], reviews, pence, history, date.today(),
                           data.get("health_bodies"))
    return answers.forecast_body(ruleset, result)
