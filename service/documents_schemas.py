"""Wire schemas of the documents part: issuer settings, billing contacts, sending, exports.

(Kept beside the other wire schemas once the service/ restructure has landed.)
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from service.schemas import Strict

__all__ = [
    "BillingContactSchema",
    "DocumentAnswerSchema",
    "ExportQuerySchema",
    "IssuerSchema",
    "SentSchema",
]

#: One line of text: no control characters at all.
ONE_LINE = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
#: Several lines: line breaks allowed, no other control characters.
LINES = r"^[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]*$"


def Text(max_length: int, *, lines: bool = False, required: bool = True,
         **kwargs: Any) -> fields.String:
    """A text field: not blank when required, at most ``max_length`` characters, and no control
    characters (line breaks only where ``lines``)."""
    checks = [validate.Length(min=1 if required else 0, max=max_length),
              validate.Regexp(LINES if lines else ONE_LINE,
                              error="must not contain control characters"
                              + ("" if lines else " or line breaks"))]
    if required:
        checks.append(validate.Regexp(r"\S", error="must not be blank"))
    return fields.String(required=required, validate=validate.And(*checks), **kwargs)


def Email(**kwargs: Any) -> fields.Email:
    """An email address (at most 320 characters)."""
    return fields.Email(validate=validate.Length(max=320), **kwargs)


class IssuerSchema(Strict):
    """Who issues the documents."""

    name = Text(200, metadata={"example": "Example County Council"})
    address = Text(1000, lines=True, metadata={"example": "County Hall\nMatlock DE4 3AG"})
    email = Email(required=True, metadata={"example": "csu.finance@example.gov.uk"})
    telephone = Text(50, metadata={"example": "01629 000000"})
    vat_number = Text(30, required=False, allow_none=True, load_default=None)
    vat_statement = Text(500, lines=True, metadata={
        "example": "Contributions between public bodies are outside the scope of VAT."})
    payment_terms_days = fields.Integer(required=True, strict=True,
                                        validate=validate.Range(min=0, max=365))
    remittance = Text(1000, lines=True, metadata={
        "example": "BACS: sort code 00-00-00, account 12345678"})


class BillingContactSchema(Strict):
    """Where a partner's documents go."""

    name = Text(200, metadata={"example": "Accounts Payable"})
    address = Text(1000, lines=True)
    email = Email(allow_none=True, load_default=None)
    finance_reference = Text(100, required=False, allow_none=True, load_default=None,
                             metadata={"description": "their finance reference or PO number"})


class SentSchema(ma.Schema):
    """A sending: to whom and when (UTC)."""

    to = fields.String(required=True)
    sent_at = fields.String(required=True, metadata={"example": "2015-04-01T09:30:00Z"})


class LineAnswerSchema(ma.Schema):
    case = fields.String()
    item = fields.String()
    incurred = fields.String(allow_none=True)
    fraction = fields.String(allow_none=True)
    amount = fields.String()


class DocumentAnswerSchema(ma.Schema):
    """A document with its due date and every sending."""

    class Meta:
        unknown = ma.INCLUDE

    number = fields.String(required=True)
    kind = fields.String(required=True)
    case = fields.String(required=True)
    organisation = fields.String(required=True)
    amount = fields.String(required=True)
    issued = fields.String(required=True)
    due = fields.String(required=True)
    status = fields.String(required=True)
    lines = fields.List(fields.Nested(LineAnswerSchema))
    sent = fields.List(fields.Nested(SentSchema), required=True)


class ExportQuerySchema(Strict):
    """The period (inclusive) and the file format of the finance-system export."""

    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["from_"] > data["to"]:
            raise ma.ValidationError("must not be before from", "to")
