"""thermal: radiator and heat-rejection solver for orbital compute.

Python API::

    import thermal
    case = thermal.load_case("cases/gpu_radiator.toml")
    result = thermal.solve(case)
    result.write("out.h5")
"""
__version__ = "0.1.0"

from .case import load_case, parse_case  # noqa: E402

__all__ = ["__version__", "load_case", "parse_case", "solve", "Result", "read_result"]


def solve(case, **kwargs):
    """Solve a case (steady or transient, as the case says) and return a :class:`Result`."""
    from .driver import solve as _solve

    return _solve(case, **kwargs)


def __getattr__(name):
    if name == "Result":
        from .results import Result

        return Result
    if name == "read_result":
        from .results import read_result

        return read_result
    raise AttributeError(name)
