"""One error shape for every failure: RFC 9457 ``application/problem+json``.

``{"type", "title", "status", "detail", "errors": {field path: [messages]}}``. Domain errors
(:mod:`allocations`, :mod:`rules`, :mod:`service.ledger`) carry no status: they map to statuses
here and nowhere else (unknown ids in a path 404, conflicts 409, everything invalid 422).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import marshmallow as ma
import orjson
from flask import Response
from marshmallow import fields
from werkzeug.exceptions import HTTPException

import allocations
import rules
from service.ledger import errors as ledger_errors
from service.wire.fields import flatten

__all__ = [
    "PROBLEM_JSON",
    "RETRY_AFTER",
    "ProblemSchema",
    "Rejected",
    "flatten",
    "problem",
    "problem_from_domain",
    "problem_from_http",
]

PROBLEM_JSON = "application/problem+json"
#: Seconds a client should wait before retrying after a 503 (a server we need was unavailable).
RETRY_AFTER = 60

_TYPES = {
    400: "malformed-request", 401: "unauthorised", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 408: "request-timeout", 409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type", 422: "invalid-request", 500: "internal-error",
    503: "unavailable",
}


class ProblemSchema(ma.Schema):
    """The problem+json body (documented in the OpenAPI for every refusal)."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         required=True)


class Rejected(Exception):
    """A request refused at the HTTP boundary with a 4xx: unparseable or invalid body, an
    unknown id in a path, a conflicting retry, authentication and roles."""

    TITLES: ClassVar[dict[int, str]] = {
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
        409: "Conflict", 415: "Unsupported Media Type", 422: "Unprocessable Entity"}

    def __init__(self, status: int, detail: str,
                 errors: Mapping[str, list[str]] | None = None):
        super().__init__(detail)
        self.status = status
        self.title = self.TITLES.get(status, "Error")
        self.detail = detail
        self.errors = dict(errors or {})

    @classmethod
    def invalid(cls, messages: object) -> Rejected:
        """A 422 from marshmallow's nested messages, flattened to field paths."""
        errors = flatten(messages)
        detail = "the request is invalid: " + "; ".join(
            f"{path}: {' '.join(texts)}" for path, texts in list(errors.items())[:5])
        return cls(422, detail, errors)


def problem(status: int, title: str, detail: str,
            errors: Mapping[str, list[str]] | None = None) -> Response:
    """Return a problem+json response."""
    body: dict[str, Any] = {
        "type": f"urn:apportion:problem:{_TYPES.get(status, 'error')}",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": dict(errors or {}),
    }
    return Response(orjson.dumps(body), status=status, mimetype=PROBLEM_JSON)




def problem_from_http(error: HTTPException) -> Response:
    """Map a werkzeug/flask-smorest HTTP error (incl. webargs validation) to a problem."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if isinstance(messages, Mapping) and set(messages) <= {"json", "query", "view_args"}:
        merged: dict[str, Any] = {}
        for part in messages.values():
            if isinstance(part, Mapping):
                merged.update(part)
        messages = merged
    errors = flatten(messages) if messages else {}
    title = error.name
    detail = data.get("message") or error.description or title
    if status == 422 and errors:
        detail = "the request is invalid: " + "; ".join(
            f"{path}: {' '.join(texts)}" for path, texts in list(errors.items())[:5])
    response = problem(status, title, str(detail), errors)
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value  # e.g. Allow on a 405
    return response


def problem_from_domain(error: Exception, path_id: bool = False) -> Response:
    """Map an error from :mod:`rules`, :mod:`allocations` or the ledger to a problem response.

    ``path_id`` is true when the id came from the URL path: an unknown one is then a 404.
    """
    if isinstance(error, ledger_errors.Unavailable):
        # The request was fine; a server it needs was not: retry later, nothing was recorded.
        response = problem(503, "Service Unavailable", error.message)
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response
    if isinstance(error, ledger_errors.LedgerError):
        status = (404 if isinstance(error, ledger_errors.NotFound)
                  else 409 if isinstance(error, ledger_errors.Conflict) else 422)
        title = Rejected.TITLES[status]
        return problem(status, title, error.message,
                       {error.field: [error.message]} if error.field else {})
    if isinstance(error, rules.RulesetInvalid):
        errors: dict[str, list[str]] = {}
        for path, message in error.problems:
            errors.setdefault(path, []).append(message)
        detail = "; ".join(f"{path}: {message}" for path, message in error.problems[:5])
        return problem(422, "Unprocessable Entity", detail, errors)
    if isinstance(error, rules.UnknownId) and path_id:
        return problem(404, "Not Found", error.message)
    if isinstance(error, rules.RulesError):
        field = error.field or "body"
        return problem(422, "Unprocessable Entity", error.message, {field: [error.message]})
    if isinstance(error, allocations.AllocationError):
        return problem(422, "Unprocessable Entity", str(error), {"body": [str(error)]})
    raise error
