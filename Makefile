# The two quick-start commands: `make demo` and `make test`. Each builds .venv by itself.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench-smoke clean postgres

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY) on PATH (or run: make PY=python3 ...)"; exit 2; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/querylang demo

# The PostgreSQL tests start their own server from Debian's package: install it when missing.
postgres:
	@command -v pg_config >/dev/null 2>&1 && [ -x "$$(pg_config --bindir)/initdb" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q postgresql; \
		else echo "the PostgreSQL tests need PostgreSQL: sudo apt-get install -y postgresql"; exit 2; fi; }

test: $(STAMP) postgres
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check querylang tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy querylang

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache .mypy_cache
