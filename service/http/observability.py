"""Operations: structured JSON logs with the request id, Prometheus metrics that add up across
worker processes, and the readiness check.

Metrics: ``apportion_http_requests_total`` and ``apportion_http_request_duration_seconds`` (by
method, route and status), ``apportion_billing_runs_total`` (bill / rebill), and
``apportion_documents_issued_total`` (by kind, counted when the issuing transaction commits).
With several worker processes set ``PROMETHEUS_MULTIPROC_DIR`` (``apportion serve`` does):
each process writes its samples there and ``/metrics`` adds them all up.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import flask
from flask import Flask
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.orm import Session

from service.http.context import database
from service.http.hardening import STARTED_KEY, request_id
from service.http.problems import problem
from service.ledger.tables import Document

__all__ = ["JsonFormatter", "configure_logging", "install"]

_log = logging.getLogger("apportion.request")

REQUESTS = Counter("apportion_http_requests_total", "HTTP requests answered",
                   ["method", "route", "status"])
LATENCY = Histogram("apportion_http_request_duration_seconds", "Time to answer a request",
                    ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
BILLING_RUNS = Counter("apportion_billing_runs_total", "Billing runs and rebills that issued",
                       ["kind"])
DOCUMENTS = Counter("apportion_documents_issued_total", "Invoices and credit notes issued",
                    ["kind"])

#: Views whose successful answer is a billing run, by the run's kind.
_BILLING_VIEWS = {"ledger.bill": "bill", "ledger.rebill": "rebill"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id when there is
    a request, anything passed in ``extra``, and the traceback of an exception."""

    _STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
        "message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(), "logger": record.name,
            "message": record.getMessage()}
        if flask.has_request_context():
            entry["request_id"] = request_id()
        for key, value in record.__dict__.items():
            if key not in self._STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """Send the ``apportion`` loggers to standard error as JSON lines (idempotent)."""
    logger = logging.getLogger("apportion")
    if not any(getattr(h, "_apportion", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._apportion = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level)


#: Each (method, route, status)'s request counter and latency histogram: ``labels`` takes a
#: lock and checks its label values on every call; the children it returns never change.
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    found = _SERIES.get((method, route, status))
    if found is None:
        found = (REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route))
        if len(_SERIES) < 10_000:  # methods are the client's to name: keep the table bounded
            _SERIES[(method, route, status)] = found
    return found


def _measure(config: Mapping[str, Any]) -> Callable[[flask.Response], flask.Response]:
    """The hook counting and timing each answer (from its arrival: :data:`STARTED_KEY`), and
    writing the request's log line when ``config["ACCESS_LOG"]`` says so."""

    def answered(response: flask.Response) -> flask.Response:
        request = flask.request._get_current_object()  # type: ignore[attr-defined]
        now = time.perf_counter()
        elapsed = now - request.environ.get(STARTED_KEY, now)
        rule = request.url_rule
        route, method, status = rule.rule if rule is not None else "unmatched", \
            request.method, response.status_code
        count, latency = _series(method, route, status)
        count.inc()
        latency.observe(elapsed)
        if status == 201 and rule is not None and rule.endpoint in _BILLING_VIEWS:
            BILLING_RUNS.labels(_BILLING_VIEWS[rule.endpoint]).inc()
        if config["ACCESS_LOG"]:
            _log.info("%s %s %s", method, request.path, status, extra={
                "method": method, "path": request.path, "route": route,
                "status": status, "duration_ms": round(elapsed * 1000, 2),
                "credential": flask.g.get("credential"), "remote": request.remote_addr})
        return response

    return answered


@event.listens_for(Session, "after_flush")
def _issued(session: Session, _context: Any) -> None:
    for obj in session.new:
        if isinstance(obj, Document) and obj.number:
            session.info.setdefault("_issued", []).append(obj.kind)


@event.listens_for(Session, "after_commit")
def _count_issued(session: Session) -> None:
    for kind in session.info.pop("_issued", []):
        DOCUMENTS.labels(kind).inc()


@event.listens_for(Session, "after_rollback")
def _forget_issued(session: Session) -> None:
    session.info.pop("_issued", None)


def _metrics() -> flask.Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        data = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        data = generate_latest(REGISTRY)
    return flask.Response(data, mimetype=CONTENT_TYPE_LATEST)


def _ready() -> flask.Response:
    ledger = database()
    try:
        current = ledger.ping()
    except Exception as error:  # any failure to reach the database means "not ready"
        logging.getLogger("apportion").warning("readiness: database unreachable: %s", error)
        return problem(503, "Service Unavailable", "the database cannot be reached")
    head = ledger.head()
    if current != head:
        return problem(503, "Service Unavailable",
                       f"the database is at migration {current}, this code needs {head}")
    return flask.jsonify({"status": "ready", "database": "reachable", "migration": current})


def install(app: Flask) -> None:
    """Register the request timing, JSON request log (when ``ACCESS_LOG`` is set, or
    ``APPORTION_ACCESS_LOG=1``), ``/metrics`` and ``/readyz``."""
    app.config.setdefault("ACCESS_LOG",
                          os.environ.get("APPORTION_ACCESS_LOG", "") in ("1", "true", "on"))
    configure_logging()
    app.after_request(_measure(app.config))
    app.add_url_rule("/metrics", "metrics", _metrics)
    app.add_url_rule("/readyz", "readyz", _ready)
