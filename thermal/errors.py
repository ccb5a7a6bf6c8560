"""Errors a user can act on: each one says where, what and what would be accepted."""
from __future__ import annotations


class ThermalError(Exception):
    """Base of every error the CLI turns into one line and a non-zero exit status."""

    exit_status = 2


class CaseError(ThermalError):
    """A value in a case file is wrong.

    The message names the file, the key path, the offending value and what is allowed, so the
    user can fix the file without reading a traceback.
    """

    def __init__(self, file: str, key: str, value: object, allowed: str):
        self.file, self.key, self.value, self.allowed = str(file), key, value, allowed
        shown = repr(value) if not isinstance(value, str) else f"'{value}'"
        if len(shown) > 80:
            shown = shown[:77] + "..."
        where = f"{self.file}: " if self.file else ""
        if key:
            super().__init__(f"{where}{key} = {shown}: {allowed}")
        else:
            super().__init__(f"{where}{allowed}")


class ConvergenceError(ThermalError):
    """Newton (or a time step) did not converge, or produced a non-finite temperature."""

    exit_status = 3


class EnergyBalanceError(ThermalError):
    """A converged solution whose global energy balance does not close."""

    exit_status = 3


class OutputError(ThermalError):
    """An output location that cannot or must not be written (checked before any solve)."""


class ModelError(ThermalError):
    """The model as built has no solution of the kind asked for (a steady state with no heat sink)."""
