"""The Flask application factory: configuration, the ruleset in use, the API and its docs."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import flask
import flask_smorest
import marshmallow as ma
import orjson
from flask import Flask, send_from_directory
from flask.json.provider import JSONProvider
from sqlalchemy.orm import Session
from swagger_ui_bundle import swagger_ui_path
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

import allocations
import rules
from service import errors, schemas
from service.database import Database, default_url

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "create_app",
    "current_ruleset",
    "database",
    "json_body",
    "ledger_session",
]

#: Requests larger than this are refused with 413 (override with APPORTION_MAX_BODY_BYTES).
MAX_BODY_BYTES = 1024 * 1024
#: JSON nested deeper than this is refused with 400.
MAX_DEPTH = 32

_log = logging.getLogger("apportion")


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)
    return deepest


class Parser(FlaskParser):
    """webargs' parser (used for query strings), refusing unknown parameters: the schemas say
    so, and webargs would otherwise ignore unknown query parameters."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {}  # noqa: RUF012


class OrjsonProvider(JSONProvider):
    """Flask's JSON through orjson: strict (no NaN, no Infinity) and several times faster."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> flask.Response:
        obj = self._prepare_response_obj(args, kwargs)
        return flask.Response(orjson.dumps(obj), mimetype="application/json")


def json_body(schema: ma.Schema) -> Any:
    """Parse the request's JSON body and load it with ``schema``.

    Raises:
        Rejected: 415 if the body is not JSON, 400 if it cannot be parsed safely (malformed,
            nested deeper than :data:`MAX_DEPTH`, numbers too long), 422 naming each invalid
            field; werkzeug raises 413 past ``MAX_CONTENT_LENGTH``.
    """
    if not flask.request.is_json:
        raise errors.Rejected(415, "send the body as application/json")
    try:
        data = orjson.loads(flask.request.get_data(cache=True))
    except (orjson.JSONDecodeError, RecursionError) as error:
        raise errors.Rejected(400, f"the body is not valid JSON: {error}"[:300]) from None
    if _depth(data) > MAX_DEPTH:
        raise errors.Rejected(400, f"the JSON is nested more than {MAX_DEPTH} deep")
    try:
        return schema.load(data)
    except ma.ValidationError as error:
        raise errors.Rejected.invalid(error.messages) from None


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint: strict query parsing, and JSON bodies documented here and
    loaded by :func:`json_body` (cheaper than webargs, and safe against hostile JSON)."""

    ARGUMENTS_PARSER = Parser()

    def json_body(self, schema: ma.Schema, description: str = "") -> Any:
        """Document ``schema`` as the operation's JSON body and its refusals (400, 413, 422)."""
        return self.doc(
            requestBody={"required": True, "description": description,
                         "content": {"application/json": {"schema": schema}}},
            responses=problems((400, "Malformed JSON"), (413, "Body too large"),
                               (415, "Not JSON"), (422, "Invalid request: errors name each field")))

    def guarded(self, role: str) -> Any:
        """Document that the operation needs a bearer token with ``role`` (401, 403)."""
        return self.doc(security=[{"bearer": []}], description=f"Needs the {role} role.",
                        responses=problems((401, "No valid bearer token"),
                                           (403, f"The token's role is below {role}")))


def problems(*codes: tuple[int, str]) -> dict[str, Any]:
    """OpenAPI responses documenting problem+json answers."""
    content = {"application/problem+json": {"schema": schemas.ProblemSchema}}
    return {str(code): {"description": text, "content": content} for code, text in codes}


class Api(flask_smorest.Api):
    """flask-smorest's Api answering every HTTP error as problem+json."""

    ERROR_SCHEMA = schemas.ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        return errors.problem_from_http(error)


def database() -> Database:
    """The ledger database of the running app."""
    found: Database = flask.current_app.extensions["apportion.db"]
    return found


def ledger_session() -> Session:
    """This request's ledger session (closed, and rolled back if uncommitted, at teardown)."""
    if "ledger_session" not in flask.g:
        flask.g.ledger_session = database().session()
    session: Session = flask.g.ledger_session
    return session


def current_ruleset() -> rules.Ruleset:
    """Return the ruleset the running app answers from."""
    ruleset: rules.Ruleset = flask.current_app.extensions["apportion.ruleset"]
    return ruleset


def _load_ruleset(path: str | None) -> tuple[rules.Ruleset, str]:
    if path:
        return rules.load(path), str(Path(path).resolve())
    return rules.default_ruleset(), "embedded"


def create_app(config: dict[str, Any] | None = None, ruleset: str | None = None) -> Flask:
    """Create the app.

    Args:
        config: Flask settings overriding the defaults.
        ruleset: a ruleset file; default ``APPORTION_RULESET``, else the embedded default one.

    Raises:
        RulesetInvalid: if the ruleset file is invalid (every problem listed).
    """
    app = Flask(__name__)
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
    loaded, origin = _load_ruleset(ruleset or os.environ.get("APPORTION_RULESET"))
    app.extensions["apportion.ruleset"] = loaded
    app.extensions["apportion.ruleset_origin"] = origin
    url = (app.config.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
           or default_url(app.instance_path))
    ledger = Database(url)
    ledger.migrate()
    app.extensions["apportion.db"] = ledger

    @app.teardown_appcontext
    def close_session(_: BaseException | None) -> None:
        session = flask.g.pop("ledger_session", None)
        if session is not None:
            session.close()

    api = Api(app, spec_kwargs={"info": {"description": (
        "Exact cost apportionment and grant allocation for Community Safety Partnerships. "
        "Money is a decimal string with at most two places; errors are "
        "application/problem+json.")}})
    api.spec.components.schema("InlineFund", schema=schemas.InlineFundSchema)
    api.spec.components.schema("Change", schema=schemas.ChangeSchema)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})

    from service.calculators import blp as calculators
    from service.documents_api import blp as documents_api
    from service.ledger_api import blp as ledger_api
    from service.public_rules import blp as public_rules
    from service.reports_api import blp as reports_api
    from service.reports_api import pages as report_pages

    api.register_blueprint(public_rules)
    api.register_blueprint(calculators)
    api.register_blueprint(ledger_api)
    api.register_blueprint(reports_api)
    api.register_blueprint(documents_api)
    app.register_blueprint(report_pages)

    @app.get("/api/docs/assets/<path:filename>")
    def docs_assets(filename: str) -> flask.Response:
        return send_from_directory(swagger_ui_path, filename)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        ruleset_in_use = current_ruleset()
        return {"status": "ok", "ruleset": {
            "id": ruleset_in_use.id, "name": ruleset_in_use.name,
            "file": app.extensions["apportion.ruleset_origin"]}}

    @app.errorhandler(errors.Rejected)
    def rejected(error: errors.Rejected) -> flask.Response:
        response = errors.problem(error.status, error.title, error.detail, error.errors)
        if error.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.errorhandler(rules.RulesError)
    def rules_error(error: rules.RulesError) -> flask.Response:
        return errors.problem_from_domain(error)

    @app.errorhandler(allocations.AllocationError)
    def allocation_error(error: allocations.AllocationError) -> flask.Response:
        return errors.problem_from_domain(error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> flask.Response:
        if isinstance(error, HTTPException):
            return errors.problem_from_http(error)
        _log.exception("unexpected error")
        return errors.problem(500, "Internal Server Error",
                              "an unexpected error occurred; it has been logged")

    return app
