"""Answer schemas of the JSON API: what each response body looks like, for the OpenAPI
document (the tests check real answers against them), and the documentation-only schemas of
inputs that the rules validate (an inline fund, a scenario change).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

import rules
from service.http.problems import ProblemSchema
from service.wire.fields import (
    NO_NUL,
    WEIGHT_PATTERN,
    FinancialYear,
    FullMatch,
    Money,
    Slug,
    Strict,
)

__all__ = [
    "AgedDebtSchema",
    "ApportionmentSchema",
    "ArrangementRefSchema",
    "ArrangementSchema",
    "ArrangementsSchema",
    "AuditEventSchema",
    "AuditSchema",
    "AwardSchema",
    "AwardStageSchema",
    "AwardsPageSchema",
    "AwardsSchema",
    "BoardReportSchema",
    "CaseSchema",
    "CasesSchema",
    "ChangeSchema",
    "ComparisonSchema",
    "ContributionSchema",
    "CoverageSchema",
    "CspSchema",
    "DistrictSchema",
    "DistrictsSchema",
    "DocumentAnswerSchema",
    "DocumentSchema",
    "DocumentsSchema",
    "FundAllocationSchema",
    "FundSchema",
    "FundsSchema",
    "HealthSchema",
    "InlineFundSchema",
    "InvoicesSchema",
    "LineAmountSchema",
    "LineAnswerSchema",
    "LineSchema",
    "LineTotalSchema",
    "NetSchema",
    "OrganisationSchema",
    "OrganisationsSchema",
    "PaymentSchema",
    "PeriodSchema",
    "ProblemSchema",
    "RecipientSchema",
    "RecoveryEntrySchema",
    "RecoverySchema",
    "ReversalSchema",
    "RoleSchema",
    "RowSchema",
    "SentSchema",
    "ShareSchema",
    "SideSchema",
    "StagePaymentSchema",
    "StatementSchema",
    "TotalsSchema",
    "TrancheSchema",
]


#: How a paged answer's ``next`` is described.
NEXT = {"description": "the URL of the next page (null on the last page)"}


def _text(max_length: int, **kwargs: Any) -> fields.String:
    """Free text of a request: at most ``max_length`` characters, never a NUL (no database
    stores one: every request refuses it)."""
    return fields.String(validate=[validate.Length(max=max_length),
                                   FullMatch(NO_NUL, error="no NUL characters")], **kwargs)


class LineSchema(Strict):
    id = Slug(required=True)
    name = _text(500)
    kind = fields.String(required=True, validate=validate.OneOf(rules.LINE_KINDS))
    amount = Money(allow_none=True)
    recipient = Slug(allow_none=True)
    recipients = fields.List(Slug(), allow_none=True, validate=validate.Length(max=1000))
    weights = fields.Raw(allow_none=True, metadata={
        "description": "recipient -> weight (integer or decimal string), or a weight-set id",
        "oneOf": [{"type": "string"},
                  {"type": "object", "additionalProperties": {
                      "oneOf": [{"type": "integer", "minimum": 0},
                                {"type": "string", "pattern": WEIGHT_PATTERN}]}}]})
    floor = Money(allow_none=True)
    cap = Money(allow_none=True)
    damping = fields.Nested(lambda: DampingSchema(), allow_none=True, metadata={
        "description": "proportional lines: percent limits against the same line of the fund "
                       "followed"})
    fund = Slug(allow_none=True, metadata={"description": "passport lines: the earlier fund"})
    lines = fields.List(Slug(), allow_none=True, validate=validate.Length(max=100),
                        metadata={"description": "passport lines: the earlier fund's line ids"})
    bids = fields.List(fields.Nested(lambda: BidSchema()), allow_none=True,
                       validate=validate.Length(max=10000))


def _percent(description: str, **kwargs: object) -> fields.Raw:
    """A percentage as the rules read it: an integer or a decimal string (never a float)."""
    return fields.Raw(**kwargs, metadata={  # type: ignore[arg-type]
        "description": description, "example": "10",
        "oneOf": [{"type": "integer", "minimum": 0},
                  {"type": "string", "pattern": WEIGHT_PATTERN}]})


class DampingSchema(Strict):
    max_decrease = _percent("percent a recipient may lose at most (0 to 100)", allow_none=True)
    max_increase = _percent("percent a recipient may gain at most", allow_none=True)


class BidSchema(Strict):
    id = Slug(required=True)
    name = _text(500)
    recipient = Slug(required=True)
    amount = Money(required=True)
    approved = fields.Boolean()


class StageSchema(Strict):
    id = Slug(required=True)
    percent = _percent("percent of each award (the stages sum to 100)", required=True)
    due = fields.Date(required=True)
    condition = _text(2000, allow_none=True)


class InlineFundSchema(Strict):
    id = Slug(required=True)
    name = _text(500, required=True)
    year = FinancialYear(required=True, metadata={"example": "2024-25"})
    total = Money(required=True)
    recipients = fields.List(Slug(), required=True, validate=validate.Length(max=1000))
    lines = fields.List(fields.Nested(LineSchema), required=True,
                        validate=validate.Length(min=1, max=100))
    source = _text(2000)
    currency = fields.String(validate=validate.OneOf(["GBP"]))
    follows = Slug(allow_none=True, metadata={"description": "the fund this one follows"})
    funder = Slug(allow_none=True, metadata={"description": "the organisation paying the fund"})
    stages = fields.List(fields.Nested(StageSchema), allow_none=True,
                         validate=validate.Length(min=1, max=20),
                         metadata={"description": "payment stages; percentages sum to 100"})


class ChangeSchema(ma.Schema):
    """A scenario change; ``op`` says which, the other fields depend on it."""

    class Meta:
        unknown = ma.INCLUDE

    op = fields.String(required=True, validate=validate.OneOf(list(rules.CHANGE_OPERATIONS)))


class PeriodSchema(ma.Schema):
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(allow_none=True, required=True)


class OrganisationSchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    statutory = fields.Boolean(required=True)
    active = fields.List(fields.Nested(PeriodSchema), required=True)
    successors = fields.List(fields.String(), required=True)
    source = fields.String()


class OrganisationsSchema(ma.Schema):
    date = fields.Date(required=True)
    organisations = fields.List(fields.Nested(OrganisationSchema), required=True)


class CoverageSchema(ma.Schema):
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(allow_none=True, required=True)
    bodies = fields.List(fields.String(), required=True)
    source = fields.String()


class DistrictSchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    council = fields.String(required=True)
    csp = fields.String(required=True)
    health = fields.List(fields.Nested(CoverageSchema), required=True)
    source = fields.String()


class CspSchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    active = fields.List(fields.Nested(PeriodSchema), required=True)
    successors = fields.List(fields.String(), required=True)
    districts = fields.List(fields.String(), required=True)
    source = fields.String()


class DistrictsSchema(ma.Schema):
    districts = fields.List(fields.Nested(DistrictSchema), required=True)
    csps = fields.List(fields.Nested(CspSchema), required=True)


class RoleSchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    organisations = fields.List(fields.String(), required=True)
    area = fields.String(allow_none=True, required=True)
    weight = fields.String(required=True)
    fill = fields.String(required=True)


class ContributionSchema(ma.Schema):
    organisation = fields.String(required=True)
    item = fields.String(required=True)
    percent = fields.String(required=True)
    cap = fields.String(allow_none=True, required=True)


class ArrangementSchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    in_force = fields.Nested(PeriodSchema, required=True)
    districts = fields.List(fields.String(), required=True)
    roles = fields.List(fields.Nested(RoleSchema), required=True)
    shared_items = fields.List(fields.String(), required=True)
    governing_date = fields.String(required=True)
    contributions = fields.List(fields.Nested(ContributionSchema), required=True)
    source = fields.String(required=True)


class ArrangementsSchema(ma.Schema):
    arrangements = fields.List(fields.Nested(ArrangementSchema), required=True)


class FundSchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    year = fields.String(required=True)
    total = fields.String(required=True)
    recipients = fields.List(fields.String(), required=True)
    lines = fields.List(fields.Dict(), required=True)
    source = fields.String()
    follows = fields.String(metadata={"description": "the fund this one follows"})
    funder = fields.String(metadata={"description": "the organisation paying the fund"})
    stages = fields.List(fields.Dict(), metadata={"description": "payment stages"})


class FundsSchema(ma.Schema):
    funds = fields.List(fields.Nested(FundSchema), required=True)


class ShareSchema(ma.Schema):
    organisation = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    amount = fields.String(required=True)
    fraction = fields.String(allow_none=True, required=True)
    remainder_penny = fields.Boolean(required=True)
    reason = fields.String(required=True)


class ArrangementRefSchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    source = fields.String(required=True)


class ApportionmentSchema(ma.Schema):
    currency = fields.String(required=True)
    total = fields.String(required=True)
    date = fields.Date(required=True)
    governing_date = fields.Date(required=True)
    district = fields.String(required=True)
    health_body = fields.String(allow_none=True, required=True)
    arrangement = fields.Nested(ArrangementRefSchema, required=True)
    shares = fields.List(fields.Nested(ShareSchema), required=True)


class LineAmountSchema(ma.Schema):
    """A recipient's amount from one line, explained."""

    line = fields.String(required=True)
    amount = fields.String(required=True)
    fraction = fields.String(allow_none=True, required=True, metadata={
        "description": "its exact quota over the line's amount"})
    floored = fields.Boolean(required=True)
    capped = fields.Boolean(required=True)
    damped = fields.Boolean(required=True)
    remainder_penny = fields.Boolean(required=True)
    held = fields.String(allow_none=True, required=True, metadata={
        "description": "floor, cap, max-decrease or max-increase: what held its quota"})


class StageAmountSchema(ma.Schema):
    stage = fields.String(required=True)
    amount = fields.String(required=True)
    due = fields.Date(required=True)
    condition = fields.String(allow_none=True, required=True)
    remainder_penny = fields.Boolean(required=True)


class RecipientSchema(ma.Schema):
    recipient = fields.String(required=True)
    name = fields.String(required=True)
    amount = fields.String(required=True)
    lines = fields.List(fields.Nested(LineAmountSchema), required=True)
    previous = fields.String(allow_none=True, metadata={
        "description": "its amount from the fund followed (when the fund follows one)"})
    stages = fields.List(fields.Nested(StageAmountSchema), metadata={
        "description": "its payment stages (when the fund sets stages); they sum to amount"})


class BidAwardSchema(ma.Schema):
    bid = fields.String(required=True)
    recipient = fields.String(required=True)
    requested = fields.String(required=True)
    approved = fields.Boolean(required=True)
    awarded = fields.String(required=True)
    remainder_penny = fields.Boolean(required=True)


class LineTotalSchema(ma.Schema):
    line = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    amount = fields.String(required=True)
    bids = fields.List(fields.Nested(BidAwardSchema))


class FundWarningSchema(ma.Schema):
    kind = fields.String(required=True)
    recipient = fields.String(required=True)
    detail = fields.String(required=True)
    # A paradox (alabama, population, new-member) against the fund followed also names:
    name = fields.String()
    line = fields.String(metadata={"description": "the line (its id in both funds)"})
    others = fields.List(fields.String())
    base = fields.String(metadata={"description": "the recipient's amount in the fund followed"})
    scenario = fields.String(metadata={"description": "its amount in this fund"})


class FundAllocationSchema(ma.Schema):
    fund = fields.String(required=True)
    name = fields.String(required=True)
    year = fields.String(required=True)
    currency = fields.String(required=True)
    total = fields.String(required=True)
    allocated = fields.String(required=True)
    unallocated = fields.String(required=True)
    follows = fields.String(allow_none=True, required=True)
    recipients = fields.List(fields.Nested(RecipientSchema), required=True)
    lines = fields.List(fields.Nested(LineTotalSchema), required=True)
    warnings = fields.List(fields.Nested(FundWarningSchema), metadata={
        "description": "when the fund follows another: e.g. a recipient that lost while the "
                       "pot grew"})


class RowSchema(ma.Schema):
    organisation = fields.String()
    recipient = fields.String()
    name = fields.String(required=True)
    base = fields.String(required=True)
    scenario = fields.String(required=True)
    delta = fields.String(required=True)


class TotalsSchema(ma.Schema):
    base = fields.String(required=True)
    scenario = fields.String(required=True)
    delta = fields.String(required=True)


class SideSchema(ma.Schema):
    dhr = fields.List(fields.Nested(ApportionmentSchema), required=True)
    funds = fields.List(fields.Nested(FundAllocationSchema), required=True)


class WarningSchema(ma.Schema):
    kind = fields.String(required=True, metadata={
        "enum": ["alabama", "population", "new-member"],
        "description": "alabama: lost while the pot grew and its weight share did not fall; "
                       "population: lost although its weight share rose; new-member: outside "
                       "the change, yet a penny moved against other recipients outside it."})
    recipient = fields.String(required=True)
    name = fields.String(required=True)
    line = fields.String(required=True, metadata={
        "description": "the split: dhr.N (a review) or funds.N.<line id>"})
    others = fields.List(fields.String(), required=True)
    base = fields.String(required=True)
    scenario = fields.String(required=True)
    detail = fields.String(required=True)


class RangeSchema(ma.Schema):
    low = fields.String(required=True)
    expected = fields.String(required=True)
    high = fields.String(required=True)


class ForecastReviewsSchema(RangeSchema):
    district = fields.String(required=True)
    name = fields.String(required=True)


class ForecastPartnerSchema(RangeSchema):
    organisation = fields.String(required=True)
    name = fields.String(required=True)


class ForecastPeriodSchema(ma.Schema):
    district = fields.String(required=True)
    from_ = fields.String(data_key="from", required=True)
    to = fields.String(required=True)
    partners = fields.List(fields.String(), required=True)


class ForecastSchema(ma.Schema):
    year = fields.String(required=True)
    from_ = fields.String(data_key="from", required=True)
    to = fields.String(required=True)
    currency = fields.String(required=True)
    total = fields.String(required=True, metadata={"description": "the expected total"})
    totals = fields.Nested(RangeSchema, required=True)
    cost_per_review = fields.Nested(RangeSchema, required=True)
    reviews = fields.List(fields.Nested(ForecastReviewsSchema), required=True)
    history_years = fields.List(fields.String(), required=True)
    organisations = fields.List(fields.Nested(ForecastPartnerSchema), required=True)
    periods = fields.List(fields.Nested(ForecastPeriodSchema), required=True)


class ComparisonSchema(ma.Schema):
    currency = fields.String(required=True)
    organisations = fields.List(fields.Nested(RowSchema), required=True)
    recipients = fields.List(fields.Nested(RowSchema), required=True)
    totals = fields.Nested(TotalsSchema, required=True)
    warnings = fields.List(fields.Nested(WarningSchema), required=True)
    base = fields.Nested(SideSchema, required=True)
    scenario = fields.Nested(SideSchema, required=True)


class HealthSchema(ma.Schema):
    status = fields.String(required=True)
    ruleset = fields.Dict(required=True)


class TrancheSchema(ma.Schema):
    id = fields.Integer(required=True)
    item = fields.String(required=True)
    amount = fields.String(required=True)
    incurred = fields.Date(required=True)
    billed = fields.Boolean(required=True)
    billed_amount = fields.String(allow_none=True, required=True)


class NetSchema(ma.Schema):
    organisation = fields.String(required=True)
    net = fields.String(required=True)


class CaseSchema(ma.Schema):
    reference = fields.String(required=True)
    district = fields.String(required=True)
    health_body = fields.String(allow_none=True, required=True)
    commissioned = fields.Date(required=True)
    status = fields.String(required=True)
    costs = fields.List(fields.Nested(TrancheSchema), required=True)
    total = fields.String(required=True)
    billed = fields.String(required=True)
    invoiced = fields.List(fields.Nested(NetSchema), required=True)
    notes = fields.List(fields.String(), metadata={
        "description": "e.g. a health body named outside the district map"})


class CasesSchema(ma.Schema):
    cases = fields.List(fields.Nested(CaseSchema), required=True)
    next = fields.String(allow_none=True, required=True, metadata=NEXT)


class DocumentLineSchema(ma.Schema):
    case = fields.String(required=True)
    item = fields.String(required=True)
    incurred = fields.Date(allow_none=True, required=True)
    fraction = fields.String(allow_none=True, required=True)
    amount = fields.String(required=True)


class DocumentSchema(ma.Schema):
    number = fields.String(allow_none=True, required=True)
    kind = fields.String(required=True)
    case = fields.String(required=True)
    organisation = fields.String(required=True)
    on_behalf_of = fields.String(metadata={
        "description": "the partner whose share this is, when it had gone on the issue date"})
    amount = fields.String(required=True)
    issued = fields.Date(required=True)
    due = fields.Date(required=True)
    status = fields.String(required=True, metadata={"enum": ["open", "part-paid", "paid",
                                                             "credited"]})
    paid = fields.String(required=True)
    credited = fields.String(required=True)
    outstanding = fields.String(required=True)
    corrects = fields.List(fields.String(), required=True)
    lines = fields.List(fields.Nested(DocumentLineSchema), required=True)


class PartnerNetSchema(ma.Schema):
    organisation = fields.String(required=True)
    before = fields.String(required=True)
    after = fields.String(required=True)


class DocumentsSchema(ma.Schema):
    documents = fields.List(fields.Nested(DocumentSchema), required=True)
    nets = fields.List(fields.Nested(PartnerNetSchema))
    dry_run = fields.Boolean()


class InvoicesSchema(ma.Schema):
    invoices = fields.List(fields.Nested(DocumentSchema), required=True)
    next = fields.String(allow_none=True, required=True, metadata=NEXT)


class PaymentSchema(ma.Schema):
    id = fields.Integer(required=True)
    document = fields.String(required=True)
    date = fields.Date(required=True)
    amount = fields.String(required=True)
    reference = fields.String(allow_none=True, required=True)


class ReversalSchema(ma.Schema):
    id = fields.Integer(required=True)
    payment = fields.Integer(required=True)
    document = fields.String(required=True)
    date = fields.Date(required=True)
    amount = fields.String(required=True)
    reason = fields.String(required=True)


class EntrySchema(ma.Schema):
    date = fields.Date(required=True)
    kind = fields.String(required=True, metadata={
        "enum": ["invoice", "credit-note", "payment", "refund", "reversal"]})
    number = fields.String(required=True)
    case = fields.String(allow_none=True, required=True)
    reference = fields.String()
    amount = fields.String(required=True)
    balance = fields.String(required=True)


class StatementSchema(ma.Schema):
    organisation = fields.String(required=True)
    from_ = fields.Date(data_key="from", allow_none=True, required=True)
    to = fields.Date(allow_none=True, required=True)
    opening_balance = fields.String(required=True)
    entries = fields.List(fields.Nested(EntrySchema), required=True)
    closing_balance = fields.String(required=True)
    next = fields.String(allow_none=True, required=True, metadata=NEXT)


class AgedRowSchema(ma.Schema):
    organisation = fields.String()
    current = fields.String(required=True)
    days_1_30 = fields.String(data_key="1-30", required=True)
    days_31_60 = fields.String(data_key="31-60", required=True)
    days_61_90 = fields.String(data_key="61-90", required=True)
    over_90 = fields.String(data_key="over-90", required=True)
    total = fields.String(required=True)


class AgedDebtSchema(ma.Schema):
    date = fields.Date(required=True)
    organisations = fields.List(fields.Nested(AgedRowSchema), required=True)
    totals = fields.Nested(AgedRowSchema, required=True)


class AuditEventSchema(ma.Schema):
    id = fields.Integer(required=True)
    at = fields.String(required=True)
    actor = fields.String(required=True, metadata={"description": "the credential's name"})
    actor_id = fields.String(required=True, allow_none=True, metadata={
        "description": "the credential's id, e.g. token:7 (null for events before 0.1)"})
    action = fields.String(required=True)
    entity = fields.String(required=True)
    entity_id = fields.String(required=True)
    before = fields.Raw(allow_none=True, required=True)
    after = fields.Raw(allow_none=True, required=True)


class AuditSchema(ma.Schema):
    events = fields.List(fields.Nested(AuditEventSchema), required=True)
    next = fields.String(allow_none=True, required=True, metadata=NEXT)


class BoardReportSchema(ma.Schema):
    year = fields.String(required=True)
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)
    currency = fields.String(required=True)
    dhr = fields.Dict(required=True)
    funds = fields.List(fields.Dict(), required=True)
    arrangements = fields.List(fields.Dict(), required=True)
    membership = fields.List(fields.Dict(), required=True)
    forecast = fields.Nested(ForecastSchema, allow_none=True, required=True, metadata={
        "description": "the DHR forecast for the following year (null when the ledger holds "
                       "no complete year of reviews or no review costs)"})
    forecast_note = fields.String(required=True)


# --- documents ----------------------------------------------------------------------------------

class IssuerAnswerSchema(ma.Schema):
    """The issuer settings (empty texts until an admin saves them)."""

    name = fields.String(required=True)
    address = fields.String(required=True)
    email = fields.String(required=True)
    telephone = fields.String(required=True)
    vat_number = fields.String(required=True, allow_none=True)
    vat_statement = fields.String(required=True)
    payment_terms_days = fields.Integer(required=True)
    remittance = fields.String(required=True)


class BillingContactAnswerSchema(ma.Schema):
    """A partner organisation's billing contact."""

    name = fields.String(required=True)
    address = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    finance_reference = fields.String(required=True, allow_none=True)


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


class AwardStageSchema(ma.Schema):
    stage = fields.String(required=True)
    amount = fields.String(required=True)
    due = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(
        ["payable", "awaiting-condition", "condition-not-met", "paid"]))
    paid_on = fields.Date(allow_none=True, required=True)
    condition = fields.String()
    condition_met = fields.Boolean(allow_none=True)
    condition_date = fields.Date(allow_none=True)
    condition_note = fields.String(allow_none=True)


class RecoveryEntrySchema(ma.Schema):
    number = fields.String(required=True)
    amount = fields.String(required=True)
    date = fields.Date(required=True)
    reason = fields.String(required=True)


class AwardSchema(ma.Schema):
    number = fields.String(required=True)
    fund = fields.String(required=True)
    year = fields.String(required=True)
    recipient = fields.String(required=True)
    amount = fields.String(required=True)
    awarded = fields.Date(required=True)
    stages = fields.List(fields.Nested(AwardStageSchema), required=True)
    paid = fields.String(required=True)
    recovered = fields.String(required=True)
    net_paid = fields.String(required=True)
    to_pay = fields.String(required=True)
    recoveries = fields.List(fields.Nested(RecoveryEntrySchema), required=True)


class AwardsSchema(ma.Schema):
    awards = fields.List(fields.Nested(AwardSchema), required=True)


class AwardsPageSchema(AwardsSchema):
    next = fields.String(allow_none=True, required=True, metadata=NEXT)


class StagePaymentSchema(ma.Schema):
    award = fields.String(required=True)
    stage = fields.String(required=True)
    amount = fields.String(required=True)
    date = fields.Date(required=True)
    paid = fields.String(required=True)
    to_pay = fields.String(required=True)


class RecoverySchema(ma.Schema):
    number = fields.String(required=True)
    award = fields.String(required=True)
    amount = fields.String(required=True)
    date = fields.Date(required=True)
    reason = fields.String(required=True)
