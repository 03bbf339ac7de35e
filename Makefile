# Everyday targets. `make run` and `make test` each set up what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
AXE := node_modules/axe-core/axe.min.js
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST = 127.0.0.1
PORT = 8000

SCALE ?= 1
DB ?= both
BENCH_ARGS ?=

.PHONY: run test test-pg lint typecheck bench bench-packages demo system-packages clean

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
	$(BIN)/python -m reunify.tests.test_layering
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

# The load generator the bench drives (Debian's wrk).
bench-packages:
	@test -x /usr/bin/wrk || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; \
	  else echo "The bench needs: sudo apt-get install wrk"; exit 1; fi; }

# A large practice served by gunicorn and loaded by wrk; see bench/README.md.
# `make bench SCALE=0.05` for a small one, `make bench DB=postgres BENCH_ARGS=--fresh`.
bench: $(STAMP) bench-packages
	$(BIN)/python -m bench.run --scale $(SCALE) --db $(DB) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
