# The two commands: `make run` (the site with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test check-api install bench lint messages lock clean-data

run: install
	@bash scripts/system_packages.sh run
	$(BIN)/python scripts/run.py

test: install
	@bash scripts/system_packages.sh test
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# Schemathesis against the API's schema as every role, longer than the suite's bounded run:
# 100 generated cases per operation and the coverage phase. API_FUZZ_EXAMPLES=N to change.
check-api: install
	API_FUZZ_EXAMPLES=$${API_FUZZ_EXAMPLES:-100} API_FUZZ_COVERAGE=1 $(BIN)/python -m pytest -n 2 -q \
		tests/core/test_api_conformance.py $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: install
	$(BIN)/python -m ruff check .

# Extract, merge locale/pending/*.json into zh_Hans, compile (needs GNU gettext; the .mo files
# are committed) and list what is still untranslated. MESSAGES_ARGS=--allow-missing to carry on.
messages: install
	$(BIN)/python scripts/translations.py $(MESSAGES_ARGS)

lock: install
	@echo "Edit the ranges in pyproject.toml, then: pip install -e .[dev] in a fresh venv and pip freeze."

clean-data:
	rm -rf .data
