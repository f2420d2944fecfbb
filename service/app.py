"""The Flask application factory: configuration, then the parts wired together.

Nothing imports this module but the entry points (``wsgi.py``, the CLI's server): the parts
reach the ruleset and the ledger through :mod:`service.http.context`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import flask
from flask import Flask, send_from_directory
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import HTTPException

import allocations
import rules
from service import api, pages
from service.grants.opendata import check_prefix
from service.http import converters, hardening, observability, problems
from service.http.application import Application
from service.http.blueprint import Api
from service.http.bodies import MAX_BODY_BYTES, OrjsonProvider
from service.http.context import current_ruleset
from service.ledger import errors as ledger_errors
from service.ledger.database import Database, default_url

__all__ = ["create_app", "instance_path"]

_log = logging.getLogger("apportion")


def _load_ruleset(path: str | None) -> tuple[rules.Ruleset, str]:
    if path:
        return rules.load(path), str(Path(path).resolve())
    return rules.default_ruleset(), "embedded"


def instance_path() -> str:
    """The instance folder (where the embedded SQLite ledger lives by default)."""
    return Flask(__name__).instance_path


def create_app(config: dict[str, Any] | None = None, ruleset: str | None = None) -> Flask:
    """Create the app.

    Args:
        config: Flask settings overriding the defaults.
        ruleset: a ruleset file; default ``APPORTION_RULESET``, else the embedded default one.

    Raises:
        RulesetInvalid: if the ruleset file is invalid (every problem listed).
    """
    app = Application(__name__)
    app.json = OrjsonProvider(app)
    app.config.update(
        API_TITLE="apportion",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",
        MAX_CONTENT_LENGTH=int(os.environ.get("APPORTION_MAX_BODY_BYTES", MAX_BODY_BYTES)),
        JSON_SORT_KEYS=False,
    )
    app.config.update(config or {})
    prefix = app.config.get("OPEN_DATA_PREFIX") or os.environ.get("APPORTION_360GIVING_PREFIX")
    if prefix:
        app.config["OPEN_DATA_PREFIX"] = check_prefix(prefix)
    loaded, origin = _load_ruleset(ruleset or os.environ.get("APPORTION_RULESET"))
    app.extensions["apportion.ruleset"] = loaded
    app.extensions["apportion.ruleset_origin"] = origin
    url = (app.config.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
           or default_url(app.instance_path))
    ledger = Database(url)
    ledger.migrate()
    # Nothing opened here may outlive start-up: a forked worker would share the connection.
    ledger.dispose()
    app.extensions["apportion.db"] = ledger
    hardening.install(app, app.config["MAX_CONTENT_LENGTH"],
                      float(os.environ.get("APPORTION_BODY_TIMEOUT", "30")))
    observability.install(app)

    @app.teardown_appcontext
    def close_session(_: BaseException | None) -> None:
        session = flask.g.pop("ledger_session", None)
        if session is not None:
            session.close()

    json_api = Api(app, spec_kwargs={"info": {"description": (
        "Exact cost apportionment and grant allocation for Community Safety Partnerships. "
        "Money is a decimal string with at most two places; errors are "
        "application/problem+json.")}})
    converters.register(app, json_api)
    api.register(json_api)
    pages.register(app)
    _register_errors(app)

    @app.get("/api/docs/assets/<path:filename>")
    def docs_assets(filename: str) -> flask.Response:
        return send_from_directory(swagger_ui_path, filename)

    @app.get("/api/docs/start.js")
    def docs_start() -> flask.Response:
        # The docs page's start-up script as a file of our own origin (the page's CSP allows
        # no inline script).
        return flask.Response(
            'window.onload = function () { window.ui = SwaggerUIBundle({url: "/api/openapi.json",'
            ' dom_id: "#swagger-ui-container"}); };\n', mimetype="text/javascript")

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        ruleset_in_use = current_ruleset()
        return {"status": "ok", "ruleset": {
            "id": ruleset_in_use.id, "name": ruleset_in_use.name,
            "file": app.extensions["apportion.ruleset_origin"]}}

    return app


def _register_errors(app: Flask) -> None:
    """One error shape: every refusal and every domain error as problem+json."""

    @app.errorhandler(problems.Rejected)
    def rejected(error: problems.Rejected) -> flask.Response:
        response = problems.problem(error.status, error.title, error.detail, error.errors)
        if error.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.errorhandler(rules.RulesError)
    def rules_error(error: rules.RulesError) -> flask.Response:
        return problems.problem_from_domain(error)

    @app.errorhandler(allocations.AllocationError)
    def allocation_error(error: allocations.AllocationError) -> flask.Response:
        return problems.problem_from_domain(error)

    @app.errorhandler(ledger_errors.LedgerError)
    def ledger_error(error: ledger_errors.LedgerError) -> flask.Response:
        return problems.problem_from_domain(error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> flask.Response:
        if isinstance(error, HTTPException):
            return problems.problem_from_http(error)
        _log.exception("unexpected error")
        return problems.problem(500, "Internal Server Error",
                                "an unexpected error occurred; it has been logged")
