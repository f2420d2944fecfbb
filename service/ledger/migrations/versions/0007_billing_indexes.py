"""Indexes that let a billing run read what changed, not the case's history.

* ``ix_tranches_pending``: a partial index of the tranches not settled as they stand (never
  settled, or revised since), by case: a run finds its work without scanning the case;
* ``ix_document_lines_split_organisation``: what is documented per (group, partner), summed
  from the index alone;
* ``ix_documents_case_organisation_amount``: a partner's credit notes on a case (to allocate
  held credit) without its invoices;
* ``ix_documents_issued_id``: the latest document (a run is not dated before it) without
  scanning the ledger.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: The tranches not settled as they stand (kept in step with ``service.ledger.tables``).
PENDING = "billed_amount IS NULL OR billed_amount <> amount"


def upgrade() -> None:
    op.create_index("ix_tranches_pending", "tranches", ["case_id"],
                    sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))
    op.create_index("ix_document_lines_split_organisation", "document_lines",
                    ["split_id", "organisation", "amount"])
    op.create_index("ix_documents_case_organisation_amount", "documents",
                    ["case_id", "organisation", "amount"])
    op.create_index("ix_documents_issued_id", "documents", ["issued", "id"])


def downgrade() -> None:
    op.drop_index("ix_documents_issued_id", "documents")
    op.drop_index("ix_documents_case_organisation_amount", "documents")
    op.drop_index("ix_document_lines_split_organisation", "document_lines")
    op.drop_index("ix_tranches_pending", "tranches")
