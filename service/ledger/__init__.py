"""The invoicing ledger: cases, cost tranches, billing runs, documents, payments, statements,
tokens and the audit log, on SQLAlchemy 2 with Alembic migrations.

Modules: ``settlement`` (the pure core: who owes what, no SQL), ``cases`` (cases and costs),
``billing`` (billing runs and rebills around ``settlement``), ``payments``
(documents, payments, statements), ``tokens``, ``audit``, ``tables``, ``database``, ``errors``
(refusals in the ledger's words, no HTTP status).
"""
