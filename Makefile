PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint

## Set up everything and run the shop on http://127.0.0.1:8000 (SQLite, demo products), with its
## background worker and scheduler.
run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_shop
	$(PY) manage.py local_admin
	$(PY) scripts/run_local.py

## Set up everything and run the whole test suite on PostgreSQL.
test: $(VENV)/.installed-dev node_modules/axe-core
	$(PY) scripts/check_postgres.py
	$(VENV)/bin/pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# axe-core, which the browser tests inject into pages to check their accessibility.
node_modules/axe-core: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(VENV)/.installed: requirements.txt $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.installed $@
