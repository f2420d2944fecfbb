"""Payments, reversals, credit allocation, corrections as a list, due dates, on-behalf-of.

Existing documents keep their figures: a document recorded as paid gets a payment of its
amount on its paid date, ``corrects`` becomes a correction row, ``due`` is issue + 30 days.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("on_behalf_of", sa.String(100), nullable=True))
    op.add_column("documents", sa.Column("due", sa.Date(), nullable=True))
    op.add_column("documents", sa.Column("paid", sa.BigInteger(), nullable=False,
                                         server_default="0"))
    op.add_column("documents", sa.Column("credited", sa.BigInteger(), nullable=False,
                                         server_default="0"))
    corrections = op.create_table(
        "corrections",
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id"), primary_key=True),
        sa.Column("corrected_id", sa.Integer(), sa.ForeignKey("documents.id"),
                  primary_key=True),
    )
    payments = op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("received", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(100), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_payments_document_id", "payments", ["document_id"])
    op.create_table(
        "payment_reversals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("payment_id", sa.Integer(), sa.ForeignKey("payments.id"), nullable=False,
                  unique=True),
        sa.Column("reversed_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "credit_allocations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("credit_note_id", sa.Integer(), sa.ForeignKey("documents.id"),
                  nullable=False),
        sa.Column("invoice_id", sa.Integer(), sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("allocated_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_credit_allocations_credit_note_id", "credit_allocations",
                    ["credit_note_id"])
    op.create_index("ix_credit_allocations_invoice_id", "credit_allocations", ["invoice_id"])

    connection = op.get_bind()
    documents = sa.table("documents", sa.column("id", sa.Integer()),
                         sa.column("number", sa.String()), sa.column("amount", sa.BigInteger()),
                         sa.column("issued", sa.Date()), sa.column("due", sa.Date()),
                         sa.column("status", sa.String()), sa.column("paid", sa.BigInteger()),
                         sa.column("paid_on", sa.Date()), sa.column("corrects", sa.String()))
    rows = connection.execute(sa.select(documents.c.id, documents.c.number, documents.c.amount,
                                        documents.c.issued, documents.c.status,
                                        documents.c.paid_on, documents.c.corrects)).all()
    ids = {row.number: row.id for row in rows}
    now = datetime.now(UTC).replace(tzinfo=None)
    for row in rows:
        values: dict[str, object] = {"due": row.issued + timedelta(days=30)}
        if row.status == "paid":
            values["paid"] = abs(row.amount)
            connection.execute(payments.insert().values(
                document_id=row.id, received=row.paid_on or row.issued, amount=abs(row.amount),
                reference=None, recorded_at=now))
        connection.execute(documents.update().where(documents.c.id == row.id).values(**values))
        if row.corrects in ids:
            connection.execute(corrections.insert().values(document_id=row.id,
                                                           corrected_id=ids[row.corrects]))
    op.drop_column("documents", "corrects")
    op.drop_column("documents", "paid_on")


def downgrade() -> None:
    op.add_column("documents", sa.Column("paid_on", sa.Date(), nullable=True))
    op.add_column("documents", sa.Column("corrects", sa.String(20), nullable=True))
    op.drop_table("credit_allocations")
    op.drop_table("payment_reversals")
    op.drop_table("payments")
    op.drop_table("corrections")
    op.drop_column("documents", "credited")
    op.drop_column("documents", "paid")
    op.drop_column("documents", "due")
    op.drop_column("documents", "on_behalf_of")
