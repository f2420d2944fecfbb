"""Administration: accounts, bearer tokens, settings, and the audit log."""

from __future__ import annotations

from typing import Any

import flask

from service import accounts
from service.documents import settings as document_settings
from service.http.context import current_ruleset, ledger_session
from service.ledger import audit
from service.ledger import tokens as ledger_tokens
from service.ledger.errors import LedgerError, NotFound
from service.pages.forms import Form, Invalid, load
from service.pages.views.accounting import actor
from service.pages.views.common import blueprint, needs, page, user, write
from service.wire import requests as schemas

_PAGE = 50
ISSUER = schemas.IssuerSchema()


def _users_page(form: Form, status: int = 200, created: dict[str, str] | None = None) -> Any:
    return page("admin_users.html", "Accounts", status, form=form, created=created,
                users=accounts.list_users(ledger_session()), roles=accounts.ROLES)


@blueprint.get("/admin/users")
@needs("admin")
def users() -> Any:
    """Every account, and the form to create one."""
    return _users_page(Form({"role": "viewer"}))


@blueprint.post("/admin/users")
@needs("admin")
def create_user() -> Any:
    """Create an account and show its one-time password, once."""
    form = Form.posted(flask.request.form)
    try:
        user, password = write(lambda s: accounts.create_user(
            s, form.get("email"), form.get("name"), form.get("role"), actor()))
    except accounts.AccountInvalid as error:
        form.refuse(error)
        return _users_page(form, 400)
    return _users_page(Form({"role": "viewer"}), 201,
                       created={"email": user.email, "name": user.name, "password": password})


@blueprint.post("/admin/users/<id:user_id>")
@needs("admin")
def change_user(user_id: int) -> Any:
    """Change an account's role, or disable or enable it."""
    form = Form.posted(flask.request.form)
    form.anchors.update(role=f"role-{user_id}", active=f"active-{user_id}")
    try:
        def run(session: Any) -> Any:
            account = accounts.find_user(session, user_id)
            active = form.get("active", "yes" if account.active else "no") == "yes"
            me = user()
            if me is not None and account.id == me.id and (
                    not active or form.get("role", account.role) != "admin"):
                raise accounts.AccountInvalid(
                    "You cannot disable your own account or remove your own admin role: ask "
                    "another administrator", "role")
            return accounts.update_user(session, account, form.get("role", account.role),
                                        active, actor())
        changed = write(run)
    except accounts.UnknownAccount as error:
        raise NotFound(str(error)) from None
    except accounts.AccountInvalid as error:
        form.refuse(error)
        return _users_page(form, 400)
    flask.flash(f"{changed.email}: {changed.role}, {'active' if changed.active else 'disabled'}",
                "success")
    return flask.redirect(flask.url_for("pages.users"), 303)


def _tokens_page(form: Form, status: int = 200, created: dict[str, str] | None = None
                 ) -> Any:
    return page("admin_tokens.html", "API tokens", status, form=form, created=created,
                roles=ledger_tokens.ROLES, tokens=ledger_tokens.list_tokens(ledger_session()),
                max_days=ledger_tokens.MAX_DAYS)


@blueprint.get("/admin/tokens")
@needs("admin")
def tokens() -> Any:
    """Bearer tokens for programs: every token, the form to create one, revoking."""
    return _tokens_page(Form({"role": "viewer", "days": str(ledger_tokens.DEFAULT_DAYS)}))


@blueprint.post("/admin/tokens")
@needs("admin")
def create_token() -> Any:
    """Create a bearer token and show it, once."""
    form = Form.posted(flask.request.form)
    form.require(name="Enter what the token is for")
    days = form.get("days")
    if not (days.isascii() and days.isdigit()) or len(days) > 5:
        form.error("days", f"Enter how many days the token lives, 1 to {ledger_tokens.MAX_DAYS}")
    try:
        form.check()
        token = write(lambda s: ledger_tokens.create_token(
            s, form.get("name"), form.get("role"), actor(), form.get("owner") or None,
            int(days)))
    except Invalid:
        return _tokens_page(form, 400)
    except LedgerError as error:
        form.refuse(error, default="name")
        return _tokens_page(form, 400)
    return _tokens_page(Form({"role": "viewer", "days": str(ledger_tokens.DEFAULT_DAYS)}), 201,
                        created={"name": form.get("name"), "role": form.get("role"),
                                 "token": token})


@blueprint.post("/admin/tokens/<id:token_id>/revoke")
@needs("admin")
def revoke_token(token_id: int) -> Any:
    """Revoke a token: refused at once from now on."""
    write(lambda s: ledger_tokens.revoke_token(s, token_id, actor()))
    flask.flash(f"Token {token_id} revoked", "success")
    return flask.redirect(flask.url_for("pages.tokens"), 303)


_ISSUER_LABELS = {"name": "Name", "address": "Address", "email": "Email",
                  "telephone": "Telephone", "vat_number": "VAT number",
                  "vat_statement": "VAT statement", "payment_terms_days": "Payment terms",
                  "remittance": "Remittance instructions"}


def _settings_page(form: Form | None = None, status: int = 200) -> Any:
    app = flask.current_app
    issuer = document_settings.issuer(ledger_session())
    if form is None:
        form = Form({k: "" if v is None else str(v) for k, v in issuer.to_dict().items()})
    return page("admin_settings.html", "Settings", status, form=form, ruleset=current_ruleset(),
                ruleset_file=app.extensions["apportion.ruleset_origin"],
                idle=app.config["SESSION_IDLE_MINUTES"])


@blueprint.get("/admin/settings")
@needs("admin")
def settings() -> Any:
    """Who issues the documents (name, address, contact, VAT, payment terms, remittance), and
    what the service runs with."""
    return _settings_page()


@blueprint.post("/admin/settings")
@needs("admin")
def save_settings() -> Any:
    """Replace the issuer settings (audited)."""
    form = Form.posted(flask.request.form)
    form.labels.update(_ISSUER_LABELS)
    form.require(name="Enter the issuer's name", address="Enter the issuer's postal address",
                 email="Enter the email address documents are sent from",
                 telephone="Enter a telephone number",
                 vat_statement="Enter the VAT statement printed on documents",
                 payment_terms_days="Enter the payment terms in days",
                 remittance="Enter how partners should pay")
    terms = form.get("payment_terms_days")
    data: dict[str, Any] = {name: form.get(name) or None if name == "vat_number" else form.get(name)
            for name in _ISSUER_LABELS}
    data["payment_terms_days"] = int(terms) if terms.isdigit() and len(terms) < 6 else terms
    try:
        loaded = load(ISSUER, data, form)
        write(lambda s: document_settings.save_issuer(s, loaded, actor()))
    except Invalid:
        return _settings_page(form, 400)
    flask.flash("Issuer settings saved: new documents use them", "success")
    return flask.redirect(flask.url_for("pages.settings"), 303)


@blueprint.get("/admin/audit")
@needs("admin")
def audit_log() -> Any:
    """The audit log, oldest first, a page at a time."""
    try:
        after = max(0, int(flask.request.args.get("after", "0")))
    except ValueError:
        after = 0
    events = audit.events(ledger_session(), _PAGE + 1, after)
    more = len(events) > _PAGE
    events = events[:_PAGE]
    return page("admin_audit.html", "Audit log", events=events, after=after,
                next_after=events[-1]["id"] if more else None)
