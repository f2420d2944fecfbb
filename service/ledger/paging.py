"""A page of a list read from the ledger: keyset paging on a stable, indexed order.

A list asks for ``limit + 1`` rows after the cursor's position (the id of the last row of the
previous page) in id order, so each page costs the same whatever its depth, and knows from the
extra row whether another page follows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import attrs

__all__ = ["Page", "cut"]

T = TypeVar("T")


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
