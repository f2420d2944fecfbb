"""What the ledger knows about past reviews, for the DHR forecast: reviews by district and
financial year, and what finished reviews cost."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rules.forecast import History, financial_year_of
from service.ledger.collection import collection_paused
from service.ledger.tables import Case, Tranche

__all__ = ["review_history"]


def review_history(session: Session) -> History:
    """Every review not withdrawn, as (district, financial year of its commission); and the
    total cost of every closed review (while none is closed, of every review with costs, so a
    young ledger still gives a figure)."""
    session.flush()  # the Core reads below do not flush by themselves
    connection = session.connection()  # Core rows: thousands of cases, no ORM processing
    with collection_paused():
        cases = connection.execute(
            select(Case.district, Case.commissioned).where(Case.status != "withdrawn")
            .order_by(Case.commissioned, Case.id)).all()
        totals = connection.execute(
            select(Case.status, func.sum(Tranche.amount))
            .join(Tranche, Tranche.case_id == Case.id)
            .where(Case.status != "withdrawn").group_by(Case.id, Case.status)
            .order_by(Case.id)).all()
        closed = [int(total) for status, total in totals if status == "closed" and total > 0]
        costs = closed or [int(total) for _, total in totals if total > 0]
        years: dict[date, str] = {}  # cases share commission dates: each year worked out once
        reviews = []
        for district, commissioned in cases:
            year = years.get(commissioned)
            if year is None:
                year = years[commissioned] = financial_year_of(commissioned)
            reviews.append((district, year))
        return History(tuple(reviews), tuple(costs))
