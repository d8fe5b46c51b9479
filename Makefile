# Oasys Billing. `make demo` runs the product with a seeded demo practice; `make test` runs
# every suite (SQLite and PostgreSQL, browser tests in headless Chromium). Both install what
# they need on a fresh Debian machine with Python 3.11.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint bench chaos install system-deps clean help

help:
	@echo "make demo    - start Oasys with the demo practices on http://127.0.0.1:8000, beside"
	@echo "               its stand-ins: clearinghouse 8701, Stripe 12111, mail 1025 (view 8025)"
	@echo "make test    - run every test suite (installs PostgreSQL and Chromium if missing)"
	@echo "make bench   - run the benchmarks"
	@echo "make chaos   - the auto-billing chaos test in full (200 runs, PostgreSQL) and its figures"
	@echo "make lint    - ruff, and the import layering contract (lint-imports)"

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

# axe-core for the accessibility browser test (package-lock.json pins it); Node only for tests.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

system-deps:
	@bash scripts/system-deps.sh

demo: $(STAMP)
	$(BIN)/oasys demo

test: $(STAMP) system-deps
	@$(MAKE) --no-print-directory $(NODE_STAMP)
	@bash scripts/run-tests.sh

# The quick loop while developing: SQLite only, no browser tests.
test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not browser" -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo --no-cache

bench: $(STAMP)
	@bash scripts/run-bench.sh

# Workers killed, cut off from the database and faulted, 200 times (CHAOS_RUNS=...).
chaos: $(STAMP) system-deps
	@bash scripts/run-chaos.sh

clean:
	rm -rf var/*.sqlite3* var/celery* var/static var/mail-sink var/audit-checkpoints.jsonl
