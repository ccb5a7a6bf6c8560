"""thermal: radiator and heat-rejection solver for orbital compute.

Python API::

    import thermal
    case = thermal.load_case("cases/gpu_radiator.toml")
    result = thermal.solve(case)
    result.write("out.h5")

The package tree follows the data flow (each stage imports only the stages before it)::

    constants, errors -> model -> physics -> input -> build -> kernels -> solvers -> output -> apps -> cli
"""
from thermal.apps.solve import solve
from thermal.constants import VERSION as __version__
from thermal.input.case_file import load_case, parse_case
from thermal.output.results import Result, read_result

__all__ = ["__version__", "load_case", "parse_case", "solve", "Result", "read_result"]
