# Every target bootstraps its own virtual environment, so a fresh machine with only
# Python and make needs nothing else: `make demo` and `make test` are the whole set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: the dashboard's own packages (what `make demo` and `make run` need), and the
# test and lint tools on top (`make test`, `make lint`). `make demo` after `make test`
# installs nothing; `make test` after `make demo` adds only the tools. The second keeps the
# old name, so `make .venv/.installed` still sets up everything.
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed
# pip's own output (what it fetches, with progress bars on a terminal) is the progress shown
# during the first install; only the notice about newer pip versions is left out.
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: demo run test check lint links bytecode screenshots bench bench-serve soak figures clean

$(RUNTIME_STAMP): pyproject.toml
	@echo "==> [1/3] creating $(VENV) with $(PYTHON)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> [2/3] upgrading pip"
	$(PIP) install --upgrade pip
	@echo "==> [3/3] installing issdash and what the dashboard needs (first time: a minute or two)"
	$(PIP) install -e .
	touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP)
	@echo "==> adding the test and lint tools (pytest, pytest-xdist, hypothesis, ruff, mypy, import-linter)"
	$(PIP) install -e '.[dev]'
	touch $(STAMP)

# Byte-compile the project's own modules (pip does this for every installed package, but
# not for an editable install, and PYTHONDONTWRITEBYTECODE environments never write them):
# without it each start compiles ~40 modules from source. Only changed files are redone.
bytecode: $(RUNTIME_STAMP)
	$(BIN)/python -m compileall -q app widgets feeds

# Extra flags for the dashboard, e.g. `make demo ARGS="--speed 60"`.
ARGS ?=

demo: $(RUNTIME_STAMP) bytecode
	$(BIN)/issdash --demo $(ARGS)

run: $(RUNTIME_STAMP) bytecode
	$(BIN)/issdash $(ARGS)

# The suite runs in parallel (pytest-xdist), one worker per core (-n auto): each worker is its
# own process, the servers the tests start take free ports, files go under tmp_path. Many
# tests wait more than they compute, so more workers than cores can be faster on a quiet
# machine (`make check WORKERS=4`); one per core is the default because the suite must also
# pass with other work on the machine (CI, two CPU burners beside it). --dist worksteal: a
# worker that runs out of tests takes queued ones from another, so one long test does not
# hold the end. `make test` is everything (what .ci/run calls); `make check` is lint, types
# and every test not marked slow (the quick loop while working).
WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -q -n $(WORKERS) --dist worksteal

test: $(STAMP) lint
	$(PYTEST)

check: $(STAMP) lint
	$(PYTEST) -m "not slow"

# The installed package is `issdash` (app/ with widgets/ and feeds/ inside it, see
# pyproject.toml). The editable install finds it through an import hook that mypy and
# import-linter cannot follow, so they read a tree of links with the installed layout.
LINKS := $(VENV)/src-link
links: $(RUNTIME_STAMP)
	$(BIN)/python scripts/link_tree.py $(LINKS)

lint: $(STAMP) links
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	PYTHONPATH=$(LINKS) $(BIN)/lint-imports --no-cache

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

# Every budget of docs/performance.md, each against its floor in the same run, 5 runs each
# (about 15 minutes; exit 1 on a missed budget). ARGS=--quick: one run of each (3-4 min);
# ARGS="--only frames,status": some groups. Run `make soak` first for the 24 h growth row.
bench: $(STAMP) bytecode
	$(BIN)/python scripts/bench.py $(ARGS)

# Issue 25's figures (docs/orbit-accuracy.md): OEM interpolation error on held-out states, TLE
# vs OEM after days, pass times vs a direct computation; reads ../shared/reference (~30-60 s).
figures: $(RUNTIME_STAMP)
	$(BIN)/python scripts/orbit_figures.py $(ARGS)

# 10 browser sessions of `issdash serve` against a counting upstream (about 2.5 minutes).
bench-serve: $(STAMP) bytecode
	$(BIN)/python scripts/serve_bench.py $(ARGS)

# A day of simulated time with random feed faults, headless (a few minutes).
soak: $(STAMP)
	$(BIN)/python scripts/soak.py --hours 24 --speed 600 --json soak-results.json

clean:
	rm -rf $(VENV) build *.egg-info
