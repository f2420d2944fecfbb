"""What a request works with: the ruleset in use and the ledger's session, both kept by the
app (``app.extensions``), so no module needs to import the app factory."""

from __future__ import annotations

import flask
from sqlalchemy.orm import Session

import rules
from service.ledger.database import Database

__all__ = ["current_ruleset", "database", "ledger_session", "reads_only"]


def database() -> Database:
    """The ledger database of the running app."""
    found: Database = flask.current_app.extensions["apportion.db"]
    return found


def ledger_session() -> Session:
    """This request's ledger session (closed, and rolled back if uncommitted, at teardown).

    A request that only reads gets a read-only session: on SQLite it takes no write lock, so
    it never waits for a billing run or another request (a reader sees the last committed
    state). See :func:`reads_only`.
    """
    if "ledger_session" not in flask.g:
        flask.g.ledger_session = database().session(read_only=reads_only())
        flask.g.ledger_session.info["credential"] = _credential
    session: Session = flask.g.ledger_session
    return session


def reads_only() -> bool:
    """Whether this request cannot write: a GET or HEAD of the JSON API with a bearer token.

    (A request signed in with the web app's session cookie writes when it uses the session:
    it is kept alive, or ended when idle. No API GET writes anything else.)
    """
    request = flask.request
    return (request.method in ("GET", "HEAD") and request.path.startswith("/api/")
            and request.headers.get("Authorization", "")[:7].lower() == "bearer ")


def _credential() -> str | None:
    """The id of whoever acts in this request, for the audit log: the bearer token's, or the
    signed-in account's (``token:7``, ``user:3``)."""
    found = flask.g.get("credential")
    if found is None and flask.g.get("user") is not None:
        found = f"user:{flask.g.user.id}"
    return None if found is None else str(found)


def current_ruleset() -> rules.Ruleset:
    """Return the ruleset the running app answers from."""
    ruleset: rules.Ruleset = flask.current_app.extensions["apportion.ruleset"]
    return ruleset
