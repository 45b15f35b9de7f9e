# pmpilot — two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test test-fast fuzz bench lint clean

install: $(STAMP)

# torch is installed first with its exact CPU pin so nothing pulls the CUDA build;
# constraints.txt pins the whole dependency tree, so the resolve is instant and repeatable.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pmpilot demo

# Hypothesis draws a fixed set of examples (profile `ci`, derandomized): the same result on every run.
# Two pytest-xdist workers (one per core); a worker runs whole modules, and modules that share a resource
# (the demo home, the BANKING77 vectors, a Redis database) run on one worker (tests/conftest.py).
# PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= 2
test: $(STAMP)
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Random seeds and 20x the examples for every Hypothesis test; a failing ingest input is saved to
# tests/reliability/fuzz_regressions/ (replayed by `make test`), others print the @example to add.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -p no:cacheprovider -m hypothesis $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit

bench: $(STAMP)
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

lint: $(STAMP)
	$(BIN)/ruff check kernel memory tools agents ui tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info
