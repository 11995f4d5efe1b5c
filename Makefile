# `make demo` and `make test` work on a fresh machine: they create .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check lint bench bench-postgres clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/datamorph demo

test: $(STAMP)
	sh scripts/ensure-postgres.sh
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

check: lint test

bench: $(STAMP)
	$(BIN)/python bench/perf_e2e.py --scale 10

bench-postgres: $(STAMP)
	sh scripts/ensure-postgres.sh
	$(BIN)/python bench/perf_postgres.py --scale 10

clean:
	rm -rf $(VENV) .datamorph .pytest_cache build src/*.egg-info
