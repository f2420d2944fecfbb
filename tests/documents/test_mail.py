"""Email through a real SMTP server: what arrives (addressee, subject, the PDF), logins, and
every way the server can fail, each said clearly."""

from __future__ import annotations

from email.message import EmailMessage

import attrs
import pytest

from service.documents import mail, render
from service.documents.errors import IssuerIncomplete, MailUnavailable, RecipientRefused
from tests.documents.samples import CONTACT, ISSUER, invoice
from tests.mailbox import Mailbox


def message() -> EmailMessage:
    document = invoice()
    return mail.document_message(document, ISSUER, CONTACT,
                                 render.document_pdf(document, ISSUER, CONTACT))


def test_the_partner_receives_the_invoice_pdf(mailbox: Mailbox) -> None:
    mail.send(mail.SmtpServer.from_url(mailbox.url), message())
    [received] = mailbox.received
    assert received.recipients == ["ap@example.police.uk"]
    assert received.sender == "csu.finance@example.gov.uk"
    sent = received.message
    assert sent["To"] == "Accounts Payable <ap@example.police.uk>"
    assert sent["Subject"] == "Invoice INV-000007 from Example County Council: case DHR/2015/01"
    body = sent.get_body(("plain",))
    assert body is not None
    assert "£1,208.34" in body.get_content() and "1 May 2015" in body.get_content()
    [attachment] = list(sent.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "invoice-INV-000007.pdf"
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF-") and b"INV-000007" not in pdf[:0]


def test_credentials_in_the_url_log_in(mailbox: Mailbox) -> None:
    mail.send(mail.SmtpServer.from_url(mailbox.login_url), message())
    assert len(mailbox.received) == 1
    wrong = mail.SmtpServer.from_url(mailbox.login_url.replace("s3cret", "guess"))
    with pytest.raises(MailUnavailable, match="refused the login"):
        mail.send(wrong, message())
    with pytest.raises(MailUnavailable):  # no credentials where a login is required
        mail.send(mail.SmtpServer("127.0.0.1", mailbox.login_port), message())
    assert len(mailbox.received) == 1


def test_an_unreachable_server_is_said_so(mailbox: Mailbox) -> None:
    closed = mailbox.unreachable_port
    with pytest.raises(MailUnavailable, match=f"127.0.0.1:{closed} could not be reached"):
        mail.send(mail.SmtpServer("127.0.0.1", closed), message(), timeout=5)


def test_a_refused_address_is_the_contacts_fault_a_busy_server_is_not(mailbox: Mailbox) -> None:
    mailbox.handler.refuse_for_good.add("ap@example.police.uk")
    with pytest.raises(RecipientRefused, match="550") as refused:
        mail.send(mail.SmtpServer.from_url(mailbox.url), message())
    assert refused.value.field == "billing_contact.email"
    mailbox.handler.refuse_for_good.clear()
    mailbox.handler.refuse_for_now.add("ap@example.police.uk")
    with pytest.raises(MailUnavailable, match="451"):
        mail.send(mail.SmtpServer.from_url(mailbox.url), message())
    assert mailbox.received == []


def test_an_issuer_without_an_email_cannot_send() -> None:
    document = invoice()
    with pytest.raises(IssuerIncomplete):
        mail.document_message(document, attrs.evolve(ISSUER, email=""), CONTACT, b"%PDF-")


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example:2525", ("mail.example", 2525, None, None)),
    ("smtp://relay", ("relay", 25, None, None)),
    ("smtp://u%40x:p%3Aw@relay:587", ("relay", 587, "u@x", "p:w")),
])
def test_smtp_urls(url: str, expected: tuple[object, ...]) -> None:
    server = mail.SmtpServer.from_url(url)
    assert (server.host, server.port, server.username, server.password) == expected
    assert "p:w" not in repr(server) and "p:w" not in str(server)


@pytest.mark.parametrize("url", ["http://relay:25", "smtp://", "smtp://relay:99999",
                                 "smtp://relay:port", "relay:25"])
def test_bad_smtp_urls_are_refused_without_echoing_secrets(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        mail.SmtpServer.from_url(url)
