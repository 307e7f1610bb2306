# kubesage: `make demo` and `make test` are all a fresh machine needs (python3 only).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install install-embeddings demo test lint typecheck bench eval clean cluster-build cluster-up cluster-down demo-apply

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install kubesage (editable) with dev extras

# Optional dense retrieval (kubesage[embeddings]). PyPI's torch wheels for Linux are CUDA builds of
# several GB, so this target never picks a torch by itself: it needs a CPU build already installed
# in the venv, or TORCH_INDEX_URL pointing at an index that serves one.
install-embeddings: $(STAMP)
	@if $(BIN)/python -c "import torch" 2>/dev/null; then :; \
	elif [ -n "$$TORCH_INDEX_URL" ]; then $(BIN)/python -m pip install --quiet torch --index-url "$$TORCH_INDEX_URL"; \
	else echo "install-embeddings: no CPU build of torch here; install one into $(VENV) or set TORCH_INDEX_URL (PyPI's torch is a multi-GB CUDA build)" >&2; exit 1; fi
	$(BIN)/python -m pip install --quiet -e '.[dev,embeddings]'

demo: $(STAMP) ## analyze, then explain offline (kb backend, cited runbooks), the bundled broken demo cluster
	$(BIN)/kubesage analyze --snapshot examples/demo-cluster
	$(BIN)/kubesage analyze --snapshot examples/demo-cluster --explain --backend kb --no-cache

lint: $(STAMP) ## ruff + mypy
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

typecheck: lint

test: lint cluster-build ## lint, type-check, build the test cluster (cached), then the test suite
	$(BIN)/python -m pytest

# A real Kubernetes on loopback (tools/cluster.py): binaries built once from their Go
# modules into ~/.cache/kubesage/cluster/; the real test tier and `make bench` use them.
cluster-build: ## build (or reuse) kube-apiserver, etcd, controllers, kubectl, kwok, helm, kubeconform
	$(PYTHON) tools/cluster.py build $(if $(CI),,--soft)

cluster-up: ## start the test cluster; admin kubeconfig in .cluster/kubeconfig
	$(PYTHON) tools/cluster.py build
	$(PYTHON) tools/cluster.py up

cluster-down: ## stop every process cluster-up/demo-apply started and remove .cluster/
	$(PYTHON) tools/cluster.py down

demo-apply: $(STAMP) ## a cluster (no controllers) holding examples/demo-cluster, in .cluster/
	$(PYTHON) tools/cluster.py build
	$(BIN)/python tools/cluster.py demo

bench: $(STAMP) ## benchmarks: 100k-object analysis and more
	$(BIN)/python benchmarks/run.py

eval: $(STAMP) ## offline evaluation, dev + held-out test set, + gate (kb backend); report in eval-report/
	$(BIN)/kubesage eval --test

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
