"""Small views of ledger answers for the pages (no rule lives here: only arithmetic on what
the ledger returned, to show it side by side)."""

from __future__ import annotations

from datetime import date
from typing import Any

import allocations
from service.pages.views.common import user

__all__ = ["actor", "financial_year", "net_after", "pence"]


def actor() -> str:
    """Who is acting, as the audit log records it: name, email and role of the account."""
    found = user()
    return "anonymous" if found is None else f"{found.name} <{found.email}> ({found.role})"


def financial_year(day: date) -> str:
    """The financial year (1 April - 31 March) of ``day``, as ``2013-14``."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def pence(text: str) -> int:
    """A decimal string from the ledger as integer pence."""
    return allocations.to_minor(allocations.parse_money(text, field="amount",
                                                        allow_negative=True))


def net_after(case: dict[str, Any], documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each partner's net before a rebill (what the case shows invoiced), the documents the
    rebill would issue, and the net after: before + the documents, per partner."""
    before = {row["organisation"]: pence(row["net"]) for row in case["invoiced"]}
    change: dict[str, int] = {}
    for document in documents:
        partner = document.get("on_behalf_of") or document["organisation"]
        change[partner] = change.get(partner, 0) + pence(document["amount"])
    order = list(before) + [o for o in change if o not in before]
    return [{"organisation": o, "before": before.get(o, 0), "change": change.get(o, 0),
             "after": before.get(o, 0) + change.get(o, 0)} for o in order]
