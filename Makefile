# jiesu — two commands: `make run` and `make test`.
SHELL  := /bin/bash
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MODEL  := var/models/nlu.pkl

.PHONY: run test lint typecheck pytest build bench clean install

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned dependencies into $(VENV) …"
	@set -o pipefail; $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]' 2>&1 \
	  | { grep -v "is ignored: it is neither a file nor a directory" || true; }
	@touch $(STAMP)

install: $(STAMP)

# Builds what is missing or stale: the NLU model, and (later) the gazetteer.
build: $(STAMP)
	$(BIN)/jiesu build

run: build
	$(BIN)/jiesu run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: build
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test: lint typecheck pytest

bench: $(STAMP)
	@set -o pipefail; $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,bench]' 2>&1 \
	  | { grep -v "is ignored: it is neither a file nor a directory" || true; }
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf var/models var/gazetteer var/*.db .pytest_cache .mypy_cache .ruff_cache
