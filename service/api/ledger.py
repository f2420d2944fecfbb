"""The ledger over HTTP: cases, costs, billing, corrections, invoices, payments, statements,
audit. Every call needs a bearer token; writes run as one transaction each."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import flask
import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import allocations
from service.api import schemas
from service.documents import records
from service.http import auth, paging
from service.http.blueprint import Blueprint
from service.http.bodies import json_body, parse_json
from service.http.context import current_ruleset, ledger_session
from service.http.problems import Rejected
from service.ledger import audit, billing, cases, dates, payments
from service.ledger.tables import IdempotencyRecord
from service.wire import requests

blp = Blueprint("ledger", __name__, url_prefix="/api/v1",
                description="The invoicing ledger: a bearer token is needed.")

CASE = requests.CaseRequestSchema()
COST = requests.CostRequestSchema()
REVISION = requests.CostRevisionSchema()
BILLING = requests.BillingRequestSchema()
REBILL = requests.RebillRequestSchema()
PAYMENT = requests.PaymentRequestSchema()
PAID = requests.PaidRequestSchema()
REVERSAL = requests.ReversalRequestSchema()
CASE_EDIT = requests.CaseEditSchema()


def _fingerprint() -> str:
    """The request's digest: its canonical JSON (sorted keys, no spacing), or its raw bytes
    when it is not JSON."""
    raw = flask.request.get_data(cache=True)
    try:
        canonical = orjson.dumps(parse_json(raw), option=orjson.OPT_SORT_KEYS)
    except (Rejected, TypeError):
        canonical = raw
    return hashlib.sha256(canonical).hexdigest()


def _stored(record: IdempotencyRecord, fingerprint: str) -> tuple[Any, int]:
    if record.fingerprint != fingerprint:
        raise Rejected(409, "this Idempotency-Key was used with a different request",
                       {"Idempotency-Key": ["reused with another body"]})
    return json.loads(record.body), record.status


def _idempotency() -> tuple[str | None, str, str]:
    """This request's ``Idempotency-Key`` (its form checked by service.http.hardening), its
    form scoped to the credential, and the request's canonical digest."""
    key = flask.request.headers.get("Idempotency-Key")
    scoped = f"{auth.credential()} {flask.request.method} {flask.request.path} {key}"
    return key, scoped, _fingerprint()


def replayed() -> tuple[Any, int] | None:
    """The first answer to this request's ``Idempotency-Key``, if it has one already (for a
    command with an effect outside the ledger, such as an email, to check before acting)."""
    key, scoped, fingerprint = _idempotency()
    if key is None:
        return None
    record = ledger_session().get(IdempotencyRecord, scoped)
    return None if record is None else _stored(record, fingerprint)


def command(run: Callable[[Session], dict[str, Any]], status: int = 201) -> tuple[Any, int]:
    """Run a write as one transaction. With an ``Idempotency-Key`` header, a retry by the same
    credential returns the first answer, and the same key with another request is a 409.

    Keys are scoped to the credential (two callers never see each other's answers), and a
    request is compared by its canonical JSON (key order and spacing do not matter)."""
    session = ledger_session()
    key, scoped, fingerprint = _idempotency()
    first = replayed()
    if first is not None:
        return first
    try:
        body = run(session)
        if key is not None:
            session.add(IdempotencyRecord(key=scoped, fingerprint=fingerprint, status=status,
                                          body=json.dumps(body), created_at=audit.now()))
        session.commit()
    except IntegrityError:
        session.rollback()
        record = session.get(IdempotencyRecord, scoped) if key is not None else None
        if record is None:  # a concurrent command got there first (e.g. the same reference)
            raise Rejected(409, "a concurrent change conflicted with this one; nothing was "
                           "done: read the current state and retry") from None
        return _stored(record, fingerprint)
    except BaseException:
        session.rollback()
        raise
    return body, status


@blp.route("/cases", methods=["POST"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(CASE)
@blp.alt_response(201, schema=schemas.CaseSchema, description="The case")
def create_case() -> Any:
    """Open a case: reference, district, commission date; the health body where the district
    is split between commissioners then (any statutory one may be named, with a note)."""
    data = json_body(CASE)

    def run(s: Session) -> dict[str, Any]:
        case, notes = cases.create_case(s, current_ruleset(), data, auth.actor())
        return cases.case_body(s, case, notes)

    return command(run)


@blp.route("/cases")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.arguments(requests.CasesQuerySchema(), location="query", as_kwargs=True)
@blp.alt_response(200, schema=schemas.CasesSchema, description="The cases")
def list_cases(**query: Any) -> Any:
    """Cases with costs, what is billed and the net per partner; filtered by status,
    district, year commissioned (2015 or 2015-16) and part of the reference (q); oldest
    first, a page at a time (`limit`, and `next`: the URL of the next page)."""
    found = cases.list_cases(ledger_session(), **query)
    return {"cases": found.items, "next": paging.page_link(found.last)}


@blp.route("/cases/<reference:reference>")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.alt_response(200, schema=schemas.CaseSchema, description="The case")
def get_case(reference: str) -> Any:
    """One case (a reference with slashes, DHR/2015/01, is given as it is)."""
    session = ledger_session()
    return cases.case_body(session, cases.find_case(session, reference))


@blp.route("/cases/<reference:reference>", methods=["PATCH"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(CASE_EDIT)
@blp.alt_response(200, schema=schemas.CaseSchema, description="The case, changed")
def edit_case(reference: str) -> Any:
    """Change the health body, commission date, status or reference (audited)."""
    data = json_body(CASE_EDIT)

    def run(s: Session) -> dict[str, Any]:
        case = cases.find_case(s, reference, lock=True)
        notes = cases.edit_case(s, current_ruleset(), case, data, auth.actor())
        return cases.case_body(s, case, notes)

    return command(run, 200)


@blp.route("/cases/<reference:reference>/costs", methods=["POST"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(COST)
@blp.alt_response(201, schema=schemas.TrancheSchema, description="The tranche")
def add_cost(reference: str) -> Any:
    """Add a cost tranche (item, amount, date incurred)."""
    data = json_body(COST)
    return command(lambda s: cases.tranche_body(cases.add_cost(
        s, current_ruleset(), cases.find_case(s, reference, lock=True), data, auth.actor())))


@blp.route("/cases/<reference:reference>/costs/<id:cost_id>", methods=["PATCH"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(REVISION)
@blp.alt_response(200, schema=schemas.TrancheSchema, description="The revised tranche")
def revise_cost(reference: str, cost_id: int) -> Any:
    """Revise a tranche's amount; billed differences settle at the next billing run."""
    amount = json_body(REVISION)["amount"]
    return command(lambda s: cases.tranche_body(cases.revise_cost(
        s, cases.find_case(s, reference, lock=True), cost_id, amount, auth.actor())), 200)


@blp.route("/cases/<reference:reference>/billing", methods=["POST"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(BILLING)
@blp.alt_response(201, schema=schemas.DocumentsSchema, description="Documents issued")
def bill(reference: str) -> Any:
    """A billing run at a date: the tranches incurred by then; one invoice or credit note per
    partner whose due moved (to whoever took over a partner that has gone)."""
    on = json_body(BILLING)["date"]
    return command(lambda s: {"documents": billing.bill(
        s, current_ruleset(), cases.find_case(s, reference, lock=True), on, auth.actor())})


@blp.route("/cases/<reference:reference>/rebill", methods=["POST"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(REBILL)
@blp.alt_response(201, schema=schemas.DocumentsSchema, description="Documents issued")
@blp.alt_response(200, schema=schemas.DocumentsSchema, description="Dry run: a preview")
def rebill(reference: str) -> Any:
    """Re-apportion all billed tranches at a new date (a dry run previews the documents and
    each partner's net before and after, and issues nothing)."""
    data = json_body(REBILL)
    session = ledger_session()
    if data["dry_run"]:
        try:
            return billing.rebill(session, current_ruleset(),
                                  cases.find_case(session, reference, lock=True),
                                  data["date"], auth.actor(), dry_run=True), 200
        finally:
            session.rollback()
    return command(lambda s: billing.rebill(
        s, current_ruleset(), cases.find_case(s, reference, lock=True), data["date"],
        auth.actor(), dry_run=False))


@blp.route("/invoices")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.arguments(requests.InvoicesQuerySchema(), location="query", as_kwargs=True)
@blp.alt_response(200, schema=schemas.InvoicesSchema, description="Invoices and credit notes")
def invoices(**query: Any) -> Any:
    """Invoices and credit notes, filtered by organisation, case, status and issue dates;
    oldest first, a page at a time (`limit`, and `next`: the URL of the next page)."""
    found = payments.list_documents(ledger_session(), **query)
    return {"invoices": found.items, "next": paging.page_link(found.last)}


@blp.route("/invoices/<number>/payments", methods=["POST"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(PAYMENT)
@blp.alt_response(201, schema=schemas.PaymentSchema, description="The payment")
def record_payment(number: str) -> Any:
    """Record a payment (part payments are normal; more than is outstanding is refused); on a
    credit note, a refund of the credit it holds."""
    data = json_body(PAYMENT)
    return command(lambda s: payments.record_payment(
        s, number, data["date"], allocations.to_minor(data["amount"]), data.get("reference"),
        auth.actor()))


@blp.route("/invoices/<number>/paid", methods=["POST"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(PAID)
@blp.alt_response(200, schema=schemas.DocumentSchema, description="The document, paid")
def paid(number: str) -> Any:
    """Pay what is outstanding (on a credit note: refund the credit it holds)."""
    on = json_body(PAID)["date"]
    return command(lambda s: payments.pay_outstanding(s, number, on, auth.actor()), 200)


@blp.route("/payments/<id:payment_id>/reversal", methods=["POST"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(REVERSAL)
@blp.alt_response(201, schema=schemas.ReversalSchema, description="The reversal")
def reverse_payment(payment_id: int) -> Any:
    """Reverse a payment recorded in error (audited; the payment stays on record)."""
    data = json_body(REVERSAL)
    return command(lambda s: payments.reverse_payment(s, payment_id, data["date"],
                                                      data["reason"], auth.actor()))


@blp.route("/organisations/<slug:organisation>/statement")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.arguments(requests.StatementQuerySchema(), location="query")
@blp.alt_response(200, schema=schemas.StatementSchema, description="The statement (JSON); "
                  "with format=pdf, the statement as an A4 PDF (application/pdf)")
@blp.alt_response(200, content_type="application/pdf", schema={"type": "string",
                                                               "format": "binary"},
                  description="The statement (JSON); with format=pdf, an A4 PDF")
def statement(query: dict[str, Any], organisation: str) -> Any:
    """An organisation's account between two dates (inclusive): opening balance, every
    invoice, credit note, payment, refund and reversal with the running balance, closing
    balance; with `limit`, a page of the entries at a time (`next`: the URL of the next
    page; the balances are the whole period's)."""
    if organisation not in current_ruleset().organisations:
        raise Rejected(404, f"unknown organisation {organisation!r}")
    session = ledger_session()
    if query["format"] == "pdf":
        body = payments.statement(session, organisation, query.get("from_"), query.get("to"))
        pdf = records.statement_pdf(session, current_ruleset(), body)
        return flask.Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="statement-{organisation}.pdf"',
            "Cache-Control": "no-store"})
    body, last = payments.statement_page(session, organisation, query.get("from_"),
                                         query.get("to"), query.get("limit"),
                                         query.get("cursor"))
    return body | {"next": paging.page_link(last)}


@blp.route("/reports/aged-debt")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.arguments(requests.AgedDebtQuerySchema(), location="query")
@blp.alt_response(200, schema=schemas.AgedDebtSchema, description="Aged debt")
def aged_debt(query: dict[str, Any]) -> Any:
    """What each organisation owes on a date (default today), by days past due."""
    return payments.aged_debt(ledger_session(), query.get("date") or dates.today())


@blp.route("/audit")
@blp.guarded("admin")
@auth.requires("admin")
@blp.arguments(requests.AuditQuerySchema(), location="query")
@blp.alt_response(200, schema=schemas.AuditSchema, description="Audit events, oldest first")
def audit_log(query: dict[str, Any]) -> Any:
    """Every write: who, what, when, before and after; `limit` events after the id `after`
    (`next`: the URL of the next page, null on the last)."""
    events = audit.events(ledger_session(), query["limit"] + 1, query["after"])
    shown = events[:query["limit"]]
    more = len(events) > len(shown)
    return {"events": shown, "next": paging.next_after(shown[-1]["id"]) if more else None}


__all__ = ["blp", "command", "replayed"]
