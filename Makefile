# kubesage: `make demo` and `make test` are all a fresh machine needs (python3 only).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install install-embeddings demo test lint typecheck bench eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install kubesage (editable) with dev extras

# Optional dense retrieval (kubesage[embeddings]). torch is pinned first: the CPU build
# pip finds on these machines; an unpinned torch would pull a multi-GB CUDA build.
install-embeddings: $(STAMP)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev,embeddings]'

demo: $(STAMP) ## analyze, then explain offline (kb backend, cited runbooks), the bundled broken demo cluster
	$(BIN)/kubesage analyze --snapshot examples/demo-cluster
	$(BIN)/kubesage analyze --snapshot examples/demo-cluster --explain --backend kb --no-cache

lint: $(STAMP) ## ruff + mypy
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

typecheck: lint

test: lint ## lint, type-check, then the test suite
	$(BIN)/python -m pytest

bench: $(STAMP) ## benchmarks: 100k-object analysis and more
	$(BIN)/python benchmarks/run.py

eval: $(STAMP) ## offline evaluation + gate (kb backend); report in eval-report/
	$(BIN)/kubesage eval

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
