# recur-django developer tasks. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
PY          := $(VENV)/bin/python
DJANGO52    := django>=5.2,<5.3
DEV_GROUPS  := test,lint,docs
PORT        ?= 8000
DEMO        := PYTHONPATH=. RECUR_DEMO_PORT=$(PORT) $(PY) example_project/manage.py
TESTADMIN   := PYTHONPATH=. DJANGO_SETTINGS_MODULE=tests.settings $(VENV)/bin/django-admin

.PHONY: help venv demo test bench lint docs migrations messages clean

help:
	@echo "make demo        serve the example shop on http://127.0.0.1:$(PORT) (admin/admin, demo/demo; PORT=8123 for another port)"
	@echo "make test        whole suite: Django 5.2 and 6 x SQLite and PostgreSQL, lint, types, migrations, docs"
	@echo "make bench       run tests/benchmarks/bench_*.py"
	@echo "make lint        ruff check, ruff format --check, mypy"
	@echo "make docs        build the documentation into site/ (strict)"
	@echo "make migrations  add the next migration for recur_django's changed models"
	@echo "make messages    update and compile the en and zh_Hant catalogs"
	@echo "make clean       remove virtualenvs, build output and caches"

venv:
	@bash scripts/venv.sh $(VENV) "$(DEV_GROUPS)" "$(DJANGO52)" ":python3.11"

# The port is recorded next to the demo's database: every later manage.py command (renew with
# `recur_emulator advance`, deliver, …) reads it, so they reach the demo with no variable.
demo: venv
	$(DEMO) migrate --noinput
	$(DEMO) seed_demo
	echo $(PORT) > example_project/.demo-port
	$(DEMO) runserver 127.0.0.1:$(PORT)

test:
	@bash scripts/test.sh

bench: venv
	@VENV=$(VENV) bash scripts/bench.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PYTHONPATH=. $(VENV)/bin/mypy recur_django

docs: venv
	$(VENV)/bin/mkdocs build --strict

migrations: venv
	$(TESTADMIN) makemigrations recur_django --no-header

messages: venv
	@bash scripts/messages.sh

clean:
	rm -rf .venv .venv-dj6 build dist site *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
	rm -f example_project/db.sqlite3 example_project/.demo-port tests/test.sqlite3
