"""Documents over HTTP: issuer settings, billing contacts, a document and its PDF, sending it by
email, and the finance-system export. Views are thin: validate, call the documents part,
answer. Its refusals are ledger errors (unknown 404, invalid 422, mail server down 503)."""

from __future__ import annotations

import os
from typing import Any

import flask
from flask import current_app

from service.api import schemas
from service.api.ledger import command, replayed
from service.documents import exports, records, render, sending, settings
from service.documents.model import BillingContact, Document, Issuer
from service.http import auth
from service.http.blueprint import Blueprint, problems
from service.http.bodies import json_body
from service.http.context import current_ruleset, ledger_session
from service.http.problems import Rejected
from service.wire import requests

__all__ = ["blp"]

blp = Blueprint("documents", __name__, url_prefix="/api/v1",
                description="Documents a finance officer can send: a bearer token is needed.")

ISSUER = requests.IssuerSchema()
CONTACT = requests.BillingContactSchema()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _organisation(organisation: str) -> str:
    if organisation not in current_ruleset().organisations:
        raise Rejected(404, f"unknown organisation {organisation!r}")
    return organisation


@blp.route("/settings/issuer")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.alt_response(200, schema=schemas.IssuerAnswerSchema, description="Issuer settings")
def get_issuer() -> Any:
    """Who issues the documents: name, address, contact, VAT, payment terms, remittance."""
    return settings.issuer(ledger_session()).to_dict()


@blp.route("/settings/issuer", methods=["PUT"])
@blp.guarded("admin")
@auth.requires("admin")
@blp.json_body(ISSUER)
@blp.alt_response(200, schema=schemas.IssuerAnswerSchema, description="Issuer settings")
def put_issuer() -> Any:
    """Replace the issuer settings (every field; audited)."""
    data = json_body(ISSUER)
    return command(lambda s: settings.save_issuer(s, data, auth.actor()).to_dict(), 200)


@blp.route("/organisations/<organisation>/billing-contact")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.alt_response(200, schema=schemas.BillingContactAnswerSchema,
                  description="The billing contact")
@blp.doc(responses=problems((404, "Unknown organisation, or no billing contact kept")))
def get_contact(organisation: str) -> Any:
    """A partner organisation's billing contact."""
    found = settings.contact(ledger_session(), _organisation(organisation))
    if found is None:
        raise Rejected(404, f"{organisation!r} has no billing contact yet")
    return found.to_dict()


@blp.route("/organisations/<organisation>/billing-contact", methods=["PUT"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.json_body(CONTACT)
@blp.alt_response(200, schema=schemas.BillingContactAnswerSchema,
                  description="The billing contact")
@blp.doc(responses=problems((404, "Unknown organisation")))
def put_contact(organisation: str) -> Any:
    """Set a partner organisation's billing contact (audited)."""
    data = json_body(CONTACT)
    _organisation(organisation)
    return command(lambda s: settings.save_contact(s, organisation, data, auth.actor())
                   .to_dict(), 200)


def _read(number: str) -> tuple[int, dict[str, Any], Document, Issuer, BillingContact | None]:
    """Read a document and what its PDF needs, then end the transaction (rendering and mail
    happen outside it, holding no lock)."""
    session = ledger_session()
    try:
        row_id, body, document = records.find(session, current_ruleset(), number)
        return (row_id, body, document, settings.issuer(session),
                settings.contact(session, document.organisation.id))
    finally:
        session.rollback()


@blp.route("/invoices/<number>")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.alt_response(200, schema=schemas.DocumentAnswerSchema,
                  description="The document")
@blp.doc(responses=problems((404, "No document has that number")))
def get_document(number: str) -> Any:
    """An invoice or credit note, with its due date, lines and every sending."""
    session = ledger_session()
    row_id, body, document = records.find(session, current_ruleset(), number)
    return {**body, "due": document.due.isoformat(),
            "lines": [line.to_dict() for line in document.lines],
            "sent": records.sendings(session, row_id)}


@blp.route("/invoices/<number>/pdf")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.doc(responses={"200": {"description": "The document as a PDF",
                            "content": {"application/pdf": {"schema": {
                                "type": "string", "format": "binary"}}}}}
         | problems((404, "No document has that number")))
def document_pdf(number: str) -> Any:
    """The invoice or credit note as a PDF (A4)."""
    _, _, document, issuer, contact = _read(number)
    data = render.document_pdf(document, issuer, contact)
    return flask.Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{document.number}.pdf"',
        "Cache-Control": "no-store"})


@blp.route("/invoices/<number>/send", methods=["POST"])
@blp.guarded("finance")
@auth.requires("finance")
@blp.alt_response(200, schema=schemas.SentSchema, description="Sent")
@blp.doc(responses=problems(
    (404, "No document has that number"),
    (422, "The partner has no billing email, the mail server refused that address for good, "
          "or the issuer settings have no email to send from"),
    (503, "The mail server is not configured, unreachable or refusing for now: nothing was "
          "recorded; try again after Retry-After")))
def send(number: str) -> Any:
    """Email the document's PDF to the partner's billing contact; the sending is recorded on
    the document and in the audit log. A failure records nothing and says why. With an
    ``Idempotency-Key``, a retry answers the first sending and mails nothing."""
    first = replayed()
    if first is not None:
        return first
    smtp_url = current_app.config.get("SMTP_URL") or os.environ.get("SMTP_URL")
    return command(lambda s: sending.send_document(s, current_ruleset(), number, smtp_url,
                                                   auth.actor()), 200)


@blp.route("/exports/documents")
@blp.guarded("viewer")
@auth.requires("viewer")
@blp.arguments(requests.ExportQuerySchema(), location="query")
@blp.doc(responses={"200": {"description": "The finance-system export (CSV or XLSX)",
                            "content": {"text/csv": {"schema": {"type": "string"}},
                                        XLSX: {"schema": {"type": "string",
                                                          "format": "binary"}}}}})
def export_documents(query: dict[str, Any]) -> Any:
    """Documents issued in a period (inclusive), one row each, for the finance system."""
    session = ledger_session()
    start, end = query["from_"], query["to"]
    rows = exports.export_rows(records.between(session, current_ruleset(), start, end),
                               settings.contacts(session))
    name = f"documents-{start.isoformat()}-{end.isoformat()}"
    if query["format"] == "xlsx":
        return flask.Response(exports.export_xlsx(rows, start, end), mimetype=XLSX, headers={
            "Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return flask.Response(exports.export_csv(rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}.csv"'})

