"""The browser pages: server-rendered HTML (Flask + Jinja), one blueprint per part."""

from __future__ import annotations

from flask import Flask

from service.pages import reports

__all__ = ["register"]


def register(app: Flask) -> None:
    """Register every page blueprint on ``app``."""
    app.register_blueprint(reports.bp)
