"""URL converters: every id in a path is bounded by its shape, so a value the database cannot
hold (an integer past its range, a NUL byte, an overlong text) never reaches a query: the
route does not match and the answer is a 404. The OpenAPI document states the same bounds."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import BaseConverter, Map, ValidationError

from service.http.blueprint import Api
from service.wire.fields import (
    REFERENCE_MAX_LENGTH,
    REFERENCE_PATTERN,
    REFERENCE_SHAPE,
    is_reference,
)

__all__ = [
    "MAX_ID",
    "FundConverter",
    "IdConverter",
    "ReferenceConverter",
    "SlugConverter",
    "TextConverter",
    "register",
]

#: The largest row id: PostgreSQL's ``integer`` (SQLite's is wider).
MAX_ID = 2**31 - 1


class IdConverter(BaseConverter):
    """A row id: a positive integer no larger than :data:`MAX_ID`."""

    regex = r"[0-9]{1,10}"
    weight = 50

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


class SlugConverter(BaseConverter):
    """An id of the rules or the ledger: letters, digits, ``. _ -``; at most 100 characters."""

    regex = r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"


class FundConverter(SlugConverter):
    """A fund id: a slug other than ``allocate`` (``/funds/allocate`` is the calculator)."""

    regex = r"(?!allocate$)[A-Za-z0-9][A-Za-z0-9._-]{0,99}"


class TextConverter(BaseConverter):
    """Any other path segment (the default): at most 200 characters, no control characters."""

    regex = r"[^/\x00-\x1f\x7f]{1,200}"


class ReferenceConverter(BaseConverter):
    """A case reference as councils write them (:func:`service.wire.fields.Reference`):
    letters, digits, ``/ . _ -`` in parts between single slashes; at most 40 characters. No
    part after the first is a word the case URLs use (``costs``, ``billing``, ``rebill``...),
    so ``/cases/A/costs`` is the costs of case ``A`` and never case ``A/costs``: every URL
    names one route, and a 405 lists the methods of that route only."""

    regex = REFERENCE_SHAPE
    part_isolating = False

    def to_python(self, value: str) -> str:
        if not is_reference(value):
            raise ValidationError()
        return value


def _schema(converter: type[BaseConverter]) -> Any:
    def document(_: BaseConverter) -> dict[str, Any]:
        if converter is IdConverter:
            return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        if converter is ReferenceConverter:
            return {"type": "string", "pattern": REFERENCE_PATTERN,
                    "maxLength": REFERENCE_MAX_LENGTH}
        return {"type": "string", "pattern": f"^{converter.regex}$"}
    return document


def register(app: Flask, api: Api | None = None) -> None:
    """Make ``<id:...>``, ``<slug:...>`` and ``<reference:...>`` available to routes, and make
    the default converter refuse control characters (documented in ``api``'s OpenAPI). Call
    before any blueprint is registered."""
    url_map: Map = app.url_map
    for name, converter in (("id", IdConverter), ("slug", SlugConverter),
                            ("reference", ReferenceConverter), ("fund", FundConverter),
                            ("default", TextConverter),
                            ("string", TextConverter)):
        url_map.converters[name] = converter
        if api is not None:
            api.register_converter(converter, _schema(converter))
