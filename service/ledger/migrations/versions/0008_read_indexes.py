"""Indexes for every filter and ordering the ledger's lists and reports use.

Lists page by id after a filter (keyset paging), so each filter gets an index ending in the id:
cases by status or district, documents by organisation or status, awards by fund or recipient
(these replace the single-column indexes on documents.organisation, awards.fund and
awards.recipient). Cases are filtered by commission date; statements read an organisation's
documents in issue-date order; the board report and aged debt take documents by issue date
(migration 0007's ``ix_documents_issued_id``).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: (name, table, columns) of each index added.
ADDED = (
    ("ix_cases_status_id", "cases", ["status", "id"]),
    ("ix_cases_district_id", "cases", ["district", "id"]),
    ("ix_cases_commissioned", "cases", ["commissioned"]),
    ("ix_documents_organisation_id", "documents", ["organisation", "id"]),
    ("ix_documents_organisation_issued", "documents", ["organisation", "issued"]),
    ("ix_documents_status_id", "documents", ["status", "id"]),
    ("ix_awards_fund_id", "awards", ["fund", "id"]),
    ("ix_awards_recipient_id", "awards", ["recipient", "id"]),
)
#: (name, table, columns) of each index the new ones make redundant.
REPLACED = (
    ("ix_documents_organisation", "documents", ["organisation"]),
    ("ix_awards_fund", "awards", ["fund"]),
    ("ix_awards_recipient", "awards", ["recipient"]),
)


def upgrade() -> None:
    for name, table, columns in ADDED:
        op.create_index(name, table, columns)
    for name, table, _ in REPLACED:
        op.drop_index(name, table)


def downgrade() -> None:
    for name, table, columns in REPLACED:
        op.create_index(name, table, columns)
    for name, table, _ in ADDED:
        op.drop_index(name, table)
