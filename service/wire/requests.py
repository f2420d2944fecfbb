"""Request schemas: the one validator of each input (unknown fields rejected).

Used by the JSON API (and documented in its OpenAPI from the same classes), the CLI and the
pages. They validate the shape; :mod:`service.wire.answers` turns loaded data into domain
requests, where the rules report deeper problems with field paths.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from service.wire.fields import SLUG_PATTERN, Day, Money, Reference, Slug, Strict

__all__ = [
    "AgedDebtQuerySchema",
    "AuditQuerySchema",
    "BillingRequestSchema",
    "CaseEditSchema",
    "CaseRequestSchema",
    "CasesQuerySchema",
    "Change",
    "CompareQuerySchema",
    "CompareRequestSchema",
    "CostRequestSchema",
    "CostRevisionSchema",
    "CostSchema",
    "DhrRequestSchema",
    "FundRef",
    "FundRequestSchema",
    "InvoicesQuerySchema",
    "OrganisationsQuerySchema",
    "PaidRequestSchema",
    "PaymentRequestSchema",
    "RebillRequestSchema",
    "ReportQuerySchema",
    "ReversalRequestSchema",
    "StatementQuerySchema",
]


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
        super().__init__(metadata={"$ref": "#/components/schemas/Change"}, **kwargs)

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


class CasesQuerySchema(Strict):
    status = fields.String(validate=validate.OneOf(["open", "closed", "withdrawn"]))
    district = Slug()
    year = fields.String(validate=validate.Regexp(
        r"^(19|20)[0-9]{2}(-[0-9]{2})?\Z", error="a year: 2015, or a financial year: 2015-16"),
        metadata={"example": "2015-16"})
    q = fields.String(validate=validate.Length(min=1, max=40),
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
    reference = fields.String(validate=validate.Regexp(
        r"^[^\x00-\x1f\x7f]{1,100}\Z", error="1 to 100 characters, no control characters"),
        allow_none=True, metadata={"description": "the remittance reference"})


class ReversalRequestSchema(Strict):
    date = Day(required=True)
    reason = fields.String(required=True, validate=validate.Regexp(
        r"^(?=.*\S)[^\x00-\x08\x0b-\x1f\x7f]{1,500}\Z",
        error="1 to 500 characters saying why, no control characters"))


class InvoicesQuerySchema(Strict):
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


class AuditQuerySchema(Strict):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62))
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=10000))


class ReportQuerySchema(Strict):
    year = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4}-[0-9]{2}$"),
                         metadata={"example": "2013-14"})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]))


class CompareQuerySchema(Strict):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]))
