"""thermal: radiator and heat-rejection solver for orbital compute.

Python API (the README's "Python and notebooks" section has a worked example)::

    import thermal
    case = thermal.load_case("cases/gpu_radiator.toml")
    result = thermal.solve(case.with_overrides({"environment.t_sink": "250 K"}))
    result.tj_max(), result.to_table(), thermal.plot.temperature_maps(result)
    result.write("out.h5")
    sized = thermal.size("cases/sizing/two_chips_400w.toml")

The package tree follows the data flow (each stage imports only the stages before it)::

    constants, errors, threads, memory -> model -> physics -> input -> build -> kernels -> solvers -> output -> apps -> cli
"""
import importlib

from thermal.constants import VERSION as __version__
from thermal.memory import map_large_arrays

map_large_arrays()  # a solve's large arrays go back to the system when freed (thermal/memory.py)

# The API's names load on first use (PEP 562): ``import thermal.build.network`` runs this file
# first, and importing the whole API here pulled the sizing, output and h5py stack (and
# scipy.optimize) into every process that only builds and solves a network: ~30 MB of a
# benchmark's peak memory and ~0.5 s of its start.
_API = {"load_case": "thermal.input.case_file", "parse_case": "thermal.input.case_file", "solve": "thermal.apps.solve",
        "Result": "thermal.output.results", "read_result": "thermal.output.results", "size": "thermal.apps.sizing.size",
        "load_sizing": "thermal.apps.sizing.input"}

__all__ = ["__version__", "load_case", "parse_case", "solve", "Result", "read_result", "size", "load_sizing", "plot"]


def __getattr__(name):
    if name == "plot":
        return importlib.import_module("thermal.output.plotting")
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'thermal' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
