"""The Flask application class the factory makes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

__all__ = ["Application"]


class Application(Flask):
    """Flask, with each hook's and view's sync-or-async check made once per function.

    Flask asks ``inspect.iscoroutinefunction`` of every request hook and of the view on every
    request (:meth:`flask.Flask.ensure_sync`); none of ours is a coroutine, and a function
    never changes kind, so the answer is kept (a bound method is the same key each time it is
    looked up, so the table grows only with the functions registered).
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        found = self._synced.get(func)
        if found is None:
            found = self._synced[func] = super().ensure_sync(func)
        return found
