"""One error shape for every failure: RFC 9457 ``application/problem+json``.

``{"type", "title", "status", "detail", "errors": {field path: [messages]}}``. Domain errors map
to statuses here and nowhere else: unknown ids in a path 404, everything invalid 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import orjson
from flask import Response
from werkzeug.exceptions import HTTPException

import allocations
import rules

__all__ = ["PROBLEM_JSON", "Rejected", "flatten", "problem", "problem_from_domain"]

PROBLEM_JSON = "application/problem+json"

_TYPES = {
    400: "malformed-request", 401: "unauthorised", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 409: "conflict", 413: "payload-too-large",
    415: "unsupported-media-type", 422: "invalid-request", 500: "internal-error",
}


class Rejected(Exception):
    """A request refused with a 4xx: unparseable or invalid body, unknown id, conflict, auth."""

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


def flatten(messages: object, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested error messages into ``{"costs.0.amount": [...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key in ("value", "key") and prefix:
                path = prefix
            elif key == "_schema":
                path = prefix or "body"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for sub, texts in flatten(value, path).items():
                flat.setdefault(sub, []).extend(texts)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "body"] = list(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            for sub, texts in flatten(value, f"{prefix}.{index}" if prefix else str(index)
                                      ).items():
                flat.setdefault(sub, []).extend(texts)
    else:
        flat[prefix or "body"] = [str(messages)]
    return flat


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
    return problem(status, title, str(detail), errors)


def problem_from_domain(error: Exception, path_id: bool = False) -> Response:
    """Map an error from :mod:`rules` or :mod:`allocations` to a problem response.

    ``path_id`` is true when the id came from the URL path: an unknown one is then a 404.
    """
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
