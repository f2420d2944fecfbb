"""A page of a list read from the ledger: keyset paging on a stable, indexed order.

A list asks for ``limit + 1`` rows after the cursor's position (the id of the last row of the
previous page) in id order, so each page costs the same whatever its depth, and knows from the
extra row whether another page follows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import attrs

__all__ = ["LAST_ID", "Page", "cut", "since"]

T = TypeVar("T")

#: The largest id a row can have (ids are 32-bit integers on every database).
LAST_ID = 2**31 - 1


@attrs.frozen
class Page(Generic[T]):
    """Items of a list as the API shows them, and ``last``: the position of the last one
    shown when another page follows (where the next page starts), else ``None``."""

    items: list[Any]
    last: int | None = None


def cut(rows: Sequence[T], limit: int | None, position: Callable[[T], int]
        ) -> tuple[list[T], int | None]:
    """The first ``limit`` of ``rows`` (read as ``limit + 1``) and the position of the last
    of them when more follow (``None`` on the last page, or with no limit)."""
    if limit is None or len(rows) <= limit:
        return list(rows), None
    shown = list(rows[:limit])
    return shown, position(shown[-1])


def since(cursor: int) -> int:
    """The id after which a page starts: the cursor, or the largest id there can be when the
    cursor lies beyond it (an empty page, never a database's integer overflow)."""
    return min(cursor, LAST_ID)
