# Two commands: `make run` starts the whole portal, `make test` runs every test.
# Both set up .venv first, so a fresh machine with only Python 3.11 needs nothing else.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint audit migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python -m cpp_portal.local_stack

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The style CI holds every commit to: ruff's lint rules and its formatting, unchanged.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Known vulnerabilities in the installed dependencies fail it (exit 1, with the advisories).
# OSV, not pip-audit's default: PyPI's per-release JSON it would read is not served everywhere,
# and then pip-audit skips every package and still exits 0. --strict fails on any such skip
# (so no --skip-editable: the portal itself is simply unknown to OSV).
AUDIT_SERVICE ?= osv
audit: install
	$(BIN)/pip-audit --strict --progress-spinner off --vulnerability-service $(AUDIT_SERVICE) $(AUDIT_ARGS)

clean:
	rm -rf .local staticfiles
