"""Serving the app with gunicorn, configured from the command line.

* Fork safety: the app is created (ruleset checked, migrations run, the first admin token made)
  in the master process, which then closes every connection it opened; each worker, right
  after the fork, forgets the pool it inherited (:meth:`Database.after_fork`) and opens its
  own. No connection is ever shared by two processes.
* Slow clients: threaded workers (``gthread``), each taking no more connections than it has
  threads, and a request body read whole, within ``APPORTION_BODY_TIMEOUT`` seconds, before any
  view runs (and so before any transaction). Run behind a buffering reverse proxy (README).
* Metrics: ``PROMETHEUS_MULTIPROC_DIR`` (a fresh folder unless set) collects every worker's
  samples; a worker's files are marked dead when it exits.
* Logs: JSON lines on standard error; one line per request (with its request id) only with
  ``--access-log`` (it costs about a fifth of a small calculator request).
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

__all__ = ["gunicorn_options", "prepare_metrics_folder", "run", "serve_app"]


def prepare_metrics_folder() -> str:
    """Make sure ``PROMETHEUS_MULTIPROC_DIR`` names an empty folder (before prometheus_client
    is imported anywhere in this process) and return it."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.unlink(os.path.join(folder, name))
    else:
        folder = tempfile.mkdtemp(prefix="apportion-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    return folder


class _Gunicorn(BaseApplication):
    def __init__(self, app: Any, options: dict[str, Any]):
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


class _QuietLogger(Logger):
    """gunicorn's logger without its access log: the app writes request lines itself (JSON,
    with the request id) when asked. Given a logging configuration, gunicorn would otherwise
    build every request's log fields only for the logger to drop them."""

    def _compute_access_log_enabled(self) -> bool:
        return False


def _post_fork(_server: Any, worker: Any) -> None:
    database = getattr(worker.app.application, "extensions", {}).get("apportion.db")
    if database is not None:
        database.after_fork()


def _child_exit(_server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def _logconfig() -> dict[str, Any]:
    formatter = {"()": "service.http.observability.JsonFormatter"}
    handler = {"class": "logging.StreamHandler", "formatter": "json",
               "stream": "ext://sys.stderr"}
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"json": formatter}, "handlers": {"stderr": handler},
            "root": {"level": "INFO", "handlers": ["stderr"]},
            # gunicorn's access log stays quiet: the app writes the request lines (JSON, with
            # the request id) when --access-log asks for them.
            "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": "INFO",
                                           "propagate": False},
                        "gunicorn.access": {"handlers": ["stderr"], "level": "WARNING",
                                            "propagate": False}}}


def gunicorn_options(host: str, port: int, workers: int, access_log: bool = False,
                     threads: int = 4, timeout: int = 30) -> dict[str, Any]:
    """The gunicorn settings of ``apportion serve`` (the service benchmark serves its baseline
    with the same ones).

    The per-request log is off unless asked for: written on every request, it costs about a
    fifth of a small calculator request; a reverse proxy usually logs requests anyway. (When
    on, the app writes it, as JSON with the request id: gunicorn's own access log stays off.)
    """
    return {
        "bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread",
        "threads": threads, "timeout": timeout, "graceful_timeout": timeout,
        # A worker takes no more connections than it has threads: one whose threads are all
        # busy (say, with slow clients) stops accepting, and the others take the new ones, so
        # no request queues behind a busy worker. (No keep-alive: an idle connection would
        # hold a slot; the reverse proxy keeps its own connections to clients.)
        "worker_connections": threads, "keepalive": 0,
        "preload_app": True, "accesslog": None, "logconfig_dict": _logconfig(),
        "logger_class": _QuietLogger,
        "post_fork": _post_fork, "child_exit": _child_exit,
        # Header limits: a request line or header block this large is a 400 from gunicorn.
        "limit_request_line": 8190, "limit_request_fields": 100,
    }


def serve_app(app: Any, options: dict[str, Any]) -> None:
    """Serve the WSGI ``app`` under gunicorn with ``options`` until interrupted."""
    _Gunicorn(app, options).run()


def run(host: str, port: int, workers: int, ruleset: str | None = None,
        access_log: bool = False, threads: int = 4, timeout: int = 30) -> None:
    """Serve until interrupted. The ruleset is loaded (and validated) before forking."""
    folder = prepare_metrics_folder()
    if access_log:
        os.environ["APPORTION_ACCESS_LOG"] = "1"
    from service.app import create_app
    from service.ledger.tokens import create_token, token_count

    app = create_app(ruleset=ruleset)
    ledger = app.extensions["apportion.db"]
    with ledger.session() as session:
        if token_count(session) == 0:
            token = create_token(session, "initial admin", "admin", actor="apportion serve")
            session.commit()
            print("apportion: a new instance: its admin token (shown only now, keep it safe):\n"
                  f"  {token}", flush=True)
    origin = app.extensions["apportion.ruleset_origin"]
    print(f"apportion: serving on http://{host}:{port} with {workers} worker(s) x {threads} "
          f"thread(s); ruleset: {origin}; access log: {'on' if access_log else 'off'}",
          flush=True)
    ledger.dispose()  # no pooled connection crosses the fork
    # What is loaded before the fork (the ruleset, the app) lives as long as the workers: the
    # garbage collector need not walk it on every collection, and the pages stay shared.
    gc.freeze()
    master = os.getpid()
    try:
        serve_app(app, gunicorn_options(host, port, workers, access_log, threads, timeout))
    finally:
        # Workers leave through here too (SystemExit): only the master tidies up.
        if os.getpid() == master and os.path.basename(folder).startswith("apportion-metrics-"):
            shutil.rmtree(folder, ignore_errors=True)
