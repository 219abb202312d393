# Two commands set everything up: `make demo` trains a model, `make test` checks the library.
VENV   := .venv
PY     := $(VENV)/bin/python
BASE   := $(VENV)/.installed-base
STAMP  := $(VENV)/.installed-test

.PHONY: demo test browser lint typecheck pytest slow bench clean

# The demo needs groundup and its run-time dependencies only.
$(BASE): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(BASE)

# The tests add the test extra: torch is pinned to the local CPU build (any other spelling
# pulls CUDA wheels), ruff, mypy, pytest.
$(STAMP): $(BASE)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(BASE)
	$(VENV)/bin/groundup train --model mlp --dataset digits

test: $(STAMP) browser lint typecheck pytest

# The lab report's browser test drives Debian's headless Chromium; install it when missing
# (the test skips, with its reason, where it cannot be installed).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  ( $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends chromium >/dev/null ) \
	  || echo "chromium could not be installed: the browser test will be skipped"; }

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks tools examples

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
