"""The apportion service: JSON API, CLI and (later) the ledger. Imports rules and allocations."""

from __future__ import annotations

from service.app import create_app

__all__ = ["create_app"]
