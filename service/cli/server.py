"""Serving the app with gunicorn, configured from the command line."""

from __future__ import annotations

import gc
from typing import Any

from gunicorn.app.base import BaseApplication

from service.app import create_app
from service.ledger.tokens import create_token, token_count

__all__ = ["gunicorn_options", "run", "serve_app"]


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


def gunicorn_options(host: str, port: int, workers: int, access_log: bool = False
                     ) -> dict[str, Any]:
    """The gunicorn settings of ``apportion serve`` (the service benchmark serves its baseline
    with the same ones).

    The access log is off unless asked for: written by the worker on every request, it costs
    about a fifth of a small calculator request; a reverse proxy usually logs requests anyway.
    """
    options: dict[str, Any] = {"bind": f"{host}:{port}", "workers": workers,
                               "preload_app": True}
    if access_log:
        options["accesslog"] = "-"
    return options


def serve_app(app: Any, options: dict[str, Any]) -> None:
    """Serve the WSGI ``app`` under gunicorn with ``options`` until interrupted."""
    _Gunicorn(app, options).run()


def run(host: str, port: int, workers: int, ruleset: str | None = None,
        access_log: bool = False) -> None:
    """Serve until interrupted. The ruleset is loaded (and validated) before forking."""
    app = create_app(ruleset=ruleset)
    with app.extensions["apportion.db"].session() as session:
        if token_count(session) == 0:
            token = create_token(session, "initial admin", "admin", actor="apportion serve")
            session.commit()
            print("apportion: a new instance: its admin token (shown only now, keep it safe):\n"
                  f"  {token}", flush=True)
    origin = app.extensions["apportion.ruleset_origin"]
    print(f"apportion: serving on http://{host}:{port} with {workers} worker(s); "
          f"ruleset: {origin}; access log: {'on' if access_log else 'off'}", flush=True)
    app.extensions["apportion.db"].dispose()  # no pooled connection crosses the fork
    # What is loaded before the fork (the ruleset, the app) lives as long as the workers: the
    # garbage collector need not walk it on every collection, and the pages stay shared.
    gc.freeze()
    serve_app(app, gunicorn_options(host, port, workers, access_log))
