"""A page of a list read from the ledger: keyset paging on a stable, indexed order.

A list asks for ``limit + 1`` rows after the cursor's position (the id of the last row of the
previous page) in id order, so each page costs the same whatever its depth, and knows from the
extra row whether another page follows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs
from sqlalchemy import ColumnElement, Integer, Select, bindparam
from sqlalchemy.orm import QueryableAttribute

__all__ = ["LAST_ID", "Page", "bound", "cut", "keyset", "since"]

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


def bound(cursor: int | None, limit: int | None, **filters: Any) -> dict[str, Any]:
    """The bound parameters of a page's query (:func:`keyset`): the ``filters`` given (not
    ``None`` nor empty), the cursor's position and ``limit + 1`` when given."""
    given = {name: value for name, value in filters.items() if value is not None and value != ""}
    if cursor is not None:
        given["cursor"] = since(cursor)
    if limit is not None:
        given["limit"] = limit + 1
    return given


def keyset(query: Select[Any], conditions: Mapping[str, ColumnElement[bool]],
           given: Collection[str], position: QueryableAttribute[int]) -> Select[Any]:
    """``query`` as a page: with the ``conditions`` named in ``given`` (each compares with a
    bound parameter of its name), after the bound ``cursor`` in ``position`` order, at most
    the bound ``limit`` rows. Built once per combination of names, a page's query is compiled
    once and reused, whatever the values."""
    for name, condition in conditions.items():
        if name in given:
            query = query.where(condition)
    if "cursor" in given:
        query = query.where(position > bindparam("cursor"))
    query = query.order_by(position)
    if "limit" in given:
        query = query.limit(bindparam("limit", type_=Integer))
    return query
