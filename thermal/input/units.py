"""The only module that imports pint: strings with units in, SI floats out.

Case files write quantities as strings ("2 mm", "120 kW", "85 degC", "5 W/m2/K"); a bare number is
taken as already being in the SI unit of the key.  Pint refuses ``Q_("70 degC")`` (offset units
cannot be multiplied), so the number and the unit are split first and built as ``Q_(70, "degC")``.
"""
from __future__ import annotations

import functools
import math
import re
import tokenize

_REGISTRY = None
_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
# "m2", "cm3", "m^2" -> "m**2": engineers write exponents without operators.
_BARE_EXPONENT = re.compile(r"(?<=[A-Za-z])\^?([23])\b")


def registry():
    """The process-wide pint UnitRegistry, created on first use (it costs ~0.1 s)."""
    global _REGISTRY
    if _REGISTRY is None:
        import pint  # deliberately lazy: 0.4 s with its registry, paid only when a unit is parsed

        _REGISTRY = pint.UnitRegistry()
    return _REGISTRY


class UnitParseError(ValueError):
    """A quantity string could not be turned into the requested unit."""


def to_si(value: object, unit: str) -> float:
    """Convert ``value`` ("2 mm", 0.002, "85 degC") to a float in ``unit`` (an SI unit string).

    Raises
    ------
    UnitParseError
        With a message saying what was expected (the dimension of ``unit``).
    """
    if isinstance(value, bool):
        raise UnitParseError(f"expected a quantity in {unit}, got a boolean")
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        result = _string_to_si(value, unit)
    else:
        raise UnitParseError(f"expected a quantity in {unit} such as \"1 {unit}\", got {type(value).__name__}")
    if not math.isfinite(result):
        raise UnitParseError(f"expected a finite quantity in {unit}")
    return result


# The sizing writes and parses one case per field solve: 1 600 conversions of ~80 distinct strings in
# the flagship run, 0.5 ms each through pint.  The cache returns pint's own answer (errors are
# raised afresh: lru_cache keeps no exception).
@functools.lru_cache(maxsize=4096)
def _string_to_si(value: str, unit: str) -> float:
    match = _NUMBER_UNIT.match(value)
    if not match:
        raise UnitParseError(f"expected a number followed by a unit convertible to {unit}")
    number = float(match.group(1))
    unit_text = _BARE_EXPONENT.sub(r"**\1", match.group(2))
    if unit_text.lower() in ("", "si"):
        result = number
    else:
        ureg = registry()
        import pint  # already loaded by registry(); here for its error classes

        try:
            result = float(ureg.Quantity(number, unit_text).to(unit).magnitude)
        except pint.errors.UndefinedUnitError:
            raise UnitParseError(f"unknown unit '{match.group(2)}'; expected a unit convertible to {unit}") from None
        except pint.errors.DimensionalityError:
            raise UnitParseError(f"'{match.group(2)}' is not convertible to {unit}") from None
        except (pint.errors.PintError, ValueError, TypeError, AttributeError, SyntaxError,
                tokenize.TokenError, AssertionError):
            # pint tokenises the unit as Python: "5]degC" ends in a TokenError, "3 m**" in an assert
            # of its expression tree, "W m-2" in a TypeError; its own words mean nothing to a user
            raise UnitParseError(f"cannot read the unit '{match.group(2)}': write units with '*', '/' and "
                                 f"'**' or a bare exponent, e.g. '{_EXAMPLES.get(unit, unit)}'; expected a unit "
                                 f"convertible to {unit}") from None
    return result


_EXAMPLES = {"W/m^2": "W/m2", "W/m2": "W/m2", "W/m/K": "W/m/K", "W/m2/K": "W/m2/K", "K": "degC", "m": "mm",
             "W": "kW", "rad": "deg", "s": "min", "m^2": "m2", "m2": "m2"}


def in_users_unit(si: float, unit: str, value: object) -> str:
    """``si`` (in ``unit``) written in the unit of the user's ``value`` ("90 deg" for the bound of an
    input given in degrees), or in ``unit`` when the value had none or it cannot be converted."""
    try:
        _, user = split_quantity(value)
    except UnitParseError:
        user = ""
    if user and user.lower() != "si":
        try:
            q = registry().Quantity(si, unit).to(_BARE_EXPONENT.sub(r"**\1", user))
            return f"{q.magnitude:.6g} {user}"
        except Exception:  # noqa: BLE001 - any pint failure: fall back to SI, which is never wrong
            pass
    return f"{si:g} {unit}"


def split_quantity(value: object) -> tuple[float, str]:
    """("2.5 mm") -> (2.5, "mm"); a bare number -> (number, "").  Keeps the user's unit, so sweeps
    can sample in it and write values back in it."""
    if isinstance(value, bool):
        raise UnitParseError("expected a quantity, got a boolean")
    if isinstance(value, (int, float)):
        return float(value), ""
    if isinstance(value, str):
        match = _NUMBER_UNIT.match(value)
        if match:
            return float(match.group(1)), match.group(2)
    raise UnitParseError(f"expected a number with an optional unit such as \"2 mm\", got {value!r}")
