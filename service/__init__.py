"""The apportion service: the JSON API, the browser pages, the ledger, reports and the CLI.

One sub-package per part (see the README's layout): ``http`` (the toolkit), ``wire`` (formats
shared by API, CLI and pages), ``api``, ``pages``, ``ledger``, ``reports``, ``cli``. The app
factory is :func:`service.app.create_app`; only the entry points import it.
"""
