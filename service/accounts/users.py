"""Users: create, list, change, and check a password, slowing and limiting guesses.

Passwords are hashed with Argon2id (argon2-cffi's recommended parameters); the password itself
is never stored or logged. Failed sign-ins are recorded per email address in the database (so
every worker process and machine sees them): after :data:`FREE_FAILURES` failures in
:data:`WINDOW` each further attempt must wait twice as long as the last (1 s, 2 s, 4 s, ...),
and after :data:`MAX_FAILURES` the address is refused until the oldest failure leaves the
window. Unknown addresses are checked against a dummy hash, so timing does not tell them apart.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.accounts.errors import AccountInvalid, SignInRefused, UnknownAccount
from service.ledger import audit
from service.ledger.tables import SignInFailure, User
from service.ledger.tokens import ROLES

__all__ = [
    "FREE_FAILURES",
    "MAX_FAILURES",
    "ROLES",
    "WINDOW",
    "authenticate",
    "create_user",
    "find_user",
    "list_users",
    "new_password",
    "update_user",
]

#: Failed sign-ins within this window count against an address.
WINDOW = timedelta(minutes=15)
#: Failures allowed without delay.
FREE_FAILURES = 3
#: Failures after which the address is refused until the window moves on.
MAX_FAILURES = 10
#: The shortest password accepted.
MIN_PASSWORD = 12

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("not a password anyone has: evens out the timing")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def new_password() -> str:
    """A one-time password: 20 random URL-safe characters (about 120 bits)."""
    return secrets.token_urlsafe(15)


def _check(email: str, name: str, role: str) -> tuple[str, str]:
    email = email.strip().lower()
    if not _EMAIL.fullmatch(email) or len(email) > 320:
        raise AccountInvalid("Enter an email address in the correct format, like "
                             "name@example.org", "email")
    name = name.strip()
    if not name or len(name) > 200:
        raise AccountInvalid("Enter the person's name (at most 200 characters)", "name")
    if role not in ROLES:
        raise AccountInvalid(f"Choose a role: {', '.join(ROLES)}", "role")
    return email, name


def _row(user: User) -> dict[str, object]:
    return {"email": user.email, "name": user.name, "role": user.role, "active": user.active}


def create_user(session: Session, email: str, name: str, role: str, actor: str,
                password: str | None = None) -> tuple[User, str]:
    """Create an account and return it with its password: the one given, or a new one-time
    password (shown once; only its Argon2 hash is kept).

    Raises:
        AccountInvalid: a malformed email, name or role, a short password, or an email that
            already has an account.
    """
    email, name = _check(email, name, role)
    if password is None:
        password = new_password()
    elif len(password) < MIN_PASSWORD:
        raise AccountInvalid(f"The password must be at least {MIN_PASSWORD} characters",
                             "password")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountInvalid(f"{email} already has an account", "email")
    user = User(email=email, name=name, role=role, password_hash=_hasher.hash(password),
                active=True, created_at=audit.now())
    session.add(user)
    session.flush()
    audit.record(session, actor, "create-user", "user", user.id, None, _row(user))
    return user, password


def find_user(session: Session, user_id: int) -> User:
    """The account ``user_id``.

    Raises:
        UnknownAccount: if there is none.
    """
    user = session.get(User, user_id)
    if user is None:
        raise UnknownAccount(f"no account {user_id}")
    return user


def list_users(session: Session) -> list[User]:
    """Every account, by email address."""
    return list(session.scalars(select(User).order_by(User.email)))


def update_user(session: Session, user: User, role: str, active: bool, actor: str) -> User:
    """Change an account's role or disable / enable it (a disabled account cannot sign in and
    its sessions end at once)."""
    _check(user.email, user.name, role)
    before = _row(user)
    user.role, user.active = role, active
    if not active:
        from service.accounts.sessions import end_sessions_of

        end_sessions_of(session, user)
    audit.record(session, actor, "update-user", "user", user.id, before, _row(user))
    return user


def _wait(failures: list[datetime], now: datetime) -> int:
    """Seconds until the next attempt is allowed, given the recent failures (oldest first)."""
    if len(failures) >= MAX_FAILURES:
        return max(1, int((failures[0] + WINDOW - now).total_seconds()) + 1)
    if len(failures) < FREE_FAILURES:
        return 0
    delay = timedelta(seconds=2 ** (len(failures) - FREE_FAILURES))
    return max(0, int((failures[-1] + delay - now).total_seconds() + 0.999))


def authenticate(session: Session, email: str, password: str,
                 now: datetime | None = None) -> User:
    """The active account with this email and password. The caller commits (a failure is
    recorded, so the caller must commit when this raises too).

    Raises:
        SignInRefused: wrong email or password, or a disabled account (the same message for
            all three); or too many recent failures (with ``retry_after``).
    """
    now = now or audit.now()
    email = email.strip().lower()[:320]
    session.execute(delete(SignInFailure).where(SignInFailure.at < now - WINDOW))
    failures = list(session.scalars(select(SignInFailure.at).where(
        SignInFailure.email == email).order_by(SignInFailure.at)))
    wait = _wait(failures, now)
    if wait:
        raise SignInRefused(f"Too many failed attempts to sign in as this user: wait "
                            f"{_duration(wait)} and try again", retry_after=wait)
    user = session.scalar(select(User).where(User.email == email))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY, password)
        matched = user is not None and user.active
    except (VerificationError, InvalidHashError):
        matched = False
    if not matched or user is None:
        session.add(SignInFailure(email=email, at=now))
        raise SignInRefused("Enter a correct email address and password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.execute(delete(SignInFailure).where(SignInFailure.email == email))
    return user


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def failure_count(session: Session, email: str) -> int:
    """How many failed sign-ins are on record for ``email`` (for tests and the audit page)."""
    return int(session.scalar(select(func.count()).select_from(SignInFailure).where(
        SignInFailure.email == email.strip().lower())) or 0)
