# The two quick-start commands: `make demo` and `make test`. Each builds .venv by itself.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench-smoke screenshots clean

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY) on PATH (or run: make PY=python3 ...)"; exit 2; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench,serve]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/querylang demo

# The suite runs against real PostgreSQL, Parse Server and Chromium: install what is missing first.
# It runs on TEST_WORKERS processes (pytest-xdist; each starts the servers its tests need); a
# worker that runs out of tests takes some of the other's queue (worksteal), so that the long
# properties do not keep one worker busy while the other waits at the end; TEST_WORKERS=0 runs
# it in this process. Its slowest tests are listed at the end.
TEST_WORKERS ?= 2
test: $(STAMP)
	@bash scripts/install-components
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal --durations=25

# The data browser's screenshots that docs/serve.md and the README show, taken again by its
# walk in headless Chromium (a test run writes them outside the checkout).
screenshots: $(STAMP)
	@bash scripts/install-components
	QL_SCREENSHOTS=docs $(BIN)/python -m pytest -q -p no:cacheprovider tests/server/test_browser.py

# The benchmark runner at scale T, nothing timed (what `make test` also runs).
bench-smoke: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_bench_smoke.py

lint: $(STAMP)
	$(BIN)/ruff check querylang tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy querylang benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache .mypy_cache
