"""Serving the app with gunicorn, configured from the command line."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from service.app import create_app
from service.ledger.tokens import create_token, token_count

__all__ = ["run"]


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


def run(host: str, port: int, workers: int, ruleset: str | None = None) -> None:
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
          f"ruleset: {origin}", flush=True)
    _Gunicorn(app, {"bind": f"{host}:{port}", "workers": workers, "accesslog": "-",
                    "preload_app": True}).run()
