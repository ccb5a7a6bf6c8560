"""Field solves of the repeating unit that sizing and its cold-control trade share: one solve, the
coldest protected point, and the heater search (each may take a ``variant``: a function that edits
the generated case text, e.g. to add louvers, gas-loaded pipes or thermostat heaters)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermal.apps.sizing.unit_case import unit_case_text
from thermal.apps.sizing.solve_cache import cached_solve
from thermal.errors import ThermalError
from thermal.input.case_file import parse_case

MAX_EVALS = 25


@dataclass
class UnitSolve:
    length_m: float
    tj_k: float
    result: object
    text: str


def solve_unit(spec, env, length, power, mode="steady", heater=0.0, variant=None, refine=1):
    text = unit_case_text(spec, env, length, power, mode=mode, heater_w=heater, refine=refine)
    if variant is not None:
        text = variant(text)
    case = parse_case(text, f"<{spec.name} repeating unit>")
    result = cached_solve(case)
    return UnitSolve(length, float(result.chips["coldplate.chip"]["t_max"].max()), result, text)


FREEZE_MARGIN_K = 10.0  # a pumped loop's coolant is kept this far above its freezing point in the cold case


def cold_min(spec, result) -> float:
    """The coldest protected point, as a temperature to hold at min_temperature: the cold plate (and
    chip) and every pipe's vapour; a loop's coolant must stay FREEZE_MARGIN_K above freezing rather
    than above min_temperature (a radiator's ammonia at -40 degC is fine, at -70 degC it is not), so
    its coldest point counts shifted by that difference."""
    t = [float(np.nanmin(result.fields["coldplate"]))]
    t += [float(np.min(p["t_vapour"])) for p in result.heat_pipes.values() if len(p["t_vapour"])]
    for rec in result.loops.values():
        if len(rec["t_min"]):
            floor = rec["t_freeze_k"] + FREEZE_MARGIN_K
            t.append(float(np.min(rec["t_min"])) - floor + spec.min_temperature_k)
    return min(t)


def heater_search(spec, env, length, power, target_k, progress, variant=None):
    """(unit, heater power per chip) that puts the coldest protected point at ``target_k`` (0 W if
    already above): a bracketed regula falsi on the heater power."""

    def f(heater):
        try:
            u = solve_unit(spec, env, length, power, heater=heater, variant=variant)
        except ThermalError as exc:
            if "frozen" in str(exc):
                return None, -100.0  # the fluid would freeze: far too cold
            raise
        cmin = cold_min(spec, u.result)
        if progress is not None:
            where = (f"protected points {cmin - target_k:+.2f} K from their floors (cold plates "
                     f"{target_k - 273.15:.0f} degC, coolant {FREEZE_MARGIN_K + target_k - spec.min_temperature_k:g} K "
                     "above freezing)"
                     if spec.architecture == "pumped_loop" else f"coldest {cmin - 273.15:.2f} degC")
            progress(f"cold case: heater {heater:.1f} W per chip, {where}")
        return u, cmin - target_k

    u, f0 = f(0.0)
    if f0 >= 0:
        heater, unit = 0.0, u
    else:
        lo, hi = (0.0, f0), None
        q = max(spec.chip_power_w * 0.25, 1.0)
        unit = None
        for _ in range(MAX_EVALS):
            u, fq = f(q)
            if u is not None and abs(fq) <= 0.05:
                unit = u
                break
            if fq < 0:
                lo = (q, fq)
            else:
                hi = (q, fq)
            if hi is None:
                q *= 2.0
            else:
                (q1, f1), (q2, f2) = lo, hi
                q = q1 - f1 * (q2 - q1) / (f2 - f1)
        if unit is None:
            raise ThermalError(f"{spec.file}: the cold-case heater power did not converge")
        heater = q
    return unit, heater
