"""The finance officer's pages: dashboard, cases, a case (costs, billing, documents, rebill),
partners and their statements, payments. Each write loads the form through the API's request
schema and calls the ledger's own function, in one transaction."""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date
from typing import Any

import flask
from werkzeug.datastructures import MultiDict

import allocations
import rules
from service.documents import sending
from service.documents import settings as document_settings
from service.http.context import current_ruleset, ledger_session
from service.ledger import billing as ledger_billing
from service.ledger import cases as casebook
from service.ledger import payments as ledger_payments
from service.ledger.errors import LedgerError, NotFound
from service.pages.forms import Form, Invalid, load, load_query
from service.pages.views.accounting import actor, financial_year, net_after
from service.pages.views.common import blueprint, needs, page, write
from service.wire import requests as schemas

CASE = schemas.CaseRequestSchema()
COST = schemas.CostRequestSchema()
REVISION = schemas.CostRevisionSchema()
BILLING = schemas.BillingRequestSchema()
REBILL = schemas.RebillRequestSchema()
PAYMENT = schemas.PaidRequestSchema()
STATEMENT_QUERY = schemas.StatementQuerySchema()
CONTACT = schemas.BillingContactSchema()
STATUSES = ("open", "closed", "withdrawn")


def _names() -> dict[str, str]:
    ruleset = current_ruleset()
    return {**{d.id: d.name for d in ruleset.districts.values()},
            **{o.id: o.name for o in ruleset.organisations.values()}}


def _outstanding(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    totals: dict[str, dict[str, Any]] = defaultdict(lambda: {"invoiced": 0, "paid": 0,
                                                             "documents": 0})
    for document in documents:
        pence = _pence(document["amount"])
        row = totals[document["organisation"]]
        row["invoiced"] += pence
        row["documents"] += 1
        row["paid"] += pence - _pence(document["outstanding"])
    for row in totals.values():
        row["outstanding"] = row["invoiced"] - row["paid"]
    return dict(totals)


def _pence(text: str) -> int:
    return allocations.to_minor(allocations.parse_money(text, field="amount",
                                                        allow_negative=True))


@blueprint.get("/")
@needs("viewer")
def dashboard() -> Any:
    """Open cases, costs not yet billed, and what each partner has still to pay."""
    session = ledger_session()
    cases = casebook.list_cases(session)
    open_cases = [c for c in cases if c["status"] == "open"]
    unbilled = [(c, [t for t in c["costs"] if not t["billed"]
                     or t["billed_amount"] != t["amount"]]) for c in cases]
    unbilled = [(c, costs) for c, costs in unbilled if costs]
    owed = _outstanding(ledger_payments.list_documents(session))
    return page("dashboard.html", "Dashboard", open_cases=open_cases, unbilled=unbilled,
                owed=sorted(((o, r) for o, r in owed.items() if r["outstanding"]),
                            key=lambda item: -item[1]["outstanding"]),
                names=_names())


@blueprint.get("/cases")
@needs("viewer")
def cases() -> Any:
    """Every case, searched by reference and filtered by financial year, district, status."""
    args = flask.request.args
    query = args.get("q", "").strip()
    chosen = {"year": args.get("year", ""), "district": args.get("district", ""),
              "status": args.get("status", "")}
    found = casebook.list_cases(ledger_session())
    years = sorted({financial_year(date.fromisoformat(c["commissioned"])) for c in found},
                   reverse=True)
    shown = [c for c in found
             if (not query or query.lower() in c["reference"].lower())
             and (not chosen["year"]
                  or financial_year(date.fromisoformat(c["commissioned"])) == chosen["year"])
             and (not chosen["district"] or c["district"] == chosen["district"])
             and (not chosen["status"] or c["status"] == chosen["status"])]
    return page("cases.html", "Cases", cases=shown, total=len(found), query=query,
                chosen=chosen, years=years, statuses=STATUSES, names=_names(),
                districts=_districts())


def _districts() -> list[tuple[str, str]]:
    ruleset = current_ruleset()
    covered = {d for a in ruleset.arrangements.values() for d in a.districts}
    return [(d.id, d.name) for d in ruleset.districts.values() if d.id in covered]


def _health_bodies() -> list[tuple[str, str]]:
    ruleset = current_ruleset()
    bodies = {b for d in ruleset.districts.values() for c in d.health for b in c.bodies}
    return sorted(((b, ruleset.name_of(b)) for b in bodies), key=lambda item: item[1])


@blueprint.get("/cases/new")
@needs("finance")
def new_case() -> Any:
    """The form to open a case."""
    return _new_case_page(Form())


def _new_case_page(form: Form, status: int = 200) -> Any:
    return page("new_case.html", "Open a case", status, form=form, districts=_districts(),
                health_bodies=_health_bodies())


@blueprint.post("/cases/new")
@needs("finance")
def new_case_post() -> Any:
    """Open the case; its page is next."""
    form = Form.posted(flask.request.form, dates=("commissioned",), reference="Reference")
    try:
        if not form.get("reference"):
            form.error("reference", "Enter the case reference")
        if not form.get("district"):
            form.error("district", "Select the district where the review is held")
        commissioned = form.date("commissioned", "the date the review was commissioned")
        data = load(CASE, {"reference": form.get("reference"), "district": form.get("district"),
                           "commissioned": commissioned,
                           "health_body": form.get("health_body") or None}, form)
        case = write(lambda s: casebook.create_case(s, current_ruleset(), data, actor())[0])
    except Invalid:
        return _new_case_page(form, 400)
    except (LedgerError, rules.RulesError) as error:
        form.refuse(error, default="reference")
        return _new_case_page(form, 400)
    flask.flash(f"Case {case.reference} opened", "success")
    return flask.redirect(flask.url_for("pages.case", reference=case.reference), 303)


def _case_page(reference: str, status: int = 200, **forms: Any) -> Any:
    session = ledger_session()
    case = casebook.case_body(session, casebook.find_case(session, reference))
    documents = ledger_payments.list_documents(session, case=reference)
    ruleset = current_ruleset()
    items = sorted({i for a in ruleset.arrangements.values() if case["district"] in a.districts
                    for i in a.shared_items})
    failed = next((f for f in forms.values() if f.errors), Form())
    return page("case.html", f"Case {reference}", status, case=case, documents=documents,
                items=items, names=_names(), form=failed,
                cost_form=forms.get("cost_form", Form()),
                billing_form=forms.get("billing_form", Form()),
                rebill_form=forms.get("rebill_form", Form()))


@blueprint.get("/cases/<path:reference>/costs/<int:cost_id>")
@needs("finance")
def revise_cost(reference: str, cost_id: int) -> Any:
    """The form to change a cost's amount (a billed difference settles at the next run)."""
    return _revise_page(reference, cost_id, Form())


def _revise_page(reference: str, cost_id: int, form: Form, status: int = 200) -> Any:
    session = ledger_session()
    case = casebook.case_body(session, casebook.find_case(session, reference))
    cost = next((c for c in case["costs"] if c["id"] == cost_id), None)
    if cost is None:
        raise NotFound(f"Case {reference} has no cost {cost_id}")
    return page("revise_cost.html", f"Change a cost of case {reference}", status, case=case,
                cost=cost, form=form)


@blueprint.post("/cases/<path:reference>/costs/<int:cost_id>")
@needs("finance")
def revise_cost_post(reference: str, cost_id: int) -> Any:
    """Change the amount."""
    form = Form.posted(flask.request.form)
    try:
        amount = form.amount("amount", "the new amount")
        data = load(REVISION, {"amount": amount}, form)
        write(lambda s: casebook.revise_cost(s, casebook.find_case(s, reference, lock=True),
                                           cost_id, data["amount"], actor()))
    except Invalid:
        return _revise_page(reference, cost_id, form, 400)
    flask.flash("Cost changed: the difference is billed at the next billing run", "success")
    return flask.redirect(flask.url_for("pages.case", reference=reference), 303)


@blueprint.route("/cases/<path:reference>", methods=["GET"])
@needs("viewer")
def case(reference: str) -> Any:
    """A case: its costs, billing (preview, then confirm), documents, rebill."""
    return _case_page(reference)


@blueprint.post("/cases/<path:reference>/costs")
@needs("finance")
def add_cost(reference: str) -> Any:
    """Add a cost tranche."""
    form = Form.posted(flask.request.form, dates=("incurred",), item="Cost item")
    try:
        if not form.get("item"):
            form.error("item", "Select the cost item")
        amount = form.amount("amount", "the amount")
        incurred = form.date("incurred", "the date the cost was incurred")
        data = load(COST, {"item": form.get("item"), "amount": amount, "incurred": incurred},
                    form)
        write(lambda s: casebook.add_cost(s, current_ruleset(),
                                        casebook.find_case(s, reference, lock=True), data,
                                        actor()))
    except Invalid:
        return _case_page(reference, 400, cost_form=form)
    except (LedgerError, rules.RulesError) as error:
        form.refuse(error, default="item")
        return _case_page(reference, 400, cost_form=form)
    flask.flash("Cost added: it is billed at the next billing run", "success")
    return flask.redirect(flask.url_for("pages.case", reference=reference) + "#costs", 303)


def _billing_date(form: Form) -> date:
    on = form.date("date", "the billing date")
    data = load(BILLING, {"date": on}, form)
    billed_on: date = data["date"]
    return billed_on


@blueprint.post("/cases/<path:reference>/billing/preview")
@needs("finance")
def billing_preview(reference: str) -> Any:
    """What a billing run at the date would issue, with nothing issued (it is run and rolled
    back: the same ledger function, so the preview is exactly what confirming issues)."""
    form = Form.posted(flask.request.form, dates=("date",))
    session = ledger_session()
    try:
        on = _billing_date(form)
        try:
            documents = ledger_billing.bill(session, current_ruleset(),
                                    casebook.find_case(session, reference, lock=True), on,
                                    actor())
            case = casebook.case_body(session, casebook.find_case(session, reference))
        finally:
            session.rollback()
    except Invalid:
        return _case_page(reference, 400, billing_form=form)
    except (LedgerError, rules.RulesError) as error:
        form.refuse(error, {"date": "date"}, default="date")
        return _case_page(reference, 400, billing_form=form)
    return page("billing_preview.html", f"Check the billing of case {reference}",
                case=case, documents=documents, on=on, names=_names())


@blueprint.post("/cases/<path:reference>/billing")
@needs("finance")
def billing(reference: str) -> Any:
    """Issue the documents the preview showed (or, if something changed since, what is owed
    now: the run is recomputed, never replayed)."""
    on = flask.request.form.get("date", "")
    form = Form.posted(MultiDict({"date-day": on[8:10], "date-month": on[5:7],
                                  "date-year": on[:4]}), dates=("date",))
    try:
        day = _billing_date(form)
        documents = write(lambda s: ledger_billing.bill(s, current_ruleset(),
                                                casebook.find_case(s, reference, lock=True),
                                                day, actor()))
    except Invalid:
        return _case_page(reference, 400, billing_form=form)
    except (LedgerError, rules.RulesError) as error:
        form.refuse(error, default="date")
        return _case_page(reference, 400, billing_form=form)
    flask.flash(f"{len(documents)} document{'s' if len(documents) != 1 else ''} issued"
                if documents else "Nothing was owed: no document issued", "success")
    return flask.redirect(flask.url_for("pages.case", reference=reference) + "#documents", 303)


@blueprint.post("/cases/<path:reference>/rebill/preview")
@needs("finance")
def rebill_preview(reference: str) -> Any:
    """Each partner's net before and after re-apportioning the billed costs at the date."""
    form = Form.posted(flask.request.form, dates=("rebill-date",))
    session = ledger_session()
    try:
        on = form.date("rebill-date", "the rebilling date")
        data = load(REBILL, {"date": on, "dry_run": True}, form, {"date": "rebill-date"})
        try:
            case = casebook.case_body(session, casebook.find_case(session, reference))
            documents = ledger_billing.rebill(session, current_ruleset(),
                                              casebook.find_case(session, reference, lock=True),
                                              data["date"], actor(), dry_run=True)["documents"]
        finally:
            session.rollback()
    except Invalid:
        return _case_page(reference, 400, rebill_form=form)
    except (LedgerError, rules.RulesError) as error:
        form.refuse(error, {"date": "rebill-date"}, default="rebill-date")
        return _case_page(reference, 400, rebill_form=form)
    return page("rebill_preview.html", f"Check the rebilling of case {reference}", case=case,
                documents=documents, rows=net_after(case, documents), on=data["date"],
                names=_names())


@blueprint.post("/cases/<path:reference>/rebill")
@needs("finance")
def rebill(reference: str) -> Any:
    """Issue the credit notes and top-ups of a rebill."""
    on = flask.request.form.get("date", "")
    form = Form.posted(MultiDict({"rebill-date-day": on[8:10], "rebill-date-month": on[5:7],
                                  "rebill-date-year": on[:4]}), dates=("rebill-date",))
    try:
        day = form.date("rebill-date", "the rebilling date")
        data = load(REBILL, {"date": day, "dry_run": False}, form, {"date": "rebill-date"})
        documents = write(lambda s: ledger_billing.rebill(
            s, current_ruleset(), casebook.find_case(s, reference, lock=True), data["date"],
            actor(), dry_run=False))["documents"]
    except Invalid:
        return _case_page(reference, 400, rebill_form=form)
    except (LedgerError, rules.RulesError) as error:
        form.refuse(error, {"date": "rebill-date"}, default="rebill-date")
        return _case_page(reference, 400, rebill_form=form)
    flask.flash(f"Rebilled: {len(documents)} document{'s' if len(documents) != 1 else ''} "
                "issued", "success")
    return flask.redirect(flask.url_for("pages.case", reference=reference) + "#documents", 303)


@blueprint.get("/partners")
@needs("viewer")
def partners() -> Any:
    """Every partner that has been invoiced: invoiced, paid, outstanding."""
    owed = _outstanding(ledger_payments.list_documents(ledger_session()))
    names = _names()
    rows = sorted(owed.items(), key=lambda item: names.get(item[0], item[0]))
    return page("partners.html", "Partners", rows=rows, names=names)


def _partner_page(organisation: str, contact_form: Form | None = None, status: int = 200
                  ) -> Any:
    ruleset = current_ruleset()
    if organisation not in ruleset.organisations:
        raise NotFound(f"There is no partner {organisation!r}")
    session = ledger_session()
    query = Form({k: flask.request.args.get(k, "").strip() for k in ("from", "to")})
    bounds = load_query(STATEMENT_QUERY, query)
    statement = ledger_payments.statement(session, organisation, bounds.get("from_"),
                                          bounds.get("to"))
    contact = document_settings.contact(session, organisation)
    if contact_form is None:
        contact_form = Form({k: v or "" for k, v in contact.to_dict().items()}
                            if contact else {})
    return page("partner.html", ruleset.name_of(organisation),
                400 if query.errors or contact_form.errors else status,
                organisation=organisation, statement=statement,
                form=query if query.errors else contact_form, query=query, contact=contact,
                contact_form=contact_form, names=_names())


@blueprint.get("/partners/<organisation>")
@needs("viewer")
def partner(organisation: str) -> Any:
    """A partner: its statement and its billing contact."""
    return _partner_page(organisation)


@blueprint.post("/partners/<organisation>/billing-contact")
@needs("finance")
def billing_contact(organisation: str) -> Any:
    """Set where the partner's invoices and credit notes go."""
    form = Form.posted(flask.request.form, name="Name", address="Address", email="Email",
                       finance_reference="Their finance reference")
    if organisation not in current_ruleset().organisations:
        raise NotFound(f"There is no partner {organisation!r}")
    form.require(name="Enter the name invoices are addressed to",
                 address="Enter the postal address")
    try:
        data = load(CONTACT, {"name": form.get("name"), "address": form.get("address"),
                              "email": form.get("email") or None,
                              "finance_reference": form.get("finance_reference") or None},
                    form)
        write(lambda s: document_settings.save_contact(s, organisation, data, actor()))
    except Invalid:
        return _partner_page(organisation, form, 400)
    except LedgerError as error:
        form.refuse(error, default="name")
        return _partner_page(organisation, form, 400)
    flask.flash("Billing contact saved", "success")
    return flask.redirect(flask.url_for("pages.partner", organisation=organisation)
                          + "#contact", 303)


@blueprint.post("/cases/<path:reference>/documents/<number>/send")
@needs("finance")
def send_document(reference: str, number: str) -> Any:
    """Email the document's PDF to the partner's billing contact (recorded and audited)."""
    smtp_url = flask.current_app.config.get("SMTP_URL") or os.environ.get("SMTP_URL")
    try:
        sent = write(lambda s: sending.send_document(s, current_ruleset(), number, smtp_url,
                                                     actor()))
    except LedgerError as error:
        flask.flash(f"{number} was not sent: {error.message}", "error")
    else:
        flask.flash(f"{number} sent to {sent['to']}", "success")
    return flask.redirect(flask.url_for("pages.case", reference=reference) + "#documents", 303)


@blueprint.get("/payments")
@needs("viewer")
def payments() -> Any:
    """Documents still open, and the form to record a payment."""
    return _payments_page(Form())


def _payments_page(form: Form, status: int = 200) -> Any:
    documents = ledger_payments.list_documents(ledger_session())
    unpaid = [d for d in documents if d["outstanding"] != "0.00"]
    paid = [d for d in documents if d["status"] == "paid"]
    return page("payments.html", "Payments", status, form=form, unpaid=unpaid,
                paid=paid[-20:][::-1], names=_names())


@blueprint.post("/payments")
@needs("finance")
def record_payment() -> Any:
    """Record a payment of an invoice (a credit note: settled)."""
    form = Form.posted(flask.request.form, dates=("date",))
    try:
        if not form.get("document"):
            form.error("document", "Select the invoice or credit note that was paid")
        on = form.date("date", "the date it was paid")
        data = load(PAYMENT, {"date": on}, form)
        document = write(lambda s: ledger_payments.pay_outstanding(
            s, form.get("document"), data["date"], actor()))
    except Invalid:
        return _payments_page(form, 400)
    except LedgerError as error:
        form.refuse(error, {"number": "document"}, default="document")
        return _payments_page(form, 400)
    flask.flash(f"Payment of {document['number']} recorded", "success")
    return flask.redirect(flask.url_for("pages.payments"), 303)


