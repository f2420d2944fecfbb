"""Money as the ledger stores it: integer pence, never a float."""

from __future__ import annotations

__all__ = ["pence"]


def pence(amount: int) -> str:
    """Integer pence as the wire's two-place decimal string (``-7143`` -> ``"-71.43"``): what
    ``allocations.format_money(allocations.from_minor(amount))`` gives, by integer arithmetic
    (lists and statements format thousands of amounts)."""
    whole, part = divmod(abs(amount), 100)
    return f"{'-' if amount < 0 else ''}{whole}.{part:02d}"
