# Two commands on a fresh machine with only python3: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export NUMBA_CACHE_DIR ?= $(CURDIR)/.cache/numba
export MPLCONFIGDIR ?= $(CURDIR)/.cache/matplotlib
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: run run-case test test-nojit validate bench install clean paraview-check

$(STAMP): pyproject.toml
	@echo "installing thermal and its dependencies into $(VENV) (numpy, numba, scipy, h5py, pint, CoolProp,"
	@echo "pyamg, dask, matplotlib, pytest...; a few minutes on a fresh machine, pip shows each download)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install --progress-bar on -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# The main job: size the radiator of the flagship 100 kW module (summary printed; report, HDF5 and
# figures in out/flagship/).
run: $(STAMP)
	@[ -d "$(NUMBA_CACHE_DIR)" ] && [ -n "$$(ls -A $(NUMBA_CACHE_DIR) 2>/dev/null)" ] || echo "first run: \
	Numba compiles the solver's kernels as they are first used (cached in $(NUMBA_CACHE_DIR) for later runs)"
	$(VENV)/bin/thermal size cases/sizing/flagship_100kw.toml -o out/flagship

# One case file solved and plotted (the GPU radiator without heat pipes).
run-case: $(STAMP)
	mkdir -p out
	$(VENV)/bin/thermal run cases/gpu_radiator.toml -o out/gpu_radiator.h5
	$(VENV)/bin/thermal plot out/gpu_radiator.h5 -o out/gpu_radiator.png

# Tests run in parallel processes (pytest-xdist), one per core up to 4: each solve keeps its kernels
# on one thread when the machine is busy (thermal/threads.py), so the workers do not oversubscribe.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)

test: $(STAMP)
	$(PY) -m pytest -q -n $(TEST_WORKERS) --durations=15

# The kernels run as plain Python too (Numba's pure-Python semantics), so coverage tools and
# debuggers see them: the whole suite passes that way, less the tests marked jit_speed (minutes
# without compilation: full validation runs, the wheel test, long transients and sweeps; smaller
# tests of the same code stay in).
test-nojit: $(STAMP)
	NUMBA_DISABLE_JIT=1 $(PY) -m pytest -q -n $(TEST_WORKERS) -p no:cacheprovider -m "not slow and not jit_speed"

# The XDMF sidecars opened by a real ParaView (Debian's, through pvbatch) with its default reader and
# the legacy one, values checked against h5py (validation/paraview/check_xdmf.py).  PyPI's vtk wheel
# has no Xdmf3 reader, so ParaView comes from Debian's packages (installed here when missing).
paraview-check: $(STAMP)
	@command -v pvbatch >/dev/null || { SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  echo "installing Debian's paraview (about 1.5 min)"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	  --no-install-recommends paraview python3-paraview >/dev/null; }
	$(PY) validation/paraview/check_xdmf.py

validate: $(STAMP)
	$(VENV)/bin/thermal validate -o out/validation

bench: $(STAMP)
	$(PY) -m pip install -q -e ".[test,bench]"
	$(PY) benchmarks/plate.py

clean:
	rm -rf $(VENV) .cache out
