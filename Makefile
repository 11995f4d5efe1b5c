# `make demo` and `make test` work on a fresh machine: they create .venv themselves.
# `make demo` installs only what the demo runs (the package and the Polars differential check);
# `make test` and `make lint` install the test toolchain on top.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test
# pytest workers (pytest-xdist): `auto` is one per CPU; TEST_WORKERS=0 runs the suite in one process
TEST_WORKERS ?= auto
PYTEST_ARGS  ?=

.PHONY: demo test check lint bench bench-postgres clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[differential]"
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: $(DEMO_STAMP)
	$(BIN)/datamorph demo

# Test files run in parallel, each file on one worker (--dist loadgroup: tests marked
# xdist_group share a worker). pytest's own exit code is make's: a failure, or no test
# collected at all (exit 5), fails `make test`.
test: $(TEST_STAMP)
	sh scripts/ensure-postgres.sh
	sh scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

check: lint test

bench: $(DEMO_STAMP)
	$(BIN)/python bench/perf_e2e.py --scale 10

bench-postgres: $(TEST_STAMP)
	sh scripts/ensure-postgres.sh
	$(BIN)/python bench/perf_postgres.py --scale 10

clean:
	rm -rf $(VENV) .datamorph .pytest_cache .mypy_cache build src/*.egg-info
