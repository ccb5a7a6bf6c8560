"""thermal: radiator and heat-rejection solver for orbital compute.

Python API (the README's "Python and notebooks" section has a worked example)::

    import thermal
    case = thermal.load_case("cases/gpu_radiator.toml")
    result = thermal.solve(case.with_overrides({"environment.t_sink": "250 K"}))
    result.tj_max(), result.to_table(), thermal.plot.temperature_maps(result)
    result.write("out.h5")
    sized = thermal.size("cases/sizing/two_chips_400w.toml")

The package tree follows the data flow (each stage imports only the stages before it)::

    constants, errors, threads -> model -> physics -> input -> build -> kernels -> solvers -> output -> apps -> cli
"""
from thermal.apps.sizing.input import load_sizing
from thermal.apps.sizing.size import size
from thermal.apps.solve import solve
from thermal.constants import VERSION as __version__
from thermal.input.case_file import load_case, parse_case
from thermal.output import plotting as plot
from thermal.output.results import Result, read_result

__all__ = ["__version__", "load_case", "parse_case", "solve", "Result", "read_result", "size", "load_sizing", "plot"]
