"""What every request and answer goes through, whatever the view.

* :class:`BodyBuffer` (WSGI middleware) reads a request's body completely, bounded in size
  (413 whether or not it is chunked) and in time (408), before the app sees the request: no
  view, and so no database transaction or write lock, ever waits for a slow client.
* Request ids: ``X-Request-Id`` is honoured when it is a sane token, else one is made; it is
  echoed on the answer and written in every log line of the request.
* Query strings and header values the app reads are refused (400 / 422) when they hold
  control characters, before any of them can reach the database or a header.
* Security headers on every answer: a Content-Security-Policy that allows only the app's own
  origin (inline ``<style>``/``<script>`` blocks the app itself wrote are allowed by hash;
  the web app's pages set their own, with a nonce),
  ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``, and ``Cache-Control:
  no-store`` on everything but static assets.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import flask
from flask import Flask

from service.http.problems import Rejected, problem

__all__ = ["BodyBuffer", "install", "request_id"]

#: An ``X-Request-Id`` we accept from a client or proxy; anything else is replaced.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")
#: A header value the app uses (Idempotency-Key): visible ASCII only.
HEADER_TOKEN = re.compile(r"[\x21-\x7e]{1,200}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_INLINE = re.compile(rb"<(style|script)(?![^>]*\bsrc=)[^>]*>(.*?)</\1>", re.DOTALL | re.I)
#: Static assets (never ledger data): cacheable.
_CACHEABLE = ("/api/docs/assets/", "/assets/")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


#: Where :class:`BodyBuffer` leaves the whole body (bytes) in the WSGI environ.
BODY_KEY = "apportion.body"


class BodyBuffer:
    """WSGI middleware: the body is read whole (at most ``limit`` bytes, within ``timeout``
    seconds) before the wrapped app runs, then handed to it from memory."""

    def __init__(self, app: WsgiApp, limit: int, timeout: float):
        self.app = app
        self.limit = limit
        self.timeout = timeout

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        declared = environ.get("CONTENT_LENGTH") or ""
        if (not declared and not chunked) or (chunked and not environ.get(
                "wsgi.input_terminated")):
            return self.app(environ, start_response)  # no body, or one only the app can end
        if declared and not chunked:
            if not declared.isdigit():
                return _refuse(environ, start_response, 400, "Content-Length is not a number")
            if int(declared) > self.limit:
                return self._too_large(environ, start_response)
        try:
            body = self._read(environ, None if chunked else int(declared))
        except _TooLarge:
            return self._too_large(environ, start_response)
        except TimeoutError:
            return _refuse(environ, start_response, 408,
                           f"the request body did not arrive within {self.timeout:g} s")
        except OSError:
            return _refuse(environ, start_response, 400, "the request body was cut short")
        environ["wsgi.input"] = io.BytesIO(body)
        environ[BODY_KEY] = body
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input_terminated"] = False
        return self.app(environ, start_response)

    def _too_large(self, environ: dict[str, Any], start_response: StartResponse
                   ) -> Iterable[bytes]:
        return _refuse(environ, start_response, 413,
                       f"the request body is larger than {self.limit} bytes")

    def _read(self, environ: dict[str, Any], length: int | None) -> bytes:
        """Read ``length`` bytes (a Content-Length), or to the end of a chunked body (the
        server marks its input as terminated); never past the limit."""
        stream = environ["wsgi.input"]
        sock: socket.socket | None = environ.get("gunicorn.socket")
        previous = sock.gettimeout() if sock is not None else None
        deadline = time.monotonic() + self.timeout
        parts: list[bytes] = []
        size = 0
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                if sock is not None:
                    sock.settimeout(remaining)
                wanted = self.limit + 1 - size if length is None else length - size
                if wanted <= 0:
                    return b"".join(parts)
                part = stream.read(min(65536, wanted))
                if not part:
                    if length is not None:  # the connection ended before the body did
                        raise OSError("the body is shorter than its Content-Length")
                    return b"".join(parts)
                parts.append(part)
                size += len(part)
                if size > self.limit:
                    raise _TooLarge
        except socket.timeout as error:  # noqa: UP041 (gunicorn raises the alias)
            raise TimeoutError from error
        finally:
            if sock is not None:
                sock.settimeout(previous)


class _TooLarge(Exception):
    pass


def _refuse(environ: dict[str, Any], start_response: StartResponse, status: int,
            detail: str) -> Iterable[bytes]:
    titles = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large"}
    response = problem(status, titles[status], detail)
    response.headers["Connection"] = "close"
    given = environ.get("HTTP_X_REQUEST_ID", "")
    response.headers["X-Request-Id"] = (given if REQUEST_ID.fullmatch(given)
                                        else uuid.uuid4().hex)
    _secure(response)
    result: Iterable[bytes] = response(environ, start_response)
    return result


def request_id() -> str:
    """This request's id (given by the client or proxy, or made here)."""
    return str(flask.g.get("request_id", ""))


def _check_request() -> None:
    given = flask.request.headers.get("X-Request-Id", "")
    flask.g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    for name, value in flask.request.args.items(multi=True):
        if _CONTROL.search(name) or _CONTROL.search(value):
            raise Rejected(400, f"query parameter {name!r} holds a control character",
                           {name: ["control characters are not accepted"]})
    key = flask.request.headers.get("Idempotency-Key")
    if key is not None and not HEADER_TOKEN.fullmatch(key):
        raise Rejected(422, "Idempotency-Key must be 1 to 200 visible ASCII characters",
                       {"Idempotency-Key": ["1 to 200 visible ASCII characters"]})


def _policy(hashes: dict[str, set[str]]) -> str:
    style = " ".join(["'self'", *sorted(hashes["style"])])
    script = " ".join(["'self'", *sorted(hashes["script"])])
    return (f"default-src 'self'; style-src {style}; script-src {script}; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


#: The policy of anything that holds no inline style or script (JSON, CSV, PDF...).
_STRICT_POLICY = _policy({"style": set(), "script": set()})


def _policy_for(response: flask.Response) -> str:
    """Own origin only; an HTML page without a nonce (the API's documentation) may also run
    the inline styles and scripts it carries, named by their hashes."""
    if response.mimetype != "text/html" or response.direct_passthrough:
        return _STRICT_POLICY
    hashes: dict[str, set[str]] = {"style": set(), "script": set()}
    for kind, content in _INLINE.findall(response.get_data()):
        digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
        hashes[kind.decode().lower()].add(f"'sha256-{digest}'")
    return _policy(hashes)


#: Headers every answer carries, whatever set before: (name, value).
_ALWAYS = (("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"))


def _secure(response: flask.Response, cacheable: bool = False) -> None:
    """The security headers (DESIGN.md §7). A policy already set (the web app's pages: own
    origin, with a per-request nonce) and a referrer policy already set stay. Headers are added
    in one pass over what the answer holds (this runs on every request)."""
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    for name, value in _ALWAYS:
        if name.lower() in present:
            headers.set(name, value)
        else:
            headers.add(name, value)
    if "referrer-policy" not in present:
        headers.add("Referrer-Policy", "same-origin")
    if "content-security-policy" not in present:
        headers.add("Content-Security-Policy", _policy_for(response))
    if not cacheable:
        if "cache-control" in present:
            headers.set("Cache-Control", "no-store")
        else:
            headers.add("Cache-Control", "no-store")


def _finish(response: flask.Response) -> flask.Response:
    request = flask.request._get_current_object()  # type: ignore[attr-defined]
    _secure(response, cacheable=request.path.startswith(_CACHEABLE))
    response.headers.add("X-Request-Id", request_id())
    return response


def install(app: Flask, limit: int, timeout: float) -> None:
    """Wrap ``app`` with :class:`BodyBuffer` and register the request hooks (first)."""
    app.wsgi_app = BodyBuffer(app.wsgi_app, limit, timeout)  # type: ignore[method-assign]
    app.before_request_funcs.setdefault(None, []).insert(0, _check_request)
    app.after_request(_finish)
