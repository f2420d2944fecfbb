"""What a request works with: the ruleset in use and the ledger's session, both kept by the
app (``app.extensions``), so no module needs to import the app factory."""

from __future__ import annotations

import flask
from sqlalchemy.orm import Session

import rules
from service.ledger.database import Database

__all__ = ["current_ruleset", "database", "ledger_session"]


def database() -> Database:
    """The ledger database of the running app."""
    found: Database = flask.current_app.extensions["apportion.db"]
    return found


def ledger_session() -> Session:
    """This request's ledger session (closed, and rolled back if uncommitted, at teardown)."""
    if "ledger_session" not in flask.g:
        flask.g.ledger_session = database().session()
        flask.g.ledger_session.info["credential"] = _credential
    session: Session = flask.g.ledger_session
    return session


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
