"""Errors raised by the rules layer.

Each carries ``field``: the path of the request field it concerns (``"district"``,
``"costs.1.item"``), so the service can report it without guessing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "NotCovered",
    "RequestInvalid",
    "RulesError",
    "RulesetInvalid",
    "UnknownId",
]


class RulesError(ValueError):
    """Base class of every error raised by :mod:`rules`.

    Attributes:
        field: the request field the error concerns, or ``None``.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class UnknownId(RulesError):
    """An id that names nothing in the ruleset; the message lists the known alternatives."""

    def __init__(self, what: str, given: str, known: Iterable[str], *, field: str | None = None):
        choices = sorted(known)
        shown = ", ".join(choices[:40]) + (" ..." if len(choices) > 40 else "")
        super().__init__(f"unknown {what} {given!r}; known: {shown or 'none'}", field=field)
        self.what = what
        self.given = given
        self.known = choices


class NotCovered(RulesError):
    """The request falls outside what the rules cover (date, district, health body, item)."""


class RequestInvalid(RulesError):
    """A request is well-formed but inconsistent (e.g. an arrangement needing a date not given)."""


class RulesetInvalid(RulesError):
    """A ruleset failed validation; ``problems`` lists every ``(entry path, message)``."""

    def __init__(self, problems: Sequence[tuple[str, str]]):
        self.problems = list(problems)
        lines = "\n".join(f"  {path}: {message}" for path, message in self.problems)
        super().__init__(f"the ruleset has {len(self.problems)} problem(s):\n{lines}")
