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
  a web page's inline code carries the request's nonce, made when the page first asks for
  it with :func:`csp_nonce`, and its policy names that nonce),
  ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``, and ``Cache-Control:
  no-store`` on everything but static assets. They and the request id are added by
  :class:`SecureAnswers` (WSGI middleware) to the answer's header list as it starts: every
  answer, refusals made before the app runs included, in one pass over its headers.
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

import flask
from flask import Flask

from service.http.problems import Rejected, problem

__all__ = ["BodyBuffer", "SecureAnswers", "csp_nonce", "install", "request_id"]

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
#: Where :class:`SecureAnswers` leaves the request's id in the WSGI environ.
REQUEST_ID_KEY = "apportion.request_id"
#: Where :class:`SecureAnswers` leaves the time (``time.perf_counter``) the request arrived.
STARTED_KEY = "apportion.started"
#: Where :func:`csp_nonce` keeps the request's nonce, once a page has asked for one.
NONCE_KEY = "apportion.csp_nonce"


class SecureAnswers:
    """WSGI middleware: gives each request its id (``X-Request-Id`` when it is a sane token,
    else a new random one) and notes when it arrived (:data:`STARTED_KEY`, for the request
    metrics), and adds the security headers and the id to every answer's header list as the
    answer starts (see :func:`secured_headers`)."""

    def __init__(self, app: WsgiApp):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        given = environ.get("HTTP_X_REQUEST_ID", "")
        # A request id need only be unique, not unguessable: the process's own generator
        # (reseeded in each forked worker) makes one without a system call.
        identity = given if REQUEST_ID.fullmatch(given) else f"{random.getrandbits(128):032x}"
        environ[REQUEST_ID_KEY] = identity
        environ[STARTED_KEY] = time.perf_counter()
        cacheable = environ.get("PATH_INFO", "").startswith(_CACHEABLE)

        def secured_start(status: str, headers: list[tuple[str, str]],
                          exc_info: Any = None) -> Any:
            return start_response(status, secured_headers(
                headers, identity, cacheable, environ.get(NONCE_KEY)), exc_info)

        return self.app(environ, secured_start)


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
        if length is not None and _held(stream, length) >= length:
            return _read_held(stream, length)  # no socket is touched: no timeout to set
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


def _held(stream: Any, length: int) -> int:
    """How many bytes of a body of ``length`` bytes, none of it read yet, the server has
    already received (gunicorn reads the head of a request in large pieces, so a small body
    usually arrives with it): reading them touches no socket. 0 when the stream is not
    gunicorn's, or not as expected."""
    reader = getattr(stream, "reader", None)
    held = getattr(getattr(reader, "unreader", None), "buf", None)
    if (type(reader).__name__ != "LengthReader" or getattr(reader, "length", None) != length
            or not isinstance(held, io.BytesIO)
            or not isinstance(getattr(stream, "buf", None), io.BytesIO) or stream.buf.tell()):
        return 0
    with held.getbuffer() as view:
        return view.nbytes


def _read_held(stream: Any, length: int) -> bytes:
    body: bytes = stream.read(length)
    if len(body) != length:
        raise OSError("the body is shorter than its Content-Length")
    return body


def _refuse(environ: dict[str, Any], start_response: StartResponse, status: int,
            detail: str) -> Iterable[bytes]:
    titles = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large"}
    response = problem(status, titles[status], detail)
    response.headers["Connection"] = "close"
    result: Iterable[bytes] = response(environ, start_response)
    return result


def request_id() -> str:
    """This request's id (given by the client or proxy, or made here)."""
    return str(flask.request.environ.get(REQUEST_ID_KEY, ""))


def csp_nonce() -> str:
    """This request's nonce for inline ``<style>`` and ``<script>`` (made on first use, so only
    requests that render a page make one). Its answer's policy allows code carrying it."""
    environ = flask.request.environ
    nonce: str | None = environ.get(NONCE_KEY)
    if nonce is None:
        nonce = environ[NONCE_KEY] = secrets.token_urlsafe(16)
    return nonce


def _check_request() -> None:
    request = flask.request._get_current_object()  # type: ignore[attr-defined]
    environ = request.environ
    if environ.get("QUERY_STRING"):
        for name, value in request.args.items(multi=True):
            if _CONTROL.search(name) or _CONTROL.search(value):
                raise Rejected(400, f"query parameter {name!r} holds a control character",
                               {name: ["control characters are not accepted"]})
    key = environ.get("HTTP_IDEMPOTENCY_KEY")
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


def _nonce_policy(nonce: str) -> str:
    """A web page's policy: its own origin, and inline code only with the request's nonce."""
    own = "'self'"
    return "; ".join([
        f"default-src {own}", f"script-src {own} 'nonce-{nonce}'",
        f"style-src {own} 'nonce-{nonce}'", f"img-src {own}", f"font-src {own}",
        f"connect-src {own}", f"form-action {own}", "frame-ancestors 'none'",
        f"base-uri {own}", "object-src 'none'"])


#: Headers every answer carries, whatever was set before: (name, value).
_ALWAYS = [("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff")]
_REPLACED = frozenset(name.lower() for name, _ in _ALWAYS)
_REPLACED_UNLESS_CACHEABLE = _REPLACED | {"cache-control"}


def secured_headers(headers: list[tuple[str, str]], identity: str, cacheable: bool = False,
                    nonce: str | None = None) -> list[tuple[str, str]]:
    """An answer's headers with the security headers (DESIGN.md §7) and ``X-Request-Id``.

    ``X-Frame-Options``, ``X-Content-Type-Options`` and (unless ``cacheable``)
    ``Cache-Control: no-store`` replace any value set before; a policy already set (the API's
    documentation: its inline code by hash) and a referrer policy already set stay, else the
    ones added are the strict ones, or where the request made a ``nonce`` (a web page), the
    policy allowing inline code that carries it.
    """
    replaced = _REPLACED if cacheable else _REPLACED_UNLESS_CACHEABLE
    secured = []
    policy = referrer = False
    for name, value in headers:
        lowered = name.lower()
        if lowered in replaced:
            continue
        if lowered == "content-security-policy":
            policy = True
        elif lowered == "referrer-policy":
            referrer = True
        secured.append((name, value))
    secured += _ALWAYS
    if not referrer:
        secured.append(("Referrer-Policy", "same-origin"))
    if not policy:
        secured.append(("Content-Security-Policy",
                        _STRICT_POLICY if nonce is None else _nonce_policy(nonce)))
    if not cacheable:
        secured.append(("Cache-Control", "no-store"))
    secured.append(("X-Request-Id", identity))
    return secured


def _inline_policy(response: flask.Response) -> flask.Response:
    """An HTML answer with no policy of its own (the API's documentation page) may also run
    the inline styles and scripts it carries, named by their hashes. (A web page made a nonce:
    its policy names the nonce, :func:`secured_headers`.)"""
    if (response.mimetype == "text/html" and not response.direct_passthrough
            and "Content-Security-Policy" not in response.headers
            and NONCE_KEY not in flask.request.environ):
        hashes: dict[str, set[str]] = {"style": set(), "script": set()}
        for kind, content in _INLINE.findall(response.get_data()):
            digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
            hashes[kind.decode().lower()].add(f"'sha256-{digest}'")
        response.headers["Content-Security-Policy"] = _policy(hashes)
    return response


def install(app: Flask, limit: int, timeout: float) -> None:
    """Wrap ``app`` with :class:`SecureAnswers` around :class:`BodyBuffer` and register the
    request check (first) and the inline-code policy of HTML answers."""
    app.wsgi_app = SecureAnswers(  # type: ignore[method-assign]
        BodyBuffer(app.wsgi_app, limit, timeout))
    app.before_request_funcs.setdefault(None, []).insert(0, _check_request)
    app.after_request(_inline_policy)
