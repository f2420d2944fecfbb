"""The calculator (a DHR split at any date, each penny explained), funds (allocations with
their lines) and what-if (base and scenario side by side, deltas, downloads). Nothing is
stored; each page loads its form with the API's request schema and calls the same rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import flask

import allocations
import rules
from service.http.context import current_ruleset
from service.pages.forms import Form, Invalid, load
from service.pages.views.common import blueprint, page
from service.reports import board as reports
from service.reports.board import XLSX
from service.wire import answers as wire
from service.wire import requests as schemas

DHR_REQUEST = schemas.DhrRequestSchema()
COMPARE_REQUEST = schemas.CompareRequestSchema()

#: The scenario changes the what-if form offers (each maps to one API change object).
CHANGES = {
    "probation-one-share": "Probation providers count as one partner",
    "contribution": "An organisation pays a share of an item before the split",
    "end-organisation": "An organisation ends on a date",
    "fund-total": "A fund's total changes",
}


def _items() -> list[str]:
    return sorted({i for a in current_ruleset().arrangements.values() for i in a.shared_items})


def _choices() -> dict[str, Any]:
    ruleset = current_ruleset()
    covered = {d for a in ruleset.arrangements.values() for d in a.districts}
    bodies = {b for d in ruleset.districts.values() for c in d.health for b in c.bodies}
    return {
        "districts": [(d.id, d.name) for d in ruleset.districts.values() if d.id in covered],
        "health_bodies": sorted(((b, ruleset.name_of(b)) for b in bodies),
                                key=lambda item: item[1]),
        "items": _items(),
        "organisations": sorted(((o.id, o.name) for o in ruleset.organisations.values()),
                                key=lambda item: item[1]),
        "arrangements": [(a.id, a.name) for a in ruleset.arrangements.values()],
        "funds": [(f.id, f.name) for f in ruleset.funds.values()],
    }


def _dhr_data(form: Form, prefix: str = "") -> dict[str, Any]:
    """A DHR request from the form (the calculator's and what-if's DHR fields)."""
    if not form.get(f"{prefix}district"):
        form.error(f"{prefix}district", "Select the district")
    on = form.date(f"{prefix}date", "the date of the split")
    costs = []
    for item in _items():
        text = form.get(f"{prefix}cost-{item}").replace(",", "").replace("£", "")
        if text:
            costs.append({"item": item, "amount": text})
    if not costs:
        form.error(f"{prefix}cost-{_items()[0]}", "Enter at least one cost")
    return {"district": form.get(f"{prefix}district"), "date": on, "costs": costs,
            "health_body": form.get(f"{prefix}health_body") or None}


def _cost_fields(prefix: str = "") -> dict[str, str]:
    """Maps the schema's cost paths (``costs.0.amount``) to the form's fields."""
    return {f"costs.{i}.amount": f"{prefix}cost-{item}" for i, item in enumerate(_items())}


@blueprint.route("/calculator", methods=["GET", "POST"])
def calculator() -> Any:
    """Split a review's costs among the partners on a date, each penny explained."""
    form = Form.posted(flask.request.form, dates=("date",), district="District",
                       health_body="Health commissioner") \
        if flask.request.method == "POST" else Form()
    answer = None
    status = 200
    if flask.request.method == "POST":
        try:
            data = load(DHR_REQUEST, _dhr_data(form), form, _cost_fields())
            ruleset = current_ruleset()
            answer = wire.apportionment_body(ruleset,
                                             rules.apportion(ruleset, wire.dhr_request(data)))
        except Invalid:
            status = 400
        except (rules.RulesError, allocations.AllocationError) as error:
            form.refuse(error, {"date": "date", "health_body": "health_body"},
                        default="district")
            status = 400
    return page("calculator.html", "DHR cost calculator", status, form=form, answer=answer,
                **_choices())


@blueprint.get("/funds")
def funds() -> Any:
    """The funds of the rules, and one fund's allocation line by line."""
    chosen = flask.request.args.get("fund", "")
    return fund_page(chosen, Form())


def fund_page(chosen: str, form: Form, status: int = 200) -> Any:
    """The funds page (a fund's allocation when ``chosen``), with ``form`` for awarding it."""
    ruleset = current_ruleset()
    allocation = None
    if chosen:
        fund = ruleset.fund(chosen, field="fund")
        allocation = wire.fund_answer(ruleset, fund)
        allocation["source"] = fund.source
        for row in allocation["recipients"]:
            if row.get("previous") is not None:  # the change on the fund this one follows
                row["change"] = Decimal(row["amount"]) - Decimal(row["previous"])
    title = f"Fund: {allocation['name']}" if allocation else "Funds"
    return page("funds.html", title, status, funds=list(ruleset.funds.values()), chosen=chosen,
                allocation=allocation, form=form)


def _change(form: Form) -> dict[str, Any] | None:
    kind = form.get("change")
    if kind not in CHANGES:
        form.error("change", "Select what changes in the scenario")
        return None
    arrangement = form.get("arrangement")
    if kind == "probation-one-share":
        return {"op": "set-policy", "arrangement": arrangement, "policy": "probation",
                "value": "one-share"}
    if kind == "contribution":
        change = {"op": "add-contribution", "arrangement": arrangement,
                  "organisation": form.get("contributor"), "item": form.get("contribution-item"),
                  "percent": form.get("percent")}
        if form.get("cap"):
            change["cap"] = form.get("cap").replace(",", "").replace("£", "")
        return change
    if kind == "end-organisation":
        return {"op": "end-organisation", "organisation": form.get("ended"),
                "date": form.date("end-date", "the date the organisation ends")}
    return {"op": "set-fund-total", "fund": form.get("fund"),
            "total": form.get("fund-total").replace(",", "").replace("£", "")}


_CHANGE_FIELDS = {"changes.0.organisation": "contributor", "changes.0.item": "contribution-item",
                  "changes.0.percent": "percent", "changes.0.cap": "cap",
                  "changes.0.date": "end-date", "changes.0.total": "fund-total",
                  "changes.0.fund": "fund", "changes.0.arrangement": "change",
                  "changes.0": "change", "dhr.0.district": "district", "dhr.0.date": "date",
                  "dhr.0.health_body": "health_body", "funds.0.fund": "fund"}


@blueprint.route("/what-if", methods=["GET", "POST"])
def what_if() -> Any:
    """A scenario against the rules: every partner and CSP side by side, with deltas, and
    the comparison as CSV or XLSX."""
    posted = flask.request.method == "POST"
    form = Form.posted(flask.request.form, dates=("date", "end-date"), district="District",
                       percent="Percentage", cap="Cap", **{"fund-total": "Fund total"}) \
        if posted else Form({"change": "probation-one-share"})
    answer = None
    status = 200
    if posted:
        try:
            change = _change(form)
            body: dict[str, Any] = {"changes": [change] if change else [], "dhr": [],
                                    "funds": []}
            if form.get("district") or form.get("date-day"):
                body["dhr"].append(_dhr_data(form))
            if form.get("fund"):
                body["funds"].append({"fund": form.get("fund")})
            if not body["dhr"] and not body["funds"]:
                form.error("district", "Enter a review to split or select a fund to compare")
            fields = {**_CHANGE_FIELDS, **{f"dhr.0.{k}": v for k, v in _cost_fields().items()}}
            data = load(COMPARE_REQUEST, body, form, fields)
            ruleset = current_ruleset()
            result = rules.compare(
                ruleset, wire.changes(data["changes"]),
                [wire.dhr_request(r) for r in data["dhr"]],
                [wire.fund_reference(f["fund"], f"funds.{i}.fund")
                 for i, f in enumerate(data["funds"])])
            answer = wire.comparison_body(ruleset, result)
        except Invalid:
            status = 400
        except (rules.RulesError, allocations.AllocationError) as error:
            form.refuse(error, _CHANGE_FIELDS, default="change")
            status = 400
        if answer is not None and form.get("format") == "csv":
            return flask.Response(reports.comparison_csv(answer), mimetype="text/csv",
                                  headers={"Content-Disposition":
                                           'attachment; filename="what-if.csv"'})
        if answer is not None and form.get("format") == "xlsx":
            return flask.Response(reports.comparison_xlsx(answer), mimetype=XLSX,
                                  headers={"Content-Disposition":
                                           'attachment; filename="what-if.xlsx"'})
    return page("what_if.html", "What if", status, form=form, answer=answer,
                changes=CHANGES, **_choices())
