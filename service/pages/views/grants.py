"""Grants: committing a fund's allocation as numbered awards, the awards with what is paid and
due, a stage's condition and payment. The same schemas and grant functions as the API."""

from __future__ import annotations

from typing import Any

import flask
import marshmallow as ma

from service.grants import awards
from service.http import paging
from service.http.context import current_ruleset, ledger_session
from service.ledger.errors import LedgerError
from service.pages.forms import Form, Invalid, load
from service.pages.views.accounting import actor
from service.pages.views.calculators import fund_page
from service.pages.views.common import blueprint, needs, page, write
from service.wire import requests as schemas

COMMIT = schemas.AwardsRequestSchema()
CONDITION = schemas.ConditionRequestSchema()
STAGE_PAYMENT = schemas.StagePaymentRequestSchema()
AWARDS_QUERY = schemas.AwardsQuerySchema()
#: Awards per page.
PAGE = 50


def _names() -> dict[str, str]:
    ruleset = current_ruleset()
    return {o: ruleset.name_of(o) for o in ruleset.organisations} | {
        c: ruleset.name_of(c) for c in ruleset.csps}


@blueprint.get("/awards")
@needs("viewer")
def awards_page() -> Any:
    """Awards (of one fund, if asked), with each stage, what is paid and what is still due."""
    args = flask.request.args
    fund = args.get("fund") or None
    query = {"limit": PAGE} | ({"fund": fund} if fund else {}) | (
        {"cursor": args["cursor"]} if args.get("cursor") else {})
    try:
        loaded = AWARDS_QUERY.load(query)
    except ma.ValidationError:  # a fund id or cursor no link makes: the first page of all
        fund, loaded = None, {"limit": PAGE}
    found = awards.list_awards(ledger_session(), **loaded)
    funds = {f.id: f.name for f in current_ruleset().funds.values()}
    return page("awards.html", f"Awards: {funds.get(fund, fund)}" if fund else "Awards",
                awards=found.items, funds=funds, fund=fund, names=_names(),
                next_page=paging.page_link(found.last))


@blueprint.post("/funds/<fund_id>/awards")
@needs("finance")
def commit_awards(fund_id: str) -> Any:
    """Commit the fund's allocation: one numbered award per recipient, with its stages."""
    form = Form.posted(flask.request.form, dates=("award-date",))
    try:
        on = form.date("award-date", "the award date")
        data = load(COMMIT, {"date": on}, form, {"date": "award-date"})
        made = write(lambda s: awards.commit_fund(s, current_ruleset(), fund_id, data["date"],
                                                  actor()))
    except (Invalid, LedgerError) as error:
        if isinstance(error, LedgerError):
            form.refuse(error, {"date": "award-date", "fund": "award-date"},
                        default="award-date")
        return fund_page(fund_id, form, 400)
    flask.flash(f"{len(made)} awards made", "success")
    return flask.redirect(flask.url_for("pages.awards_page", fund=fund_id), 303)


def _award_page(number: str, form: Form | None = None, status: int = 200) -> Any:
    award = awards.award_body(ledger_session(), awards.find_award(ledger_session(), number))
    return page("award.html", f"Award {number}", status, award=award, form=form or Form(),
                names=_names())


@blueprint.get("/awards/<number>")
@needs("viewer")
def award(number: str) -> Any:
    """One award: its stages, conditions, payments and recoveries."""
    return _award_page(number)


@blueprint.post("/awards/<number>/stages/<stage>")
@needs("finance")
def stage_action(number: str, stage: str) -> Any:
    """Record a stage's condition as met (or not), or pay the stage."""
    form = Form.posted(flask.request.form, dates=(f"{stage}-date",))
    field = f"{stage}-date"
    try:
        on = form.date(field, "the date")
        if form.get("action") == "pay":
            data = load(STAGE_PAYMENT, {"date": on}, form, {"date": field})
            write(lambda s: awards.pay_stage(s, number, stage, data["date"], actor()))
            message = f"Stage {stage} of {number} paid"
        else:
            data = load(CONDITION, {"met": form.get("action") == "met", "date": on,
                                    "note": form.get(f"{stage}-note") or None}, form,
                        {"date": field, "note": f"{stage}-note"})
            write(lambda s: awards.record_condition(s, number, stage, data["met"],
                                                    data["date"], data.get("note"), actor()))
            message = f"Condition of stage {stage} recorded"
    except (Invalid, LedgerError) as error:
        if isinstance(error, LedgerError):
            form.refuse(error, {"date": field}, default=field)
        return _award_page(number, form, 400)
    flask.flash(message, "success")
    return flask.redirect(flask.url_for("pages.award", number=number), 303)
