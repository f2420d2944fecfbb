"""Sending a document: the one sequence the API and the web app both use.

Read the document, its issuer and the partner's billing contact, then end the read transaction
(rendering and the mail server hold no lock); refuse if the partner has no billing email; render
the PDF, hand the message to the mail server, and record the sending (the caller commits it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

import rules
from service.documents import mail, records, render, settings
from service.documents.errors import MailUnavailable, NoBillingEmail

__all__ = ["send_document", "smtp_server"]


def smtp_server(url: str | None) -> mail.SmtpServer:
    """The mail server named by ``SMTP_URL``.

    Raises:
        MailUnavailable: none is configured, or the URL is not usable.
    """
    if not url:
        raise MailUnavailable("no mail server is configured: set SMTP_URL "
                              "(smtp://host:port) where the service runs")
    try:
        return mail.SmtpServer.from_url(url)
    except ValueError as error:
        raise MailUnavailable(f"the configured SMTP_URL is not usable: {error}") from None


def send_document(session: Session, ruleset: rules.Ruleset, number: str, smtp_url: str | None,
                  actor: str) -> dict[str, Any]:
    """Email document ``number``'s PDF to the partner's billing contact and record the sending
    (``{"to", "sent_at"}``; the caller commits).

    Raises:
        NotFound: no document has that number.
        NoBillingEmail: the partner has no billing contact with an email address.
        MailUnavailable, RecipientRefused, IssuerIncomplete: as :func:`mail.send` and
            :func:`mail.document_message` say; nothing is recorded.
    """
    try:
        row_id, _, document = records.find(session, ruleset, number)
        issuer = settings.issuer(session)
        contact = settings.contact(session, document.organisation.id)
    finally:
        session.rollback()
    if contact is None or not contact.email:
        raise NoBillingEmail(f"{document.organisation.name} has no billing contact with an "
                             "email address: set one on the partner's page (or at "
                             f"/api/v1/organisations/{document.organisation.id}/billing-contact)",
                             field="billing_contact.email")
    message = mail.document_message(document, issuer, contact,
                                    render.document_pdf(document, issuer, contact))
    mail.send(smtp_server(smtp_url), message)
    return records.record_sending(session, row_id, document.number, contact.email,
                                  str(message["Message-ID"]), actor)
