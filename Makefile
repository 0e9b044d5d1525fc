# Guest Triage: set up, run, test. Everything installs into .venv in this checkout.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint setup clean translations-extract translations browser database

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

## The browser tests drive Debian's chromium through Playwright (Playwright's own browser
## download does not work offline): install it when it is missing, or say what is needed.
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; } || { \
	  echo "the browser tests need Debian's chromium at $(CHROMIUM): apt-get install chromium"; \
	  exit 1; }

## The PostgreSQL tests use 127.0.0.1:5432 (database `test`, trust auth), or
## TRIAGE_TEST_POSTGRES_URL: start the local cluster when it is installed and stopped.
database:
	@[ -n "$$TRIAGE_TEST_POSTGRES_URL" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
	  echo "starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql)" main start && \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; } || { \
	  echo "the tests need PostgreSQL at 127.0.0.1:5432 (database test, trust auth) or TRIAGE_TEST_POSTGRES_URL"; \
	  exit 1; }

## Set everything up (the browser included) and run the whole test suite, then lint and type
## checks. The browser tests run here, never skip (TRIAGE_BROWSER_TESTS=required).
test: $(STAMP) browser database
	TRIAGE_BROWSER_TESTS=required $(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory lint

lint: $(STAMP)
	$(BIN)/ruff check triage models api review_ui service triage_cli tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

## Find the UI's message keys in code and templates, and add new ones to both .po files.
translations-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k t -o review_ui/locale/messages.pot --no-location --omit-header --sort-output .
	$(BIN)/pybabel update -i review_ui/locale/messages.pot -d review_ui/locale -N --ignore-pot-creation-date

## Compile the UI's .po catalogues to the committed .mo files (after editing a .po file).
translations: $(STAMP)
	$(BIN)/pybabel compile -d review_ui/locale --statistics

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
