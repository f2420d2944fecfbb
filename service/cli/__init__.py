"""The ``apportion`` command line and its server (gunicorn)."""

from __future__ import annotations

from service.cli.commands import main

__all__ = ["main"]
