"""What the ledger knows about past reviews, for the DHR forecast: how many reviews each
district commissioned in each financial year, and what finished reviews cost, both summed in
SQL (a forecast needs counts and a summary, not every case)."""

from __future__ import annotations

from sqlalchemy import case, extract, func, select
from sqlalchemy.orm import Session

from rules.forecast import History, ReviewCosts
from service.ledger.tables import Case, Tranche

__all__ = ["review_history"]

#: The calendar year a commission date's financial year starts in (financial years start on
#: 1 April).
_YEAR = extract("year", Case.commissioned)
_STARTS = case((extract("month", Case.commissioned) >= 4, _YEAR), else_=_YEAR - 1)
_LIVE = Case.status != "withdrawn"

#: Reviews not withdrawn, per district and financial year.
_REVIEWS = (select(Case.district, _STARTS.label("starts"), func.count(Case.id)).where(_LIVE)
            .group_by(Case.district, _STARTS).order_by(_STARTS, Case.district))

#: Each review's total cost (reviews with costs), and whether it is closed.
_EACH = (select((Case.status == "closed").label("closed"),
                func.sum(Tranche.amount).label("cost"))
         .join(Tranche, Tranche.case_id == Case.id).where(_LIVE)
         .group_by(Case.id, Case.status).having(func.sum(Tranche.amount) > 0).subquery())
#: What closed reviews cost, and what every review with costs costs (each summary's count,
#: total, cheapest and dearest).
_COSTS = select(
    func.count(case((_EACH.c.closed, 1))),
    func.sum(case((_EACH.c.closed, _EACH.c.cost), else_=0)),
    func.min(case((_EACH.c.closed, _EACH.c.cost))),
    func.max(case((_EACH.c.closed, _EACH.c.cost))),
    func.count(), func.sum(_EACH.c.cost), func.min(_EACH.c.cost), func.max(_EACH.c.cost))


def review_history(session: Session) -> History:
    """Every review not withdrawn, counted per district and financial year of its commission;
    and what closed reviews cost (while none is closed, every review with costs, so a young
    ledger still gives a figure)."""
    session.flush()  # the Core reads below do not flush by themselves
    connection = session.connection()
    reviews = tuple((district, f"{int(starts)}-{(int(starts) + 1) % 100:02d}", int(count))
                    for district, starts, count in connection.execute(_REVIEWS))
    closed, closed_total, closed_least, closed_most, count, total, least, most = (
        connection.execute(_COSTS).one())
    if closed:
        costs = ReviewCosts(int(closed), int(closed_total), int(closed_least), int(closed_most))
    elif count:
        costs = ReviewCosts(int(count), int(total), int(least), int(most))
    else:
        costs = ReviewCosts()
    return History(reviews, costs)
