"""The one reader of case-file tables: units, ranges, unknown keys and the error that names the
file, the key path, the value and what is allowed (used by case, sizing and sweep files alike)."""
from __future__ import annotations

import difflib
import math

from thermal.errors import CaseError
from thermal.input.units import UnitParseError, in_users_unit, to_si

MISSING = object()  # a required key: no default
MAX_MAGNITUDE_SI = 1e30  # no physical input of this tool comes near (1e30 W, m, Pa, K)


class Table:
    """One TOML table with its file name and key path; every accessor validates and converts."""

    def __init__(self, raw: dict, file: str, path: str = ""):
        self.raw, self.file, self.path = raw, file, path
        self.known: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, value: object, allowed: str) -> CaseError:
        return CaseError(self.file, self.key(name), value, allowed)

    def value(self, name, default):
        self.known.add(name)
        if name in self.raw:
            return self.raw[name]
        if default is MISSING:
            typo = self._close_unknown(name)
            if typo is not None:  # "thicknes" given, "thickness" required: name the typo, not the gap
                raise CaseError(self.file, self.key(typo), self.raw[typo],
                                f"unknown key; did you mean '{name}'? (it is required here)")
            raise CaseError(self.file, self.key(name), "<missing>", "this key is required")
        return default

    def _close_unknown(self, name: str) -> str | None:
        """A key of the file nobody asked for that looks like ``name`` (a typo of it), or None."""
        candidates = [k for k in self.raw if k not in self.known and k != name]
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
        return close[0] if close else None

    def has(self, name: str) -> bool:
        self.known.add(name)
        return name in self.raw

    def quantity(self, name, unit, default=MISSING, *, minimum=None, maximum=None,
                 strict_minimum=False, what="") -> float:
        value = self.value(name, default)
        if value is None or name not in self.raw:
            return value  # a default is already in SI
        return self.convert(name, value, unit, minimum=minimum, maximum=maximum,
                            strict_minimum=strict_minimum, what=what)

    def convert(self, name, value, unit, *, minimum=None, maximum=None, strict_minimum=False, what=""):
        what = f" ({what})" if what else ""
        try:
            si = to_si(value, unit)
        except UnitParseError as exc:
            raise self.error(name, value, f"{exc}{what}") from None
        if not math.isfinite(si) or abs(si) > MAX_MAGNITUDE_SI:
            # 1e300 W would pass every sign check and overflow T^4 inside Newton, far from this key
            raise self.error(name, value, f"must be a finite quantity below {MAX_MAGNITUDE_SI:g} {unit} in "
                             f"magnitude{what}")
        if minimum is not None and (si < minimum or (strict_minimum and si == minimum)):
            bound = ">" if strict_minimum else ">="
            raise self.error(name, value, f"must be {bound} {in_users_unit(minimum, unit, value)}{what}")
        if maximum is not None and si > maximum:
            raise self.error(name, value, f"must be <= {in_users_unit(maximum, unit, value)}{what}")
        return si

    def number(self, name, default=MISSING, *, minimum=None, maximum=None, strict_minimum=False) -> float:
        value = self.value(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.error(name, value, "must be a finite number")
        if minimum is not None and (value < minimum or (strict_minimum and value == minimum)):
            raise self.error(name, value, f"must be {'>' if strict_minimum else '>='} {minimum:g}")
        if maximum is not None and value > maximum:
            raise self.error(name, value, f"must be <= {maximum:g}")
        return float(value)

    def fraction(self, name, default=MISSING) -> float:
        value = self.value(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise self.error(name, value, "must be a number between 0 and 1")
        return float(value)

    def integer(self, name, default=MISSING, *, minimum=None, maximum=None) -> int:
        value = self.value(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, value, "must be a whole number")
        if minimum is not None and value < minimum:
            raise self.error(name, value, f"must be >= {minimum}")
        if maximum is not None and value > maximum:
            raise self.error(name, value, f"must be <= {maximum}")
        return value

    def string(self, name, default=MISSING) -> str:
        value = self.value(name, default)
        if name not in self.raw:
            return value
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, value, "must be a non-empty string")
        return value

    def choice(self, name, allowed, default=MISSING) -> str:
        value = self.value(name, default)
        if value not in allowed:
            raise self.error(name, value, "must be one of " + ", ".join(f"'{a}'" for a in allowed))
        return value

    def boolean(self, name, default=MISSING) -> bool:
        value = self.value(name, default)
        if not isinstance(value, bool):
            raise self.error(name, value, "must be true or false")
        return value

    def pair(self, name, unit, default=MISSING, *, minimum=None, strict_minimum=False) -> tuple[float, float]:
        value = self.value(name, default)
        if value is None:
            return None
        if not isinstance(value, list) or len(value) != 2:
            raise self.error(name, value, f"must be a list of two quantities [x, y] in {unit}")
        return tuple(self.convert(name, v, unit, minimum=minimum, strict_minimum=strict_minimum) for v in value)

    def sub(self, name, default=MISSING) -> "Table | None":
        value = self.value(name, default)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(name, value, "must be a table")
        return Table(value, self.file, self.key(name))

    def subtables(self, name) -> dict[str, "Table"]:
        value = self.value(name, {})
        if not isinstance(value, dict):
            raise self.error(name, value, "must be a table of named tables")
        out = {}
        for key, sub in value.items():
            if not isinstance(sub, dict):
                raise CaseError(self.file, f"{self.key(name)}.{key}", sub, "must be a table")
            out[key] = Table(sub, self.file, f"{self.key(name)}.{key}")
        return out

    def table_list(self, name) -> list["Table"]:
        value = self.value(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(name, value, f"must be an array of tables ([[{self.key(name)}]])")
        return [Table(v, self.file, f"{self.key(name)}[{i}]") for i, v in enumerate(value)]

    def finish(self) -> None:
        """Reject keys nobody asked for: a typo must not silently fall back to a default."""
        unknown = [k for k in self.raw if k not in self.known]
        if unknown:
            allowed = ", ".join(sorted(self.known)) or "no keys"
            close = difflib.get_close_matches(unknown[0], sorted(self.known - set(self.raw)), n=1, cutoff=0.75)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise CaseError(self.file, self.key(unknown[0]), self.raw[unknown[0]],
                            f"unknown key; {hint}allowed here: {allowed}")
