"""JSON in and out: strict parsing of request bodies (size, depth, one schema each) and
Flask's JSON through orjson."""

from __future__ import annotations

import json
import math
from typing import Any

import flask
import marshmallow as ma
import orjson
from flask.json.provider import JSONProvider

from service.http.hardening import BODY_KEY
from service.http.problems import Rejected
from service.wire.loading import loader

__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "OrjsonProvider", "json_body", "parse_json", "unstorable"]

#: Requests larger than this are refused with 413 (override with APPORTION_MAX_BODY_BYTES).
MAX_BODY_BYTES = 1024 * 1024
#: JSON nested deeper than this is refused with 400.
MAX_DEPTH = 32


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


class OrjsonProvider(JSONProvider):
    """Flask's JSON through orjson: strict (no NaN, no Infinity) and several times faster."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> flask.Response:
        obj = self._prepare_response_obj(args, kwargs)
        return flask.Response(orjson.dumps(obj), mimetype="application/json")


class _OutOfRange:
    """A JSON number too large for a double (``1e999``): refused by field, not as malformed."""

    def __init__(self, text: str):
        self.text = text


def _number(text: str) -> float | _OutOfRange:
    value = float(text)
    return value if math.isfinite(value) else _OutOfRange(text)


def _constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def parse_json(raw: bytes) -> Any:
    """Parse JSON strictly; numbers beyond a double's range come back as markers for
    :func:`unstorable` to name (orjson refuses them outright, so the standard library, told to
    mark them, reads such a body).

    Raises:
        Rejected: 400 when it is not JSON or is nested more than :data:`MAX_DEPTH` deep.
    """
    return _parse(raw)[0]


def _parse(raw: bytes) -> tuple[Any, bool]:
    """The parsed body, and whether orjson read it (then it holds no out-of-range number and
    no lone surrogate: orjson refuses both)."""
    by_orjson = True
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        by_orjson = False
        try:
            data = json.loads(raw, parse_float=_number, parse_constant=_constant)
        except (ValueError, RecursionError, UnicodeDecodeError):
            raise Rejected(400, f"the body is not valid JSON: {error}"[:300]) from None
    except RecursionError:
        raise Rejected(400, f"the JSON is nested more than {MAX_DEPTH} deep") from None
    # Each level of nesting opens a bracket: a body with few brackets cannot be too deep.
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and _depth(data) > MAX_DEPTH:
        raise Rejected(400, f"the JSON is nested more than {MAX_DEPTH} deep")
    return data, by_orjson


def _bad_text(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)


def unstorable(data: Any) -> dict[str, list[str]]:
    """Field paths of values no database column can hold: NUL characters and lone
    surrogates in strings (or keys), numbers past a double's range."""
    found: dict[str, list[str]] = {}
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, path = stack.pop()
        here = path or "body"
        if isinstance(node, dict):
            for key, value in node.items():
                sub = f"{path}.{key}" if path else str(key)
                if _bad_text(key):
                    found.setdefault(here, []).append(
                        "a key holds a NUL character or a lone surrogate")
                else:
                    stack.append((value, sub))
        elif isinstance(node, list):
            stack.extend((value, f"{path}.{i}" if path else str(i))
                         for i, value in enumerate(node))
        elif isinstance(node, str) and _bad_text(node):
            found.setdefault(here, []).append(
                "text cannot hold NUL characters or lone surrogates")
        elif isinstance(node, _OutOfRange):
            found.setdefault(here, []).append(
                f"the number {node.text[:30]} is out of range (money is a decimal string "
                "such as \"1100.00\", never a JSON number)")
    return found


def json_body(schema: ma.Schema) -> Any:
    """Parse the request's JSON body and load it with ``schema`` (through its compiled
    :func:`~service.wire.loading.loader`: the same validation, faster).

    Raises:
        Rejected: 415 if the body is not JSON, 400 if it cannot be parsed safely (malformed,
            nested deeper than :data:`MAX_DEPTH`), 422 naming each invalid field (including
            text a database cannot store and numbers out of range); bodies past the size
            limit never get here (413, :class:`service.http.hardening.BodyBuffer`).
    """
    if not flask.request.is_json:
        raise Rejected(415, "send the body as application/json")
    request = flask.request
    buffered = request.environ.get(BODY_KEY)  # read whole by BodyBuffer: no second copy
    raw = buffered if buffered is not None else request.get_data(cache=True)
    data, by_orjson = _parse(raw)
    # A NUL can reach a string only as a \u escape (JSON refuses raw control characters), and
    # what orjson read holds no lone surrogate and no out-of-range number: most bodies need
    # no walk.
    if not by_orjson or b"\\u" in raw:
        refused = unstorable(data)
        if refused:
            raise Rejected.invalid(refused)
    try:
        return loader(schema)(data)
    except ma.ValidationError as error:
        raise Rejected.invalid(error.messages) from None
