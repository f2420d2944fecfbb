"""Refusals of the documents part, in its own words. They are ledger errors and carry no HTTP
status: :mod:`service.http.problems` maps them (unknown 404, invalid 422, mail server 503)."""

from __future__ import annotations

from service.ledger.errors import Invalid, NotFound, Unavailable

__all__ = [
    "IssuerIncomplete",
    "MailUnavailable",
    "NoBillingEmail",
    "NotFound",
    "RecipientRefused",
]


class NoBillingEmail(Invalid):
    """The partner has no billing contact with an email address to send the document to."""


class RecipientRefused(Invalid):
    """The mail server refused the billing contact's address for good (the address is wrong)."""


class IssuerIncomplete(Invalid):
    """The issuer settings lack something sending needs (an email address to send from)."""


class MailUnavailable(Unavailable):
    """The mail server could not be reached or would not take the message now (not configured,
    refused the connection, timed out, refused the login, or answered a temporary error).
    Nothing was recorded; sending again later may work."""
