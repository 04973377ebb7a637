# Two entry points: `make demo` and `make test`. Each creates .venv on first use and refreshes it
# whenever pyproject.toml changes, so a fresh clone needs nothing but Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready

.PHONY: demo test lint bench mutation clean

$(READY): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "facilitator needs Python 3.11 or newer"; exit 2; }
	@$(PYTHON) -m venv $(VENV) || { echo "cannot create a virtualenv: on Debian, apt-get install python3-venv"; exit 2; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(READY)

demo: $(READY)
	$(BIN)/facilitator demo

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# Every benchmark in bench/, one after another; writes BENCHMARKS.md.
bench: $(READY)
	$(BIN)/python bench/run

# Mutation testing of attendance, register, state, tokens, days, gender, answers, scoring and ballots, each
# with its own fast tests (mutmut); prints the kill rate per module, equivalent mutants excluded
# (mutation/equivalent.toml). Not part of test.
mutation: $(READY)
	$(BIN)/python mutation/run.py $(MODULES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants mutation/out
