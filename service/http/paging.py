"""Pages of a list: at most ``limit`` items after a cursor, and where the next page starts.

A list endpoint loads ``limit`` and ``cursor`` with its query schema (see
:class:`service.wire.requests.Paged`), asks the ledger for ``limit + 1`` items after the
cursor's position (keyset paging on a stable, indexed order: each page costs the same whatever
its depth), and answers the first ``limit`` with ``next``: this request's URL with the cursor
of the last item shown, or null on the last page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlencode

import flask

from service.wire.fields import cursor_text

__all__ = ["next_after", "next_link", "page", "page_link"]

T = TypeVar("T")


def next_link(position: int) -> str:
    """This request's path and query with ``cursor`` set to start after ``position``."""
    query = [(k, v) for k, v in flask.request.args.items(multi=True) if k != "cursor"]
    query.append(("cursor", cursor_text(position)))
    return f"{flask.request.path}?{urlencode(query)}"


def page_link(position: int | None) -> str | None:
    """The next page's link: after ``position`` (the last item shown), or ``None`` when the
    page shown was the last."""
    return None if position is None else next_link(position)


def next_after(last_id: int) -> str:
    """This request's path and query with ``after`` set to ``last_id`` (lists paged by an
    ``after`` id, as the audit log is)."""
    query = [(k, v) for k, v in flask.request.args.items(multi=True) if k != "after"]
    query.append(("after", str(last_id)))
    return f"{flask.request.path}?{urlencode(query)}"


def page(items: Sequence[T], limit: int, position: Callable[[T], int]
         ) -> tuple[list[T], str | None]:
    """The first ``limit`` of ``items`` (fetched as ``limit + 1``) and the link to the next
    page (``None`` when there is no more)."""
    shown = list(items[:limit])
    if len(items) <= limit or not shown:
        return shown, None
    return shown, next_link(position(shown[-1]))
