# apportion: the two commands of the README are `make serve` and `make test`.
# Both create .venv/ on first use and install the pinned versions of requirements/lock.txt.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: serve assets test tools lint typecheck bench bench-paradoxes bench-split bench-whatif bench-service bench-ledger bench-reports bench-documents bench-reads bench-billing bench-allocation bench-memory bench-funds clean

$(STAMP): setup.cfg pyproject.toml requirements/lock.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements/lock.txt -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP) assets
	$(BIN)/apportion serve

assets:
	bash scripts/ensure-frontend.sh

lint: $(STAMP)
	$(BIN)/ruff check allocations rules service tests benchmarks wsgi.py
	$(BIN)/python scripts/import_cycles.py allocations rules service

typecheck: $(STAMP)
	$(BIN)/mypy

tools:
	bash scripts/ensure-tools.sh

test: lint typecheck tools
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

bench: bench-split bench-whatif bench-service bench-ledger bench-reports bench-paradoxes bench-documents bench-reads bench-billing bench-allocation bench-memory bench-funds

bench-documents: $(STAMP)
	$(BIN)/python benchmarks/documents.py

bench-reads: $(STAMP)
	$(BIN)/python benchmarks/reads.py

bench-billing: $(STAMP)
	$(BIN)/python benchmarks/billing.py

bench-allocation: $(STAMP)
	$(BIN)/python benchmarks/allocation.py

bench-memory: $(STAMP)
	$(BIN)/python benchmarks/memory.py

bench-reports: $(STAMP)
	$(BIN)/python benchmarks/reports.py

bench-funds: $(STAMP)
	$(BIN)/python benchmarks/funds.py

bench-split: $(STAMP)
	$(BIN)/python benchmarks/split.py

bench-paradoxes: $(STAMP)
	$(BIN)/python benchmarks/paradoxes.py

bench-whatif: $(STAMP)
	$(BIN)/python benchmarks/whatif.py

bench-ledger: $(STAMP)
	$(BIN)/python benchmarks/ledger.py

bench-service: $(STAMP) tools
	$(BIN)/python benchmarks/service.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
