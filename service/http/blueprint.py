"""flask-smorest's Api and Blueprint, adapted: strict query strings, problem+json for every
HTTP error, and helpers documenting JSON bodies, bearer tokens and refusals."""

from __future__ import annotations

import http
from typing import Any

import flask_smorest
import marshmallow as ma
from flask_smorest.utils import prepare_response
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from service.http import problems as problem_responses
from service.http.problems import PROBLEM_JSON, ProblemSchema

__all__ = ["XLSX", "Api", "Blueprint", "problems"]

#: The XLSX media type.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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

    def route(self, rule: str, *, parameters: Any = None, tags: Any = None,
              **options: Any) -> Any:
        """flask-smorest's route; one with an id in its path also documents the 404 of an id
        that names nothing (or that its pattern refuses), unless the view documents its own."""
        register = super().route(rule, parameters=parameters, tags=tags, **options)
        if "<" not in rule:
            return register

        def decorate(view: Any) -> Any:
            documented = getattr(view, "_apidoc", {}).get("manual_doc", {}).get("responses", {})
            if "404" not in documented:
                view = self.doc(responses=problems(
                    (404, "Nothing has the id given in the path")))(view)
            return register(view)
        return decorate

    def alt_response(self, *args: Any, **kwargs: Any) -> Any:
        return _in_place(super().alt_response(*args, **kwargs))

    def json_body(self, schema: ma.Schema, description: str = "") -> Any:
        """Document ``schema`` as the operation's JSON body and its refusals (400, 413, 422)."""
        return self.doc(
            requestBody={"required": True, "description": description,
                         "content": {"application/json": {"schema": schema}}},
            responses=problems((400, "Malformed JSON"), (413, "Body too large"),
                               (415, "Not JSON"), (422, "Invalid request: errors name each field")))

    def exports(self, what: str) -> Any:
        """Document the CSV and XLSX forms of an operation's 200 answer (``format=``)."""
        description = f"{what}: JSON, or CSV or XLSX with format="

        def decorate(view: Any) -> Any:
            view = self.alt_response(200, content_type="text/csv", description=description,
                                     schema={"type": "string"})(view)
            return self.alt_response(200, content_type=XLSX, description=description,
                                     schema={"type": "string", "format": "binary"})(view)
        return decorate

    def guarded(self, role: str) -> Any:
        """Document that the operation needs a bearer token with ``role`` (401, 403)."""
        return self.doc(security=[{"bearer": []}], description=f"Needs the {role} role.",
                        responses=problems((401, "No valid bearer token"),
                                           (403, f"The token's role is below {role}")))


class Api(flask_smorest.Api):
    """flask-smorest's Api answering every HTTP error as problem+json, and documenting every
    error response (the ``default`` of each operation included) as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not 100 <= status < 200 and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default: dict[str, Any] = {"description": "A refusal (problem+json): 400 malformed, "
                                   "401/403 authentication, 404 unknown id, 405 method, "
                                   "409 conflict, 413 too large, 415 not JSON, 422 invalid",
                                   "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Any:
        return problem_responses.problem_from_http(error)
