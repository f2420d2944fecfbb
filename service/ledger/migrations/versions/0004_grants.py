"""Grants: awards from a fund's committed allocation, their payment stages, recoveries.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "awards",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("fund", sa.String(100), nullable=False),
        sa.Column("year", sa.String(7), nullable=False),
        sa.Column("recipient", sa.String(100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("fund", "recipient", name="uq_awards_fund_recipient"),
    )
    op.create_index("ix_awards_fund", "awards", ["fund"])
    op.create_index("ix_awards_recipient", "awards", ["recipient"])
    op.create_table(
        "award_stages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("award_id", sa.Integer(), sa.ForeignKey("awards.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("condition", sa.Text(), nullable=True),
        sa.Column("condition_met", sa.Boolean(), nullable=True),
        sa.Column("condition_on", sa.Date(), nullable=True),
        sa.Column("condition_note", sa.Text(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.UniqueConstraint("award_id", "stage", name="uq_award_stages_stage"),
    )
    op.create_index("ix_award_stages_award_id", "award_stages", ["award_id"])
    op.create_table(
        "recoveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("award_id", sa.Integer(), sa.ForeignKey("awards.id"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("recovered_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_recoveries_award_id", "recoveries", ["award_id"])
    series = sa.table("number_series", sa.column("name", sa.String), sa.column("prefix", sa.String),
                      sa.column("last", sa.BigInteger))
    op.bulk_insert(series, [{"name": "award", "prefix": "AWD-", "last": 0},
                            {"name": "recovery", "prefix": "REC-", "last": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM number_series WHERE name IN ('award', 'recovery')")
    for table in ("recoveries", "award_stages", "awards"):
        op.drop_table(table)
