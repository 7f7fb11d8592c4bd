# resume-ner: `make run` and `make test` work on a fresh machine (Python 3.11, no GPU, package registries only).
# The environment is rebuilt only when pyproject.toml changes, so re-running a command is quick.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
PIPELINES ?= __default__

export KEDRO_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1

.PHONY: help install install-test run test test-fast test-slow lint format typecheck check viz clean

# What ruff lints and formats.
LINTED := src tests benchmarks

help:
	@echo "make run        create $(VENV), install the project, run the main job (kedro run --pipelines=$(PIPELINES))"
	@echo "make test       install the test extras and run the whole test suite (both tiers)"
	@echo "make test-fast  the fast tier: unit tests and in-memory pipeline tests, no test marked slow (under 90 s)"
	@echo "make test-slow  the slow tier: tests marked slow (real training, kedro run, PostgreSQL, a browser)"
	@echo "make lint       ruff check and ruff format --check on $(LINTED)"
	@echo "make format     ruff format $(LINTED) (rewrites files)"
	@echo "make typecheck  mypy on src and tests (settings in pyproject.toml)"
	@echo "make check      lint, typecheck and the fast tier: what to run before a commit"
	@echo "make viz        build the kedro-viz static site (with dataset previews) into build/"

# torch first and pinned: the CPU build lies on these machines; anything else could pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install torch==2.13.0
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -e ".[test]"
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: $(VENV)/.installed
	$(BIN)/kedro run --pipelines=$(PIPELINES)

test: $(VENV)/.installed-test
	$(BIN)/pytest

# The fast tier's tests are independent: one worker per core (at most 4), each test file on one worker so its
# module fixtures are built once (2 cores: 62 s against 90 s in one process).
test-fast: $(VENV)/.installed-test
	$(BIN)/pytest -m "not slow" -n auto --maxprocesses 4 --dist loadfile

test-slow: $(VENV)/.installed-test
	$(BIN)/pytest -m slow

lint: $(VENV)/.installed-test
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: $(VENV)/.installed-test
	$(BIN)/ruff format $(LINTED)

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

check: lint typecheck test-fast

viz: $(VENV)/.installed
	$(BIN)/kedro viz build --include-previews

clean:
	rm -rf $(VENV) build .viz mlflow.db
