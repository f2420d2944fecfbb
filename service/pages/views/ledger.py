"""The finance officer's pages: dashboard, cases, a case (costs, billing, documents, rebill),
partners and their statements, payments. Each write loads the form through the API's request
schema and calls the ledger's own function, in one transaction."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import flask
from werkzeug.datastructures import MultiDict

import allocations
import rules
from service.documents import sending
from service.documents import settings as document_settings
from service.http import paging
from service.http.context import current_ruleset, ledger_session
from service.ledger import billing as ledger_billing
from service.ledger import cases as casebook
from service.ledger import dates
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
PAYMENT = schemas.PaymentRequestSchema()
PAID = schemas.PaidRequestSchema()
REVERSAL = schemas.ReversalRequestSchema()
CASES_QUERY = schemas.CasesQuerySchema()
CASE_EDIT = schemas.CaseEditSchema()
STATEMENT_QUERY = schemas.StatementQuerySchema()
CONTACT = schemas.BillingContactSchema()
STATUSES = ("open", "closed", "withdrawn")
#: The aged-debt columns: (key, heading).
BANDS = (("current", "Not yet due"), ("1-30", "1 to 30 days"), ("31-60", "31 to 60 days"),
         ("61-90", "61 to 90 days"), ("over-90", "Over 90 days"), ("total", "Total owed"))


def _names() -> dict[str, str]:
    ruleset = current_ruleset()
    return {**{d.id: d.name for d in ruleset.districts.values()},
            **{o.id: o.name for o in ruleset.organisations.values()}}


def _pence(text: str) -> int:
    return allocations.to_minor(allocations.parse_money(text, field="amount",
                                                        allow_negative=True))


#: Cases or documents on one page of a list.
PAGE = 50


@blueprint.get("/")
@needs("viewer")
def dashboard() -> Any:
    """Open cases, costs not yet billed, and what each partner has still to pay (the first
    page of each list, with a link to the rest)."""
    session = ledger_session()
    open_cases = casebook.list_cases(session, status="open", limit=PAGE)
    unbilled = [(c, [t for t in c["costs"] if not t["billed"]
                     or t["billed_amount"] != t["amount"]])
                for c in casebook.unbilled_cases(session, limit=PAGE)]
    aged = ledger_payments.aged_debt(session, dates.today())
    return page("dashboard.html", "Dashboard", open_cases=open_cases.items,
                more_open=open_cases.last is not None, unbilled=unbilled, aged=aged,
                bands=BANDS, names=_names())


@blueprint.get("/cases")
@needs("viewer")
def cases() -> Any:
    """Cases, a page at a time, searched by reference and filtered by financial year,
    district, status."""
    args = flask.request.args
    form = Form({k: args.get(k, "").strip() for k in ("q", "year", "district", "status")})
    session = ledger_session()
    span = casebook.case_years(session)
    total = 0 if span is None else span[2]
    years = [] if span is None else [
        financial_year(date(year, 4, 1)) for year in range(
            int(financial_year(span[1])[:4]), int(financial_year(span[0])[:4]) - 1, -1)]
    shown: list[dict[str, Any]] = []
    following = None
    try:
        filters = load(CASES_QUERY, {k: v for k, v in form.values.items() if v}
                       | {"limit": PAGE} | ({"cursor": args["cursor"]} if args.get("cursor")
                                            else {}), form)
        found = casebook.list_cases(session, **filters)
        shown = found.items
        following = paging.page_link(found.last)
    except Invalid:
        pass
    return page("cases.html", "Cases", 400 if form.errors else 200, form=form, cases=shown,
                total=total, years=years, statuses=STATUSES, names=_names(),
                districts=_districts(), next_page=following)


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
        case, notes = write(lambda s: casebook.create_case(s, current_ruleset(), data,
                                                           actor()))
    except Invalid:
        return _new_case_page(form, 400)
    except (LedgerError, rules.RulesError) as error:
        form.refuse(error, default="reference")
        return _new_case_page(form, 400)
    flask.flash(" ".join([f"Case {case.reference} opened.", *notes]), "success")
    return flask.redirect(flask.url_for("pages.case", reference=case.reference), 303)


def _case_page(reference: str, status: int = 200, **forms: Any) -> Any:
    session = ledger_session()
    case = casebook.case_body(session, casebook.find_case(session, reference))
    documents = ledger_payments.list_documents(session, case=reference).items
    ruleset = current_ruleset()
    items = sorted({i for a in ruleset.arrangements.values() if case["district"] in a.districts
                    for i in a.shared_items})
    failed = next((f for f in forms.values() if f.errors), Form())
    return page("case.html", f"Case {reference}", status, case=case, documents=documents,
                items=items, names=_names(), form=failed,
                cost_form=forms.get("cost_form", Form()),
                billing_form=forms.get("billing_form", Form()),
                rebill_form=forms.get("rebill_form", Form()),
                edit_form=forms.get("edit_form") or _edit_values(case),
                health_bodies=_health_bodies(), statuses=STATUSES)


def _edit_values(case: dict[str, Any]) -> Form:
    day = date.fromisoformat(case["commissioned"])
    return Form({"status": case["status"], "health_body": case["health_body"] or "",
                 "new-reference": case["reference"], "commissioned-day": str(day.day),
                 "commissioned-month": str(day.month), "commissioned-year": str(day.year)})


@blueprint.post("/cases/<reference:reference>/documents/<number>/send")
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


@blueprint.post("/cases/<reference:reference>/details")
@needs("finance")
def edit_case(reference: str) -> Any:
    """Change a case's status, health commissioner, commission date or reference (each change
    audited; documents already issued are not touched)."""
    form = Form.posted(flask.request.form, dates=("commissioned",))
    try:
        commissioned = form.date("commissioned", "the date the review was commissioned")
        if not form.get("new-reference"):
            form.error("new-reference", "Enter the case reference")
        data = load(CASE_EDIT, {"status": form.get("status"),
                                "health_body": form.get("health_body") or None,
                                "commissioned": commissioned,
                                "reference": form.get("new-reference")}, form,
                    {"reference": "new-reference"})
        notes = write(lambda s: casebook.edit_case(
            s, current_ruleset(), casebook.find_case(s, reference, lock=True), data, actor()))
    except Invalid:
        return _case_page(reference, 400, edit_form=form)
    except (LedgerError, rules.RulesError) as error:
        form.refuse(error, {"reference": "new-reference"}, default="status")
        return _case_page(reference, 400, edit_form=form)
    flask.flash(" ".join(["Case details saved.", *notes]), "success")
    return flask.redirect(flask.url_for("pages.case", reference=data["reference"]), 303)


@blueprint.get("/cases/<reference:reference>/costs/<id:cost_id>")
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


@blueprint.post("/cases/<reference:reference>/costs/<id:cost_id>")
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


@blueprint.route("/cases/<reference:reference>", methods=["GET"])
@needs("viewer")
def case(reference: str) -> Any:
    """A case: its costs, billing (preview, then confirm), documents, rebill."""
    return _case_page(reference)


@blueprint.post("/cases/<reference:reference>/costs")
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


@blueprint.post("/cases/<reference:reference>/billing/preview")
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


@blueprint.post("/cases/<reference:reference>/billing")
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


@blueprint.post("/cases/<reference:reference>/rebill/preview")
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


@blueprint.post("/cases/<reference:reference>/rebill")
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
    """Every partner that has been invoiced: what it owes, and how much of it is overdue."""
    session = ledger_session()
    aged = {row["organisation"]: row for row in
            ledger_payments.aged_debt(session, dates.today())["organisations"]}
    invoiced = set(ledger_payments.invoiced_organisations(session))
    names = _names()
    rows = sorted(((o, aged.get(o)) for o in invoiced | set(aged)),
                  key=lambda item: names.get(item[0], item[0]))
    return page("partners.html", "Partners", rows=rows, names=names, bands=BANDS)


def _partner_page(organisation: str, contact_form: Form | None = None, status: int = 200
                  ) -> Any:
    ruleset = current_ruleset()
    if organisation not in ruleset.organisations:
        raise NotFound(f"There is no partner {organisation!r}")
    session = ledger_session()
    args = flask.request.args
    form = Form({k: args.get(k, "").strip() for k in ("from", "to")})
    bounds = load_query(STATEMENT_QUERY, form)
    statement = ledger_payments.statement(session, organisation, bounds.get("from_"),
                                          bounds.get("to"))
    aged = next((row for row in ledger_payments.aged_debt(session, dates.today())[
        "organisations"] if row["organisation"] == organisation), None)
    contact = document_settings.contact(session, organisation)
    if contact_form is None:
        contact_form = Form({k: v or "" for k, v in contact.to_dict().items()}
                            if contact else {})
    entries = statement["entries"]
    documented = ("invoice", "credit-note")
    invoiced = sum(_pence(e["amount"]) for e in entries if e["kind"] in documented)
    paid = -sum(_pence(e["amount"]) for e in entries if e["kind"] not in documented)
    return page("partner.html", ruleset.name_of(organisation),
                400 if form.errors or contact_form.errors else status,
                organisation=organisation, statement=statement,
                invoiced=allocations.format_money(allocations.from_minor(invoiced)),
                paid=allocations.format_money(allocations.from_minor(paid)),
                form=form if form.errors else contact_form, query=form, contact=contact,
                contact_form=contact_form, aged=aged, bands=BANDS, names=_names())


@blueprint.get("/partners/<organisation>")
@needs("viewer")
def partner(organisation: str) -> Any:
    """A partner: its statement (with running balance), what is overdue, its billing
    contact."""
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


@blueprint.get("/payments")
@needs("viewer")
def payments() -> Any:
    """Documents still open, and the form to record a payment."""
    return _payments_page(Form())


def _payments_page(form: Form, status: int = 200) -> Any:
    session = ledger_session()
    outstanding = ledger_payments.list_documents(session, unsettled=True,
                                                 limit=schemas.MAX_PAGE_SIZE)
    return page("payments.html", "Payments", status, form=form, unsettled=outstanding.items,
                more=outstanding.last is not None,
                recent=ledger_payments.list_payments(session, limit=20), names=_names())


@blueprint.post("/payments")
@needs("finance")
def record_payment() -> Any:
    """Record money received against an invoice: a part payment, or (amount left empty) all
    that is outstanding; a refund of credit held on a credit note the same way."""
    form = Form.posted(flask.request.form, dates=("date",), reference="Remittance reference")
    try:
        if not form.get("document"):
            form.error("document", "Select the invoice or credit note")
        on = form.date("date", "the date it was received")
        number = form.get("document")
        if form.get("amount"):
            data = load(PAYMENT, {"date": on, "amount": form.amount("amount", "the amount"),
                                  "reference": form.get("reference") or None}, form)
            write(lambda s: ledger_payments.record_payment(
                s, number, data["date"], allocations.to_minor(data["amount"]),
                data.get("reference"), actor()))
        else:
            data = load(PAID, {"date": on}, form)
            write(lambda s: ledger_payments.pay_outstanding(s, number, data["date"], actor()))
    except Invalid:
        return _payments_page(form, 400)
    except LedgerError as error:
        form.refuse(error, {"number": "document"}, default="document")
        return _payments_page(form, 400)
    flask.flash(f"Payment against {number} recorded", "success")
    return flask.redirect(flask.url_for("pages.payments"), 303)


def _payment(payment_id: int) -> dict[str, Any]:
    found = ledger_payments.list_payments(ledger_session(), payment_id=payment_id)
    if not found:
        raise NotFound(f"There is no payment {payment_id}")
    return found[0]


@blueprint.get("/payments/<id:payment_id>/reversal")
@needs("finance")
def reversal(payment_id: int) -> Any:
    """The form to reverse a payment recorded in error."""
    return page("reverse_payment.html", f"Reverse payment {payment_id}",
                payment=_payment(payment_id), form=Form(), names=_names())


@blueprint.post("/payments/<id:payment_id>/reversal")
@needs("finance")
def reverse_payment(payment_id: int) -> Any:
    """Reverse a payment recorded in error (it stays on record, with its reversal)."""
    form = Form.posted(flask.request.form, dates=("date",), reason="Why it is reversed")
    try:
        on = form.date("date", "the date of the reversal")
        if not form.get("reason"):
            form.error("reason", "Say why the payment is reversed")
        data = load(REVERSAL, {"date": on, "reason": form.get("reason")}, form)
        write(lambda s: ledger_payments.reverse_payment(s, payment_id, data["date"],
                                                        data["reason"], actor()))
    except (Invalid, LedgerError) as error:
        if isinstance(error, LedgerError):
            form.refuse(error, {"id": "reason"}, default="reason")
        return page("reverse_payment.html", f"Reverse payment {payment_id}", 400,
                    payment=_payment(payment_id), form=form, names=_names())
    flask.flash(f"Payment {payment_id} reversed", "success")
    return flask.redirect(flask.url_for("pages.payments"), 303)
