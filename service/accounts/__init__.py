"""Accounts: the people who sign in to the web app, their passwords and their sessions.

Programs use bearer tokens (``service.auth``); people use an account: an email address, a name,
a role and an Argon2 password hash, and a server-side session once signed in.
"""

from __future__ import annotations

from service.accounts.errors import AccountInvalid, SignInRefused, UnknownAccount
from service.accounts.sessions import IDLE, end_session, find_session, start_session
from service.accounts.users import (
    ROLES,
    authenticate,
    create_user,
    find_user,
    list_users,
    new_password,
    update_user,
)

__all__ = [
    "IDLE",
    "ROLES",
    "AccountInvalid",
    "SignInRefused",
    "UnknownAccount",
    "authenticate",
    "create_user",
    "end_session",
    "find_session",
    "find_user",
    "list_users",
    "new_password",
    "start_session",
    "update_user",
]
