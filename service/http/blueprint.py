"""flask-smorest's Api and Blueprint, adapted: strict query strings, problem+json for every
HTTP error, and helpers documenting JSON bodies, bearer tokens and refusals."""

from __future__ import annotations

from typing import Any

import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from service.http import problems as problem_responses
from service.http.problems import ProblemSchema

__all__ = ["Api", "Blueprint", "problems"]


class Parser(FlaskParser):
    """webargs' parser (used for query strings), refusing unknown parameters: the schemas say
    so, and webargs would otherwise ignore unknown query parameters."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {}  # noqa: RUF012


def problems(*codes: tuple[int, str]) -> dict[str, Any]:
    """OpenAPI responses documenting problem+json answers."""
    content = {"application/problem+json": {"schema": ProblemSchema}}
    return {str(code): {"description": text, "content": content} for code, text in codes}


def _in_place(decorator: Any) -> Any:
    """Apply a flask-smorest decorator that only documents, keeping its documentation but not
    its wrapper: each wrapper costs a call and a coroutine check on every request."""

    def apply(func: Any) -> Any:
        func._apidoc = decorator(func)._apidoc
        return func

    return apply


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint: strict query parsing, and JSON bodies documented here and
    loaded by :func:`service.http.bodies.json_body` (cheaper than webargs, and safe against
    hostile JSON). Decorators that only document (``doc``, ``alt_response``) add no wrapper."""

    ARGUMENTS_PARSER = Parser()

    @staticmethod
    def doc(**kwargs: Any) -> Any:
        return _in_place(flask_smorest.Blueprint.doc(**kwargs))

    def alt_response(self, *args: Any, **kwargs: Any) -> Any:
        return _in_place(super().alt_response(*args, **kwargs))

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


class Api(flask_smorest.Api):
    """flask-smorest's Api answering every HTTP error as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        return problem_responses.problem_from_http(error)
