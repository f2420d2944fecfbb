"""Serving the app with gunicorn, configured from the command line.

* Fork safety: the app is created (ruleset checked, migrations run, the first admin token made)
  in the master process, which then closes every connection it opened; each worker, right
  after the fork, forgets the pool it inherited (:meth:`Database.after_fork`) and opens its
  own. No connection is ever shared by two processes.
* Slow clients: threaded workers (``gthread``) and a request body read whole, within
  ``APPORTION_BODY_TIMEOUT`` seconds, before any view runs (and so before any transaction).
  Run behind a buffering reverse proxy in production (README).
* Metrics: ``PROMETHEUS_MULTIPROC_DIR`` (a fresh folder unless set) collects every worker's
  samples; a worker's files are marked dead when it exits.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication

__all__ = ["gunicorn_options", "prepare_metrics_folder", "run"]


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


def _post_fork(app: Any) -> Any:
    def post_fork(_server: Any, _worker: Any) -> None:
        app.extensions["apportion.db"].after_fork()
    return post_fork


def _child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def _logconfig() -> dict[str, Any]:
    formatter = {"()": "service.http.observability.JsonFormatter"}
    handler = {"class": "logging.StreamHandler", "formatter": "json",
               "stream": "ext://sys.stderr"}
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"json": formatter}, "handlers": {"stderr": handler},
            "root": {"level": "INFO", "handlers": ["stderr"]},
            "loggers": {name: {"handlers": ["stderr"], "level": "INFO", "propagate": False}
                        for name in ("gunicorn.error", "gunicorn.access")}}


def gunicorn_options(app: Any, host: str, port: int, workers: int, threads: int,
                     timeout: int) -> dict[str, Any]:
    """The gunicorn settings ``apportion serve`` uses."""
    return {
        "bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread",
        "threads": threads, "timeout": timeout, "graceful_timeout": timeout,
        # A worker takes no more connections than it has threads: one whose threads are all
        # busy (say, with slow clients) stops accepting, and the others take the new ones, so
        # no request queues behind a busy worker. (No keep-alive: an idle connection would
        # hold a slot; the reverse proxy keeps its own connections to clients.)
        "worker_connections": threads, "keepalive": 0,
        "preload_app": True, "accesslog": None,
        "logconfig_dict": _logconfig(),
        "post_fork": _post_fork(app), "child_exit": _child_exit,
        # Header limits: a request line or header block this large is a 400 from gunicorn.
        "limit_request_line": 8190, "limit_request_fields": 100,
    }


def run(host: str, port: int, workers: int, ruleset: str | None = None, threads: int = 4,
        timeout: int = 30) -> None:
    """Serve until interrupted. The ruleset is loaded (and validated) before forking."""
    folder = prepare_metrics_folder()
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
    ledger.dispose()  # nothing opened before the fork survives it
    origin = app.extensions["apportion.ruleset_origin"]
    print(f"apportion: serving on http://{host}:{port} with {workers} worker(s) x {threads} "
          f"thread(s); ruleset: {origin}", flush=True)
    master = os.getpid()
    try:
        _Gunicorn(app, gunicorn_options(app, host, port, workers, threads, timeout)).run()
    finally:
        # Workers leave through here too (SystemExit): only the master tidies up.
        if os.getpid() == master and os.path.basename(folder).startswith("apportion-metrics-"):
            shutil.rmtree(folder, ignore_errors=True)
