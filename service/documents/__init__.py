"""Documents a finance officer can send: invoices, credit notes and statements as PDF (HTML
templates rendered by WeasyPrint), email to a partner's billing contact through SMTP, and the
finance-system export (CSV and XLSX).

Modules: ``model`` (frozen values: issuer, billing contact, document, statement), ``render``
(HTML and PDF), ``mail`` (the message and the SMTP server named by ``SMTP_URL``), ``exports``
(the accounts-receivable rows), ``settings`` (issuer settings and billing contacts in the
ledger database, audited), ``errors`` (refusals in the documents' words, no HTTP status).
"""
