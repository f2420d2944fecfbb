"""The ledger's refusals, in the ledger's words. They carry no HTTP status: the API boundary
(:mod:`service.http.problems`) maps them, the CLI prints them, the pages show them on the form.
"""

from __future__ import annotations

__all__ = ["Conflict", "Invalid", "LedgerError", "NotFound", "Unavailable"]


class LedgerError(Exception):
    """A command the ledger refuses; ``field`` names the input at fault, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(LedgerError):
    """The case, cost, document or organisation named does not exist."""


class Conflict(LedgerError):
    """The command clashes with the ledger's state (a reference taken, a document paid)."""


class Invalid(LedgerError):
    """The command's data is valid in shape but not acceptable here (a date out of order)."""


class Unavailable(LedgerError):
    """Something the command needs outside the ledger (the mail server) cannot be used now.
    Nothing was done; the same command may succeed later. Not the request's fault."""
