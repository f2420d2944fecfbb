"""Request schemas: the one validator of each input (unknown fields rejected).

Used by the JSON API (and documented in its OpenAPI from the same classes), the CLI and the
pages. They validate the shape; :mod:`service.wire.answers` turns loaded data into domain
requests, where the rules report deeper problems with field paths.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from service.wire.fields import (
    CASE_YEAR_PATTERN,
    NO_NUL,
    SLUG_PATTERN,
    Cursor,
    Day,
    FinancialYear,
    FullMatch,
    Money,
    Reference,
    Slug,
    Strict,
)

__all__ = [
    "AgedDebtQuerySchema",
    "AuditQuerySchema",
    "AwardsQuerySchema",
    "AwardsRequestSchema",
    "BillingContactSchema",
    "BillingRequestSchema",
    "CaseEditSchema",
    "CaseRequestSchema",
    "CasesQuerySchema",
    "Change",
    "CompareQuerySchema",
    "CompareRequestSchema",
    "ConditionRequestSchema",
    "CostRequestSchema",
    "CostRevisionSchema",
    "CostSchema",
    "DhrRequestSchema",
    "ExportQuerySchema",
    "ForecastRequestSchema",
    "FundRef",
    "FundRequestSchema",
    "InvoicesQuerySchema",
    "IssuerSchema",
    "OpenDataQuerySchema",
    "OrganisationsQuerySchema",
    "Paged",
    "PaidRequestSchema",
    "PaymentRequestSchema",
    "RebillRequestSchema",
    "RecoveryRequestSchema",
    "ReportQuerySchema",
    "ReversalRequestSchema",
    "StagePaymentRequestSchema",
    "StatementQuerySchema",
    "TokenRequestSchema",
]


#: Items per page of a list unless ``limit`` says otherwise.
PAGE_SIZE = 100
#: The most items one page holds.
MAX_PAGE_SIZE = 1000


class Paged(Strict):
    """Query parameters of a paged list (the answer's ``next`` holds the next page's URL)."""

    limit = fields.Integer(load_default=PAGE_SIZE, validate=validate.Range(min=1,
                                                                          max=MAX_PAGE_SIZE),
                           metadata={"description": f"items per page (default {PAGE_SIZE})"})
    cursor = Cursor()


class CostSchema(Strict):
    item = Slug(required=True, metadata={"example": "overview-author"})
    amount = Money(required=True)


class DhrRequestSchema(Strict):
    district = Slug(required=True, metadata={"example": "amber-valley"})
    date = Day(required=True, metadata={"example": "2013-05-01"})
    costs = fields.List(fields.Nested(CostSchema), required=True,
                        validate=validate.Length(min=1, max=100))
    health_body = Slug(allow_none=True)
    arrangement = Slug(allow_none=True)
    commissioned = Day(allow_none=True, metadata={
        "description": "commission date; needed by arrangements governed by it"})
    currency = fields.String(validate=validate.OneOf(["GBP"]))


class FundRef(fields.Field):  # type: ignore[type-arg]
    """A fund id, or an inline fund definition (validated by the rules, with field paths)."""

    def __init__(self, **kwargs: Any):
        super().__init__(metadata={"oneOf": [{"type": "string", "pattern": SLUG_PATTERN},
                                             {"$ref": "#/components/schemas/InlineFund"}]},
                         **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            return value
        raise ma.ValidationError("a fund id (string) or an inline fund definition (object)")


class FundRequestSchema(Strict):
    fund = FundRef(required=True)


class Change(fields.Field):  # type: ignore[type-arg]
    """A change object passed to the rules, which validate it by operation."""

    def __init__(self, **kwargs: Any):
        # allOf: apispec keeps no "$ref" given as a field's metadata.
        super().__init__(metadata={"allOf": [{"$ref": "#/components/schemas/Change"}]},
                         **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ma.ValidationError("a change is an object with an \"op\"")
        return value


class CompareRequestSchema(Strict):
    changes = fields.List(Change(), required=True, validate=validate.Length(max=100))
    dhr = fields.List(fields.Nested(DhrRequestSchema), load_default=list,
                      validate=validate.Length(max=5000))
    funds = fields.List(fields.Nested(FundRequestSchema), load_default=list,
                        validate=validate.Length(max=100))


class OrganisationsQuerySchema(Strict):
    date = Day(metadata={"description": "default: today"})


class CaseRequestSchema(Strict):
    reference = Reference(required=True, metadata={
        "description": "as councils write them; never victim-identifying"})
    district = Slug(required=True)
    commissioned = Day(required=True)
    health_body = Slug(allow_none=True)


class CaseEditSchema(Strict):
    health_body = Slug(allow_none=True)
    commissioned = Day()
    status = fields.String(validate=validate.OneOf(["open", "closed", "withdrawn"]))
    reference = Reference()


class CasesQuerySchema(Paged):
    status = fields.String(validate=validate.OneOf(["open", "closed", "withdrawn"]))
    district = Slug()
    year = fields.String(validate=FullMatch(
        CASE_YEAR_PATTERN, error="a year: 2015, or a financial year: 2015-16"),
        metadata={"example": "2015-16"})
    q = fields.String(validate=[validate.Length(min=1, max=40), FullMatch(
        r"^[^\x00-\x1f\x7f]*$", error="no control characters")],
        metadata={"description": "part of the reference"})


class CostRequestSchema(Strict):
    item = Slug(required=True, metadata={"example": "overview-author"})
    amount = Money(required=True)
    incurred = Day(required=True)


class CostRevisionSchema(Strict):
    amount = Money(required=True)


class BillingRequestSchema(Strict):
    date = Day(required=True)


class RebillRequestSchema(Strict):
    date = Day(required=True)
    dry_run = fields.Boolean(load_default=False)


class PaidRequestSchema(Strict):
    date = Day(required=True)


class PaymentRequestSchema(Strict):
    date = Day(required=True)
    amount = Money(required=True)
    reference = fields.String(validate=FullMatch(
        r"^[^\x00-\x1f\x7f]{1,100}$", error="1 to 100 characters, no control characters"),
        allow_none=True, metadata={"description": "the remittance reference"})


class ReversalRequestSchema(Strict):
    date = Day(required=True)
    reason = fields.String(required=True, validate=[
        validate.Length(min=1, max=500, error="1 to 500 characters saying why"),
        FullMatch(r"^[^\x00-\x08\x0b-\x1f\x7f]*[^\s\x00-\x08\x0b-\x1f\x7f]"
                  r"[^\x00-\x08\x0b-\x1f\x7f]*$",
                  error="1 to 500 characters saying why, no control characters")])


class InvoicesQuerySchema(Paged):
    organisation = Slug()
    case = Reference()
    status = fields.String(validate=validate.OneOf(["open", "part-paid", "paid", "credited"]))
    from_ = Day(data_key="from")
    to = Day()


class AgedDebtQuerySchema(Strict):
    date = Day(metadata={"description": "default: today"})


class StatementQuerySchema(Strict):
    from_ = Day(data_key="from")
    to = Day()
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "pdf"]))
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_PAGE_SIZE), metadata={
        "description": "entries per page (default: every entry; the PDF always has every "
                       "entry)"})
    cursor = Cursor()


class AuditQuerySchema(Strict):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**31 - 1),
                           metadata={"description": "events after this id (ids are 32-bit)"})
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=10000))


#: A token's name or owner: not blank, no control characters (service.ledger.tokens).
TOKEN_TEXT = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
TOKEN_ERROR = "1 to 200 characters, not blank, no control characters"


class TokenRequestSchema(Strict):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                  FullMatch(TOKEN_TEXT, error=TOKEN_ERROR)],
                         metadata={"example": "finance system import"})
    role = fields.String(required=True, validate=validate.OneOf(["viewer", "finance", "admin"]))
    owner = fields.String(validate=[validate.Length(min=1, max=200),
                                    FullMatch(TOKEN_TEXT, error=TOKEN_ERROR)],
                          metadata={"description": "whose token it is (default: the name)",
                                    "example": "Jo Bloggs"})
    days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=3660),
                          metadata={"description": "days until it expires"})


class ReportQuerySchema(Strict):
    year = FinancialYear(required=True,
                         metadata={"example": "2013-14"})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]))


class ReviewCount(fields.Field):  # type: ignore[type-arg]
    """An expected number of reviews: a whole number, or a decimal string (``"1.5"``); never a
    binary float."""

    def __init__(self, **kwargs: Any):
        super().__init__(metadata={"oneOf": [
            {"type": "integer", "minimum": 0, "maximum": 10000},
            {"type": "string", "pattern": r"^[0-9]{1,5}(\.[0-9]{1,4})?$"}],
            "example": 1}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ma.ValidationError("give a whole number of reviews or a decimal string such "
                                     "as \"1.5\"")
        if isinstance(value, int):
            if not 0 <= value <= 10000:
                raise ma.ValidationError("must be between 0 and 10000")
            return Fraction(value)
        if not re.fullmatch(r"[0-9]{1,5}(\.[0-9]{1,4})?", value):
            raise ma.ValidationError("a decimal string of at most 5 digits and 4 places, "
                                     "such as \"1.5\"")
        return Fraction(value)


class ForecastRequestSchema(Strict):
    year = FinancialYear(required=True,
                         metadata={"example": "2026-27"})
    reviews = fields.Dict(keys=Slug(), values=ReviewCount(), validate=validate.Length(max=500),
                          metadata={"maxProperties": 500,
                                    "description": "expected reviews per district (default: "
                                    "the ledger's yearly average; needs the viewer role)"})
    cost_per_review = Money(metadata={"description": "default: the ledger's average cost of a "
                                      "finished review (needs the viewer role)"})
    health_bodies = fields.Dict(keys=Slug(), values=Slug(), validate=validate.Length(max=500),
                                metadata={"maxProperties": 500,
                                          "description": "the health commissioner per district "
                                          "where several cover it"})


class CompareQuerySchema(Strict):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]))


# --- documents: issuer settings, billing contacts, the finance-system export ------------------

#: A character of one line of text: no control characters at all.
ONE_LINE_CHARACTERS = r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]"
#: A character of several lines: line breaks allowed, no other control characters.
LINES_CHARACTERS = r"[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]"


def Text(max_length: int, *, lines: bool = False, required: bool = True,
         **kwargs: Any) -> fields.String:
    """A text field: at most ``max_length`` characters, no control characters (line breaks
    only where ``lines``), and not blank when required; one pattern says all of it, in the
    OpenAPI document too."""
    allowed = LINES_CHARACTERS if lines else ONE_LINE_CHARACTERS
    pattern = (f"^{allowed}*[^\\s{allowed[2:-1]}]{allowed}*$" if required else f"^{allowed}*$")
    error = ("must not contain control characters" + ("" if lines else " or line breaks")
             + (", nor be blank" if required else ""))
    return fields.String(required=required, validate=[
        validate.Length(min=1 if required else 0, max=max_length),
        FullMatch(pattern, error=error)], **kwargs)


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


class ExportQuerySchema(Strict):
    """The period (inclusive) and the file format of the finance-system export."""

    from_ = Day(data_key="from", required=True)
    to = Day(required=True)
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["from_"] > data["to"]:
            raise ma.ValidationError("must not be before from", "to")


class AwardsRequestSchema(Strict):
    date = Day(required=True, metadata={"description": "the award (decision) date"})


class AwardsQuerySchema(Paged):
    fund = Slug()
    recipient = Slug()


class ConditionRequestSchema(Strict):
    met = fields.Boolean(required=True)
    date = Day(required=True)
    note = fields.String(allow_none=True, validate=[validate.Length(max=2000),
                                                    FullMatch(NO_NUL, error="no NUL")])


class StagePaymentRequestSchema(Strict):
    date = Day(required=True)


class RecoveryRequestSchema(Strict):
    amount = Money(required=True)
    date = Day(required=True)
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=2000),
                                                    FullMatch(NO_NUL, error="no NUL")])


class OpenDataQuerySchema(Strict):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))
