# Every target bootstraps its own virtual environment, so a fresh machine with only
# Python and make needs nothing else: `make demo` and `make test` are the whole set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo run test lint bytecode screenshots bench bench-serve soak clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Byte-compile the project's own modules (pip does this for every installed package, but
# not for an editable install, and PYTHONDONTWRITEBYTECODE environments never write them):
# without it each start compiles ~40 modules from source. Only changed files are redone.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q app widgets feeds

# Extra flags for the dashboard, e.g. `make demo ARGS="--speed 60"`.
ARGS ?=

demo: $(STAMP) bytecode
	$(BIN)/issdash --demo $(ARGS)

run: $(STAMP) bytecode
	$(BIN)/issdash $(ARGS)

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

bench: $(STAMP) bytecode
	$(BIN)/python scripts/bench.py $(ARGS)

# 10 browser sessions of `issdash serve` against a counting upstream (about 2.5 minutes).
bench-serve: $(STAMP) bytecode
	$(BIN)/python scripts/serve_bench.py $(ARGS)

# A day of simulated time with random feed faults, headless (a few minutes).
soak: $(STAMP)
	$(BIN)/python scripts/soak.py --hours 24 --speed 600 --json soak-results.json

clean:
	rm -rf $(VENV) build *.egg-info
