# Two commands set everything up: `make demo` trains a model, `make test` checks the library.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest slow bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch is pinned to the local CPU build: any other spelling pulls CUDA wheels.
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/groundup train --model mlp --dataset digits

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Two test workers, one BLAS thread each: small matrices gain nothing from more threads and
# two workers with two threads each would oversubscribe the two cores.
pytest: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(VENV)/bin/pytest -n 2

slow: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(VENV)/bin/pytest -n 2 -m slow

bench: $(STAMP)
	$(PY) benchmarks/bench_mlp.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
