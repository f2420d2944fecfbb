"""Board reports: one set of figures from the ledger and the rules, as JSON, CSV, XLSX and a
printable HTML page."""
