"""What the ledger knows about past reviews, for the DHR forecast: reviews by district and
financial year, and what finished reviews cost."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rules.forecast import History, financial_year_of
from service.ledger.tables import Case, Tranche

__all__ = ["review_history"]


def review_history(session: Session) -> History:
    """Every review not withdrawn, as (district, financial year of its commission); and the
    total cost of every closed review (while none is closed, of every review with costs, so a
    young ledger still gives a figure)."""
    cases = session.execute(
        select(Case.district, Case.commissioned).where(Case.status != "withdrawn")
        .order_by(Case.commissioned, Case.id)).all()
    totals = session.execute(
        select(Case.status, func.sum(Tranche.amount)).join(Tranche, Tranche.case_id == Case.id)
        .where(Case.status != "withdrawn").group_by(Case.id, Case.status)
        .order_by(Case.id)).all()
    closed = [int(total) for status, total in totals if status == "closed" and total > 0]
    costs = closed or [int(total) for _, total in totals if total > 0]
    return History(tuple((district, financial_year_of(commissioned))
                         for district, commissioned in cases), tuple(costs))
