# Backoffice: `make run` starts the whole system locally, `make test` runs every check.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK := deploy/local/stack.sh
PACKAGES := -e libs/events -e libs/platform -e services/order-service -e services/billing-service \
            -e services/ledger-service -e services/support-service -e services/console-service -e cli
STAMP := $(VENV)/.installed

.PHONY: venv tools up down status logs topics lint format test test-unit test-integration run bench contracts clean

$(STAMP): requirements.txt $(wildcard */*/pyproject.toml) $(wildcard cli/pyproject.toml)
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.8
	@$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.txt $(PACKAGES)
	@bash deploy/local/console-assets.sh
	@touch $(STAMP)

venv: $(STAMP)  ## virtual env with every package installed editable

up: venv  ## start PostgreSQL and Kafka, create databases and topics
	@bash $(STACK) up

down:  ## stop everything started by `make up` / `make run`
	@-[[ -f .local/run.pid ]] && kill $$(cat .local/run.pid) 2>/dev/null; rm -f .local/run.pid
	@bash $(STACK) down

status:
	@bash $(STACK) status

logs:
	@bash $(STACK) logs

lint: venv  ## ruff format check, ruff lint, mypy
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy libs/events/src libs/platform/src services/*/src cli/src

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

tools:  ## what the tests need beyond the venv: promtool and Debian's chromium, installed once
	@bash deploy/local/tools.sh
	@bash deploy/local/browser.sh

test: venv tools up lint  ## the whole suite on the real stack
	$(BIN)/pytest -p no:cacheprovider

run: venv up  ## start the whole system with demo data; Ctrl-C or `make down` stops it
	@$(BIN)/python -m backoffice_cli.run

bench: venv up  ## benchmarks; writes docs/benchmarks.md
	@$(BIN)/python -m bench.run

contracts: venv  ## regenerate docs/api and docs/events from the code
	@$(BIN)/python -m backoffice_cli.contracts write

clean: down
	rm -rf .local $(VENV)
