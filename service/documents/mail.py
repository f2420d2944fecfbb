"""Email: a document's PDF to the partner's billing contact, through the SMTP server named by
``SMTP_URL`` (``smtp://host:port``, optionally ``smtp://user:password@host:port``).

:func:`send` either hands the message to the server or raises, saying why: the caller records
the sending only after it succeeded, in the same transaction as its audit event.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import unquote, urlsplit

import attrs

from service.documents.errors import IssuerIncomplete, MailUnavailable, RecipientRefused
from service.documents.model import BillingContact, Document, Issuer
from service.documents.render import long_date, money

__all__ = ["SmtpServer", "document_message", "send"]

#: Seconds to wait for the mail server before giving up (connect and each reply).
TIMEOUT = 15.0


@attrs.frozen
class SmtpServer:
    """Where mail goes: host, port and optional credentials (never shown in its repr)."""

    host: str
    port: int = 25
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Parse ``smtp://[user:password@]host[:port]``.

        Raises:
            ValueError: naming what is wrong with the URL (never echoing a password).
        """
        parts = urlsplit(url.strip())
        if parts.scheme != "smtp":
            raise ValueError("SMTP_URL must look like smtp://host:port "
                             "(optionally smtp://user:password@host:port)")
        try:
            port = parts.port or 25
        except ValueError:
            raise ValueError("SMTP_URL has a port that is not a number from 1 to 65535"
                             ) from None
        if not parts.hostname:
            raise ValueError("SMTP_URL names no host")
        return cls(parts.hostname, port,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password is not None else None)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def _sender(issuer: Issuer) -> Address:
    if "@" not in issuer.email:
        raise IssuerIncomplete("the issuer settings have no email address to send from; an "
                               "admin sets it at /api/v1/settings/issuer", field="issuer.email")
    user, _, domain = issuer.email.rpartition("@")
    return Address(issuer.name or "", user, domain)


def _recipient(contact: BillingContact) -> Address:
    email = contact.email or ""
    user, _, domain = email.rpartition("@")
    return Address(contact.name, user, domain)


def _message(issuer: Issuer, contact: BillingContact, subject: str, text: str, pdf: bytes,
             filename: str) -> EmailMessage:
    sender = _sender(issuer)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = _recipient(contact)
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message.set_content(text)
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return message


def document_message(document: Document, issuer: Issuer, contact: BillingContact,
                     pdf: bytes) -> EmailMessage:
    """The email carrying an invoice or credit note: a short covering note and the PDF."""
    subject = f"{document.title} {document.number} from {issuer.name or 'us'}: " \
              f"case {document.case}"
    greeting = f"Dear {contact.name},"
    if document.is_credit:
        body = (f"Please find attached credit note {document.number} for "
                f"{money(-document.amount)} on case {document.case}. It is set against your "
                "open invoices on the case; no payment is due.")
    else:
        body = (f"Please find attached invoice {document.number} for "
                f"{money(document.amount)} on case {document.case}, due by "
                f"{long_date(document.due)}. Please quote {document.number} with your payment.")
    reference = (f"\nYour reference: {contact.finance_reference}\n"
                 if contact.finance_reference else "")
    sign_off = "\n".join(part for part in (issuer.name, issuer.email, issuer.telephone) if part)
    text = f"{greeting}\n\n{body}\n{reference}\n{issuer.vat_statement}\n\n{sign_off}\n"
    return _message(issuer, contact, subject, text, pdf,
                    f"{document.title.lower().replace(' ', '-')}-{document.number}.pdf")


def send(server: SmtpServer, message: EmailMessage, timeout: float = TIMEOUT) -> None:
    """Hand ``message`` to the mail server (STARTTLS when it offers it; login when the URL
    carries credentials).

    Raises:
        RecipientRefused: the server refused the addressee for good (5xx): the address is wrong.
        MailUnavailable: anything else: unreachable, timed out, login refused, a temporary
            refusal, the connection dropped. The message says which.
    """
    try:
        with smtplib.SMTP(server.host, server.port, timeout=timeout) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if server.username is not None:
                smtp.login(server.username, server.password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        text = "; ".join(f"{address}: {code} {reply.decode(errors='replace')}"
                         for address, (code, reply) in error.recipients.items())
        if all(500 <= code < 600 for code in codes):
            raise RecipientRefused(f"the mail server refused the billing contact's address "
                                   f"({text}); correct the billing contact's email",
                                   field="billing_contact.email") from None
        raise MailUnavailable(f"the mail server at {server} refused the message for now "
                              f"({text}); try again later") from None
    except smtplib.SMTPAuthenticationError as error:
        raise MailUnavailable(f"the mail server at {server} refused the login in SMTP_URL "
                              f"({error.smtp_code})") from None
    except smtplib.SMTPResponseException as error:
        reply = error.smtp_error.decode(errors="replace") if isinstance(
            error.smtp_error, bytes) else str(error.smtp_error)
        raise MailUnavailable(f"the mail server at {server} refused the message "
                              f"({error.smtp_code} {reply})") from None
    except (smtplib.SMTPException, OSError) as error:
        reason = str(error) or type(error).__name__
        raise MailUnavailable(f"the mail server at {server} could not be reached "
                              f"({reason})") from None
