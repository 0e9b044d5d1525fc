# Guest Triage: set up, run, test. Everything installs into .venv in this checkout.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint setup clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Set everything up and run the service on 127.0.0.1:8000 (SQLite under ./var, default model).
run: $(STAMP)
	$(BIN)/triage serve --setup --demo --host 127.0.0.1 --port 8000

## Build the encoder checkpoint and migrate the database without serving.
setup: $(STAMP)
	$(BIN)/triage setup

## Set everything up and run the whole test suite, then lint and type checks.
test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory lint

lint: $(STAMP)
	$(BIN)/ruff check triage models api review_ui triage_cli tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
