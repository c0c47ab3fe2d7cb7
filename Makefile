# Two commands: `make run` (set up and serve on SQLite with the plan and demo data) and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Test processes (pytest-xdist): each has its own test database; 2 halves the suite's time on 2 cores.
WORKERS ?= 2

.PHONY: install run test test-sqlite test-postgres lint messages bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_plan
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py load_demo_meetings
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

# Browser journeys run here when Chromium is installed (and say SKIPPED plainly when it is not).
test-sqlite: install
	$(BIN)/pytest -rs -n $(WORKERS)

# A throwaway PostgreSQL cluster (temporary directory, loopback port), removed afterwards.
test-postgres: install
	scripts/with-postgres $(BIN)/pytest -rs -n $(WORKERS) -m "not browser"

test: lint test-sqlite test-postgres

# Rebuild the English catalogue after changing user-facing strings (needs GNU gettext).
messages: install
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py compilemessages -l en --ignore=.venv

# Benchmarks (docs/bench.md): the page table on SQLite, then on PostgreSQL, then the load run.
bench: install
	$(BIN)/python scripts/bench.py
	scripts/with-postgres $(BIN)/python scripts/bench.py
	scripts/load_run.sh
