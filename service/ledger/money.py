"""Money as the ledger stores it: integer pence, never a float."""

from __future__ import annotations

import allocations

__all__ = ["pence"]


def pence(amount: int) -> str:
    """Integer pence as the wire's two-place decimal string (``-7143`` -> ``"-71.43"``)."""
    return allocations.format_money(allocations.from_minor(amount))
