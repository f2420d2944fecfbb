"""The ledger: cases, tranches, split groups, documents, number series, tokens, audit.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(40), nullable=False, unique=True),
        sa.Column("district", sa.String(100), nullable=False),
        sa.Column("health_body", sa.String(100), nullable=True),
        sa.Column("commissioned", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "split_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=False),
        sa.UniqueConstraint("case_id", "key", name="uq_split_groups_case_key"),
    )
    op.create_index("ix_split_groups_case_id", "split_groups", ["case_id"])
    op.create_table(
        "tranches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("item", sa.String(100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("incurred", sa.Date(), nullable=False),
        sa.Column("split_id", sa.Integer(), sa.ForeignKey("split_groups.id"), nullable=True),
        sa.Column("billed_amount", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_tranches_case_id", "tranches", ["case_id"])
    op.create_index("ix_tranches_split_id", "tranches", ["split_id"])
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("organisation", sa.String(100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("issued", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("corrects", sa.String(20), nullable=True),
        sa.Column("run", sa.String(40), nullable=False),
    )
    op.create_index("ix_documents_case_id", "documents", ["case_id"])
    op.create_index("ix_documents_organisation", "documents", ["organisation"])
    op.create_table(
        "document_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("organisation", sa.String(100), nullable=False),
        sa.Column("split_id", sa.Integer(), sa.ForeignKey("split_groups.id"), nullable=False),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id"), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_document_lines_case_id", "document_lines", ["case_id"])
    op.create_index("ix_document_lines_document_id", "document_lines", ["document_id"])
    op.create_index("ix_document_lines_split_id", "document_lines", ["split_id"])
    series = op.create_table(
        "number_series",
        sa.Column("name", sa.String(20), primary_key=True),
        sa.Column("prefix", sa.String(10), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(series, [{"name": "invoice", "prefix": "INV-", "last": 0},
                            {"name": "credit-note", "prefix": "CN-", "last": 0}])
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("entity_id", sa.String(100), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    for table in ("audit_events", "idempotency_keys", "tokens", "number_series",
                  "document_lines", "documents", "tranches", "split_groups", "cases"):
        op.drop_table(table)
