"""What can go wrong with accounts, in the words of the people using them (no HTTP status:
the web pages, the API and the CLI each say it their own way)."""

from __future__ import annotations

__all__ = ["AccountInvalid", "SignInRefused", "UnknownAccount"]


class AccountInvalid(Exception):
    """An account cannot be created or changed as asked; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


class UnknownAccount(Exception):
    """No account has that id."""


class SignInRefused(Exception):
    """A sign-in was refused: wrong email or password (never saying which), a disabled
    account, or too many failed attempts (``retry_after`` seconds until the next is allowed)."""

    def __init__(self, message: str, retry_after: int = 0):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
