"""The ledger's tables (SQLAlchemy 2). Money is stored as integer pence, never a float.

The schema is created and changed only by the Alembic migrations in ``service/migrations``;
``tests/service/test_migrations.py`` checks the two agree.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AuditEvent",
    "Award",
    "AwardStage",
    "Base",
    "BillingContactRow",
    "Case",
    "Correction",
    "CreditAllocation",
    "Document",
    "DocumentLine",
    "DocumentSending",
    "IdempotencyRecord",
    "IssuerSettings",
    "Payment",
    "Recovery",
    "Reversal",
    "Series",
    "SignInFailure",
    "SignInSession",
    "SplitGroup",
    "Token",
    "Tranche",
    "User",
]


#: A tranche not settled as it stands (never settled, or revised since): the predicate of the
#: partial index ``ix_tranches_pending``.
PENDING = "billed_amount IS NULL OR billed_amount <> amount"


class Base(DeclarativeBase):
    """Declarative base of every ledger table."""


class Case(Base):
    """A Domestic Homicide Review: a reference and where, never who (no victim data)."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status_id", "status", "id"),
                      Index("ix_cases_district_id", "district", "id"),
                      Index("ix_cases_commissioned", "commissioned"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    district: Mapped[str] = mapped_column(String(100))
    health_body: Mapped[str | None] = mapped_column(String(100))
    commissioned: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SplitGroup(Base):
    """Tranches billed under one resolved split (``data`` is its JSON; ``key`` what decides it)."""

    __tablename__ = "split_groups"
    __table_args__ = (UniqueConstraint("case_id", "key", name="uq_split_groups_case_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    key: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)
    resolved_on: Mapped[date] = mapped_column(Date)


class Tranche(Base):
    """A cost as it arrived: ``amount`` now, ``billed_amount`` as last settled (pence)."""

    __tablename__ = "tranches"
    __table_args__ = (
        # the tranches a billing run settles: never settled, or revised since (migration 0007)
        Index("ix_tranches_pending", "case_id", sqlite_where=text(PENDING),
              postgresql_where=text(PENDING)),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    item: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    incurred: Mapped[date] = mapped_column(Date)
    split_id: Mapped[int | None] = mapped_column(ForeignKey("split_groups.id"), index=True)
    billed_amount: Mapped[int | None] = mapped_column(BigInteger)


class Document(Base):
    """An invoice (positive) or credit note (negative) to ``organisation`` (on behalf of
    ``on_behalf_of`` when that partner had gone on the issue date); never edited once issued,
    except what is settled against it: ``paid`` (payments net of reversals; refunds of a
    credit note) and ``credited`` (credit allocated to an invoice, or from a credit note), both
    in pence and positive, and the ``status`` they give."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_case_organisation_amount", "case_id", "organisation", "amount"),
        Index("ix_documents_issued_id", "issued", "id"),
        Index("ix_documents_organisation_id", "organisation", "id"),
        Index("ix_documents_organisation_issued_amount_due", "organisation", "issued", "amount",
              "due"),
        Index("ix_documents_status_id", "status", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(100))
    on_behalf_of: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    issued: Mapped[date] = mapped_column(Date)
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    paid: Mapped[int] = mapped_column(BigInteger, server_default="0")
    credited: Mapped[int] = mapped_column(BigInteger, server_default="0")
    run: Mapped[str] = mapped_column(String(40))


class Correction(Base):
    """Document ``document_id`` corrects the earlier document ``corrected_id``."""

    __tablename__ = "corrections"
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    corrected_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)


class Payment(Base):
    """Money received against an invoice (or paid out against a credit note: a refund of held
    credit), with the remittance reference. Never deleted: a mistake is reversed."""

    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    received: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class Reversal(Base):
    """A payment recorded in error, reversed on ``reversed_on`` for ``reason`` (at most
    once)."""

    __tablename__ = "payment_reversals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    reversed_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class CreditAllocation(Base):
    """Credit from a credit note set against an open invoice of the same organisation on the
    same case, on the credit note's issue date."""

    __tablename__ = "credit_allocations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    allocated_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)


class DocumentLine(Base):
    """What a partner was charged (or credited) for one split group, so every group's net can
    be checked. A line belongs to the run's document for that partner; a line without a
    document is a transfer between groups that nets to nothing for the partner (a rebill that
    moves tranches to a new split without changing what the partner owes)."""

    __tablename__ = "document_lines"
    __table_args__ = (
        Index("ix_document_lines_split_organisation", "split_id", "organisation", "amount"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(100))
    split_id: Mapped[int] = mapped_column(ForeignKey("split_groups.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class Series(Base):
    """A gap-free number series: incremented inside the issuing transaction."""

    __tablename__ = "number_series"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(10))
    last: Mapped[int] = mapped_column(BigInteger)


class Token(Base):
    """A bearer token, stored as its SHA-256 digest only: what it is for (``name``), whose it
    is (``owner``), its role, when it expires and, once revoked, when."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    owner: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class IdempotencyRecord(Base):
    """The first answer to a POST with an ``Idempotency-Key``."""

    __tablename__ = "idempotency_keys"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AuditEvent(Base):
    """Append-only (database triggers refuse UPDATE and DELETE): who did what, when, with the
    state before and after (JSON). ``actor_id`` is the credential's id (``token:7``)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(200))
    actor_id: Mapped[str | None] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


class User(Base):
    """A person who signs in to the web app: email (stored lower-case), name, role and an
    Argon2 hash of the password (never the password)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SignInSession(Base):
    """A server-side session: the SHA-256 digest of the random id in the browser's cookie
    (never the id itself), whose it is, and when it was last used (for the idle expiry)."""

    __tablename__ = "sign_in_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)


class SignInFailure(Base):
    """A failed sign-in, kept for a while to slow and limit guessing (per email address)."""

    __tablename__ = "sign_in_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)


class IssuerSettings(Base):
    """Who issues the documents (one row, id 1; absent until an admin saves the settings)."""

    __tablename__ = "issuer_settings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(String(320))
    telephone: Mapped[str] = mapped_column(String(50))
    vat_number: Mapped[str | None] = mapped_column(String(30))
    vat_statement: Mapped[str] = mapped_column(Text)
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    remittance: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class BillingContactRow(Base):
    """A partner organisation's billing contact: where its documents go."""

    __tablename__ = "billing_contacts"
    organisation: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))
    finance_reference: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class DocumentSending(Base):
    """A document emailed: to whom, when, by whom, with which message id."""

    __tablename__ = "document_sendings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(200))
    message_id: Mapped[str] = mapped_column(String(300))


class Award(Base):
    """A grant to one recipient from a fund's committed allocation (``amount`` in pence)."""

    __tablename__ = "awards"
    __table_args__ = (UniqueConstraint("fund", "recipient", name="uq_awards_fund_recipient"),
                      Index("ix_awards_fund_id", "fund", "id"),
                      Index("ix_awards_recipient_id", "recipient", "id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    fund: Mapped[str] = mapped_column(String(100))
    year: Mapped[str] = mapped_column(String(7))
    recipient: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    awarded_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AwardStage(Base):
    """One payment stage of an award: due date, condition (and whether it was met), payment."""

    __tablename__ = "award_stages"
    __table_args__ = (UniqueConstraint("award_id", "stage", name="uq_award_stages_stage"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    due: Mapped[date] = mapped_column(Date)
    condition: Mapped[str | None] = mapped_column(Text)
    condition_met: Mapped[bool | None] = mapped_column(Boolean)
    condition_on: Mapped[date | None] = mapped_column(Date)
    condition_note: Mapped[str | None] = mapped_column(Text)
    paid_on: Mapped[date | None] = mapped_column(Date)


class Recovery(Base):
    """Underspend clawed back from an award's recipient: a numbered recovery document."""

    __tablename__ = "recoveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    recovered_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
