# Everyday targets. `make run` and `make test` each set up what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
AXE := node_modules/axe-core/axe.min.js
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST = 127.0.0.1
PORT = 8000

.PHONY: run test test-pg lint typecheck bench demo system-packages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(AXE): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $(AXE)

# Debian packages the tests drive: Chromium (browser tests) and poppler's pdftotext (PDFs).
system-packages:
	@test -x /usr/bin/chromium -a -x /usr/bin/pdftotext || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium poppler-utils; \
	  else echo "The tests need: sudo apt-get install chromium poppler-utils"; exit 1; fi; }

run: $(STAMP)
	$(BIN)/reunify migrate --noinput
	$(BIN)/reunify demo --if-empty
	REUNIFY_DEBUG=1 $(BIN)/reunify serve --host $(HOST) --port $(PORT)

demo: $(STAMP)
	$(BIN)/reunify migrate --noinput
	$(BIN)/reunify demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/reunify makemigrations --check --dry-run

typecheck: $(STAMP)
	$(BIN)/mypy reunify

test: $(STAMP) $(AXE) system-packages lint typecheck
	$(BIN)/pytest -q -n 2 --dist loadfile

# Tests marked `flushes` commit for real and leave the database empty (the shipped modules and
# questionnaires too), so they run after the rest, on their own.
test-pg: $(STAMP) $(AXE) system-packages
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -n 2 --dist loadfile -m "not flushes"
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -m flushes

bench: $(STAMP)
	$(BIN)/python bench/caseload.py
	$(BIN)/python bench/report.py

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
