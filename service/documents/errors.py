"""Refusals of the documents part, in its own words. They carry no HTTP status: the API
boundary maps them (unknown -> 404, invalid -> 422, mail server unavailable -> 503)."""

from __future__ import annotations

__all__ = [
    "DocumentsError",
    "IssuerIncomplete",
    "MailUnavailable",
    "NoBillingEmail",
    "NotFound",
    "RecipientRefused",
]


class DocumentsError(Exception):
    """A refusal; ``field`` names the input at fault, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DocumentsError):
    """The document or organisation named does not exist."""


class NoBillingEmail(DocumentsError):
    """The partner has no billing contact with an email address to send the document to."""


class RecipientRefused(DocumentsError):
    """The mail server refused the billing contact's address for good (the address is wrong)."""


class MailUnavailable(DocumentsError):
    """The mail server could not be reached or would not take the message now (not configured,
    refused the connection, timed out, failed to authenticate, or answered a temporary error).
    Nothing was recorded; sending again later may work."""


class IssuerIncomplete(DocumentsError):
    """The issuer settings lack something sending needs (an email address to send from)."""
