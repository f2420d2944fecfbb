"""Money as the ledger stores it: integer pence, never a float."""

from __future__ import annotations

__all__ = ["CENTS", "pence"]


def pence(amount: int) -> str:
    """Integer pence as the wire's two-place decimal string (``-7143`` -> ``"-71.43"``): what
    ``allocations.format_money(allocations.from_minor(amount))`` gives, by integer arithmetic
    (lists and statements format thousands of amounts)."""
    if amount >= 0:
        whole, part = divmod(amount, 100)
        return f"{whole}.{CENTS[part]}"
    whole, part = divmod(-amount, 100)
    return f"-{whole}.{CENTS[part]}"


#: The two digits of each number of pence, 0-99 (looked up, not formatted, each time).
CENTS = tuple(f"{part:02d}" for part in range(100))
