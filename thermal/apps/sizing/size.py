"""`thermal size`: radiator area and mass for a compute power, verified by the field solver.

1. Design environments over the year (hot: most absorbed, end-of-life optics, hot fluxes, maximum
   power; cold: least absorbed, beginning-of-life optics, cold fluxes, idle power).
2. The first estimate (thermal/apps/sizing/estimate.py): closed forms, the radiator length per chip.
3. The field solver on the repeating unit (thermal/apps/sizing/unit_case.py) iterated on the radiator length
   (Illinois regula falsi on Tj(L) - target, bracketed) until the hottest junction is on target to
   0.02 K in the hot case (orbit-average steady state; where the orbit has eclipses, the
   orbit-periodic state is then solved and the steady target lowered by its overshoot, once).
4. The cold case at that length: the heater power on the cold plate that keeps the cold plate and
   the pipes' vapour at or above min_temperature (again checked on the orbit-periodic state where
   the orbit has eclipses).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from thermal.apps.sizing.estimate import (
    Estimate,
    choose_pitch,
    design_environment,
    estimate,
    film_w_mk,
    header_hydraulics,
    masses,
    pipe_for,
    stack_drops_k,
)
from thermal.apps.sizing.control import control_trade
from thermal.apps.sizing.neighbourhood import neighbourhood_penalty
from thermal.apps.sizing.input import load_sizing
from thermal.apps.sizing.unit_case import unit_case_text
from thermal.apps.sizing.unit_solves import MAX_EVALS, UnitSolve, cold_min, heater_search, solve_unit
from thermal.apps.sizing.solve_cache import cached_solve
from thermal.errors import ThermalError
from thermal.input.case_file import parse_case

T_TOL_K = 0.02
STARVED_FRACTION = 0.01  # a unit the headers give less of its design flow is starved: no field solve of it
PERIODIC_TOL_K = 0.1
PERIODIC_ROUNDS = 4


class ImpossibleDesign(ThermalError):
    """The request cannot be met at any radiator size; the message says which part uses up the margin."""


@dataclass
class SizingResult:
    spec: object
    hot_env: object
    cold_env: object
    estimate: Estimate
    length_m: float
    hot: UnitSolve
    cold: UnitSolve | None
    heater_w_per_chip: float
    cold_min_k: float
    mass_kg: dict
    evaluations: list = field(default_factory=list)  # (length, Tj) of every hot-case field solve
    periodic_hot: dict | None = None  # {"tj_max_k", "overshoot_k", "orbits"}
    periodic_cold: dict | None = None
    wall_s: float = 0.0
    at_estimate: UnitSolve | None = None  # the field solve at the first estimate's length
    pitch_scan: list | None = None  # pipe_pitch = "auto": (pitch, estimated mass, area) of the scan
    neighbourhood: dict | None = None  # apps/sizing/neighbourhood.py: the wing with its surroundings
    margins: dict | None = None  # margin_costs(): each margin's cost, N-1, installed heater power
    control: dict | None = None  # apps/sizing/control.py: the cold case with thermostats, VCHPs, louvers
    mesh_check: dict | None = None  # mesh_check(): the hot unit refined once
    targets: list = field(default_factory=list)  # the junction target each field solve aimed at
    worst_unit: dict | None = None  # pumped loop: worst_fed_unit(), the unit the headers feed least

    def __repr__(self) -> str:
        return (f"<SizingResult {self.spec.name!r}: {self.area_m2:.4g} m2 of radiator, {self.mass_kg['total']:.4g} kg, "
                f"Tj {self.tj_k - 273.15:.2f} degC (margin {self.margin_k:.2f} K), heaters "
                f"{self.heater_w_per_chip:.4g} W per chip>")

    @property
    def design_length_m(self) -> float:
        """The radiator length with the policy's area margin (the sized length when none)."""
        return self.length_m * (1.0 + self.spec.margins.area)

    @property
    def design_area_m2(self) -> float:
        return self.area_m2 * (1.0 + self.spec.margins.area)

    @property
    def installed_heater_w_per_chip(self) -> float:
        return self.heater_w_per_chip * (1.0 + self.spec.margins.heater)

    @property
    def area_with_neighbourhood_m2(self) -> float | None:
        return self.area_m2 * self.neighbourhood["area_factor"] if self.neighbourhood else None

    @property
    def mass_with_neighbourhood_kg(self) -> float | None:
        """Panel and heat pipes scale with the radiator's area; the cold plates do not."""
        if not self.neighbourhood:
            return None
        m = self.mass_kg
        transport = m.get("heat_pipes", 0.0) + m.get("loop_tubes", 0.0) + m.get("loop_fluid", 0.0)
        return m["total"] + (self.neighbourhood["area_factor"] - 1.0) * (m["panel"] + transport)

    @property
    def area_m2(self) -> float:
        s = self.spec
        return s.chips * s.pipes_per_chip * s.pipe_pitch_m * self.length_m

    @property
    def tj_k(self) -> float:
        return self.periodic_hot["tj_max_k"] if self.periodic_hot else self.hot.tj_k

    @property
    def margin_k(self) -> float:
        return self.spec.junction_limit_k - self.tj_k


def _chain_message(spec, est_env, materials, power):
    """Why no area works: the junction-to-pipe chain at full power against the room to the sink."""
    drops = stack_drops_k(spec, materials, spec.target_k, power)
    if spec.architecture == "pumped_loop":
        drops["coolant rise / 2"] = 0.5 * spec.loop.coolant_rise_k
    else:
        drops["evaporator"] = power / spec.pipes_per_chip / (film_w_mk(spec, materials, spec.target_k)
                                                             * spec.plate_x_m)
    chain = sum(drops.values())
    room = spec.target_k - est_env.effective_sink_k
    parts = ", ".join(f"{k} {v:.1f} K" for k, v in drops.items())
    return (f"{spec.file}: the junction limit cannot be met at any radiator area: with {power:.0f} W per chip the "
            f"chip stack and {'coolant' if spec.architecture == 'pumped_loop' else 'heat pipes'} alone need "
            f"{chain:.1f} K ({parts}) while the target "
            f"{spec.target_k - 273.15:.1f} degC is only {room:.1f} K above the effective sink "
            f"{est_env.effective_sink_k:.1f} K of the hot case; lower the power per chip, improve the stack, or "
            "raise the limit")


class _LengthSearch:
    """The hot-case radiator length that puts the hottest junction on a target: field solves of the
    repeating unit, bracketed, then Illinois regula falsi on f(L) = Tj(L) - target (f falls with L)."""

    def __init__(self, spec, env, power_w, progress):
        self.spec, self.env, self.power_w, self.progress = spec, env, power_w, progress
        self.evaluations = []  # (length, Tj) of every field solve
        self.targets = []  # the junction target each of them was made for (a retargeted pass aims lower)
        self.first_unit = None  # the first field solve (at the estimate's length)

    def tj_at(self, length, target):
        try:
            u = solve_unit(self.spec, self.env, length, self.power_w)
        except ThermalError as exc:  # a radiator too small (supercritical) or pipes dried out and frozen
            if "critical point" in str(exc) or "frozen" in str(exc):
                self.evaluations.append((length, math.inf))
                self.targets.append(target)
                return None, 1e3
            raise
        self.evaluations.append((length, u.tj_k))
        self.targets.append(target)
        if self.first_unit is None:
            self.first_unit = u
        if self.progress is not None:
            self.progress(f"hot case: L = {length:.3f} m per unit, Tj = {u.tj_k - 273.15:.2f} degC")
        return u, u.tj_k - target

    def solve(self, target, first):
        """The unit on target, or None when no length up to radiator.max_length gets there."""
        spec = self.spec
        bracket = self._known_bracket(target)
        if bracket is not None:  # a later pass (retargeted): the earlier solves already bracket it
            return self._regula_falsi(target, *bracket)
        length = min(first, spec.max_length_m)
        u, f = self.tj_at(length, target)
        if abs(f) <= T_TOL_K:
            return u
        a = b = None  # a: too hot (f > 0), b: too cold (f < 0)
        if f > 0:
            a = (length, f)
            step = 1.5
            while b is None:
                if length >= spec.max_length_m or step < 1.01:
                    return None
                trial = min(length * step, spec.max_length_m)
                u, f = self.tj_at(trial, target)
                if abs(f) <= T_TOL_K:
                    return u
                if f < 0:
                    b = (trial, f)
                elif f > a[1]:
                    # more radiator made it hotter: the longer pipes are past their transport limit
                    # and dry out; look closer to the last length
                    step = 1.0 + (step - 1.0) / 3.0
                else:
                    a, length = (trial, f), trial
        else:
            b = (length, f)
            while a is None:
                length *= 0.7
                u, f = self.tj_at(length, target)
                if abs(f) <= T_TOL_K:
                    return u
                (a, b) = ((length, f), b) if f > 0 else (None, (length, f))
        return self._regula_falsi(target, a, b)

    def _known_bracket(self, target):
        """((L, f) too hot, (L, f) too cold) from the solves made so far, when the hottest-but-longest
        too-hot one is shorter than the shortest too-cold one (Tj falls with L there); else None."""
        known = [(length, tj - target) for length, tj in self.evaluations if math.isfinite(tj)]
        hot = [e for e in known if e[1] > 0]
        cold = [e for e in known if e[1] < 0]
        if not hot or not cold:
            return None
        a, b = max(hot), min(cold)
        return (a, b) if a[0] < b[0] else None

    def _regula_falsi(self, target, a, b):
        side = 0
        for _ in range(MAX_EVALS):
            (la, fa), (lb, fb) = a, b
            length = lb - fb * (lb - la) / (fb - fa)
            u, f = self.tj_at(length, target)
            if abs(f) <= T_TOL_K or abs(la - lb) <= 1e-9 * length:
                return u
            if f > 0:
                a = (length, f)
                if side == 1:  # the same end moved twice: halve the other's weight (Illinois)
                    b = (lb, fb / 2)
                side = 1
            else:
                b = (length, f)
                if side == -1:
                    a = (la, fa / 2)
                side = -1
        raise ThermalError(f"{self.spec.file}: the radiator length did not converge in {MAX_EVALS} field solves "
                           f"(last Tj {f + target - 273.15:.2f} degC vs target {target - 273.15:.2f} degC)")


def _chosen_pitch(spec, hot_env, p_hot, progress):
    """pipe_pitch = "auto": the spec with the pitch of least estimated mass, and the scan."""
    if spec.pitch_range_m is None:
        return spec, None
    chosen, pitch_scan = choose_pitch(spec, spec.materials, hot_env, p_hot)
    if chosen is None:
        lo, hi = spec.pitch_range_m
        raise ImpossibleDesign(f"{spec.file}: no pipe pitch in {lo * 1e3:.0f}-{hi * 1e3:.0f} mm "
                               "(radiator.pipe_pitch_range) works in the first estimate: the junction chain, the "
                               "pipes' transport limit or radiator.max_length rules every one out")
    if progress is not None:
        progress(f"pipe pitch {chosen.pipe_pitch_m * 1e3:.1f} mm: least estimated mass in "
                 f"{chosen.pitch_range_m[0] * 1e3:.0f}-{chosen.pitch_range_m[1] * 1e3:.0f} mm")
    return chosen, pitch_scan


def _checked_estimate(spec, hot_env, p_hot) -> Estimate:
    est = estimate(spec, spec.materials, hot_env, spec.target_k, p_hot)
    if est is None:
        raise ImpossibleDesign(_chain_message(spec, hot_env, spec.materials, p_hot))
    if est.pipe_load_w > est.pipe_limit_w:
        need = math.ceil(p_hot / est.pipe_limit_w)
        raise ImpossibleDesign(
            f"{spec.file}: the heat pipes cannot carry the load: at the estimated radiator length "
            f"({est.length_m:.2f} m per unit, {est.area_m2:.1f} m2) each of the {spec.pipes_per_chip} pipes per chip "
            f"would carry {est.pipe_load_w:.0f} W against a transport limit of {est.pipe_limit_w:.0f} W; use at least "
            f"{need} pipes per chip (heat_pipes.per_chip, then a wider unit and shorter pipes), a pipe with more "
            "capacity, or a wider pitch")
    return est


def _periodic_peak_on_target(search, unit, progress):
    """Where the hot orbit has an eclipse the orbit-periodic peak sits above the orbit-average state:
    lower the steady target by the overshoot and size again, until the periodic peak is on target
    (the overshoot itself changes a little with the length, hence a few rounds)."""
    spec = search.spec
    target = spec.target_k
    rounds = []  # (length, steady target, steady Tj, periodic peak Tj) of each pass
    for _ in range(PERIODIC_ROUNDS):
        per = solve_unit(spec, search.env, unit.length_m, search.power_w, mode="periodic")
        rounds.append((unit.length_m, target, unit.tj_k, per.tj_k))
        if progress is not None:
            progress(f"hot case, orbit-periodic: L = {unit.length_m:.3f} m, peak Tj = {per.tj_k - 273.15:.2f} degC")
        if abs(per.tj_k - spec.target_k) <= PERIODIC_TOL_K:
            break
        target -= per.tj_k - spec.target_k
        unit = search.solve(target, unit.length_m)
    return unit, {"tj_max_k": per.tj_k, "overshoot_k": per.tj_k - unit.tj_k,
                  "orbits": per.result.attrs["periodic_orbits"], "result": per.result, "rounds": rounds}


def size(spec, progress=None) -> SizingResult:
    """Size the radiator a sizing file asks for: ``spec`` is the file's path or its loaded
    SizingSpec (apps/sizing/input.py); ``progress(message)`` hears each stage."""
    if isinstance(spec, (str, Path)):
        spec = load_sizing(spec)
    start = time.perf_counter()
    hot_env = design_environment(spec, "hot")
    cold_env = design_environment(spec, "cold")
    p_hot = spec.chip_power_w * spec.hot_power_factor
    spec, pitch_scan = _chosen_pitch(spec, hot_env, p_hot, progress)
    est = _checked_estimate(spec, hot_env, p_hot)
    search = _LengthSearch(spec, hot_env, p_hot, progress)
    unit = search.solve(spec.target_k, est.length_m)
    if unit is None:
        evaluations = search.evaluations
        last = evaluations[-1][1]
        longest = max(e[0] for e in evaluations)
        raise ImpossibleDesign(
            f"{spec.file}: no radiator length up to {longest:.2f} m per repeating unit (radiator.max_length = "
            f"{spec.max_length_m:g} m) brings the junction down to the target {spec.target_k - 273.15:.1f} degC "
            f"(last {last - 273.15:.1f} degC): " + _limited_by(evaluations, spec))
    periodic_hot = None
    if hot_env.eclipse_fraction > 0:
        unit, periodic_hot = _periodic_peak_on_target(search, unit, progress)
    cold, heater, cold_min, periodic_cold = _cold_case(spec, cold_env, unit.length_m, progress)
    pipe = pipe_for(spec, unit.length_m) if spec.architecture == "heat_pipes" else None
    res = SizingResult(spec, hot_env, cold_env, est, unit.length_m, unit, cold, heater, cold_min,
                       masses(spec, spec.materials, unit.length_m, pipe),
                       search.evaluations, periodic_hot,
                       periodic_cold, at_estimate=search.first_unit, pitch_scan=pitch_scan, targets=search.targets)
    if spec.architecture == "pumped_loop" and spec.chips > 1:
        res.worst_unit = worst_fed_unit(res, p_hot, progress)
    if spec.neighbourhood is not None:
        res.neighbourhood = neighbourhood_penalty(spec, hot_env, res.area_m2, spec.chips * p_hot, progress)
    res.mesh_check = mesh_check(res, search, p_hot, progress)
    if spec.margins.any:
        res.margins = margin_costs(res, progress)
    if spec.cold_control:
        res.control = control_trade(res, progress)
    res.wall_s = time.perf_counter() - start
    return res


def worst_fed_unit(res, p_hot, progress=None) -> dict:
    """The unit the headers feed least (estimate.header_hydraulics: the headers' drops solved with
    the units' at the field's unit drop), solved in the field at the design length with that flow:
    its coolant rises more, so its junction runs hotter than the sized unit's.  Its peak is the
    sized peak plus the steady difference (the orbit's overshoot taken as the same).  The sizing
    does not lengthen the radiator for it: if it runs over the limit the headers must change."""
    spec = res.spec
    unit_dp = float(np.mean(res.hot.result.loops["coolant"]["pump_head"]))
    hh = header_hydraulics(spec, unit_dp)
    fraction = hh["worst_fraction"]
    if fraction < STARVED_FRACTION:
        raise ImpossibleDesign(f"{spec.file}: the headers ({spec.loop.header_layout.replace('_', ' ')}, "
                               f"{spec.loop.header_inner_m * 1e3:.3g} mm, {hh['drop_pa'] / 1e3:.4g} kPa against a "
                               f"unit's {unit_dp / 1e3:.4g} kPa) leave the farthest units with no flow "
                               f"({100 * fraction:.2g} % of the design's): widen them, use reverse return or more loops")
    starved = replace(spec, loop=replace(spec.loop, coolant_rise_k=spec.loop.coolant_rise_k / fraction))
    unit = solve_unit(starved, res.hot_env, res.length_m, p_hot)
    rise = unit.tj_k - res.hot.tj_k
    tj = res.tj_k + rise
    if progress is not None:
        progress(f"worst-fed unit: {100 * fraction:.1f} % of the design flow, Tj {tj - 273.15:.2f} degC")
    return {"fraction": fraction, "best_fraction": float(hh["unit_flow_fraction"].max()), "layout": hh["layout"],
            "unit_dp_pa": unit_dp, "tj_k": tj, "tj_rise_k": rise, "margin_k": spec.junction_limit_k - tj,
            "unit": unit, "headers": hh}


def mesh_check(res, search, p_hot, progress=None) -> dict:
    """The hot case's steady unit at the sized length with every in-plane cell count doubled: how
    far the junction moves, and the area that would take back (through the slope dTj/dL of the
    length search's two solves nearest the answer)."""
    spec = res.spec
    fine = solve_unit(spec, res.hot_env, res.length_m, p_hot, refine=2)
    delta = fine.tj_k - res.hot.tj_k
    near = sorted(search.evaluations, key=lambda e: abs(e[0] - res.length_m))[:2]
    slope = (near[0][1] - near[1][1]) / (near[0][0] - near[1][0]) if len(near) == 2 and near[0][0] != near[1][0] \
        else float("nan")
    d_length = -delta / slope if slope and np.isfinite(slope) else float("nan")
    if progress is not None:
        progress(f"mesh check: refined x2 in plane, Tj {fine.tj_k - 273.15:.3f} degC ({delta:+.3f} K)")
    return {"tj_k": fine.tj_k, "delta_tj_k": delta, "delta_area_m2": res.area_m2 * d_length / res.length_m,
            "nodes": int(fine.result.attrs["n_nodes"]), "nodes_base": int(res.hot.result.attrs["n_nodes"])}


def margin_costs(res, progress=None) -> dict:
    """What each margin of the policy costs, and the N-1 check it asks for.

    Hot uncertainty: the estimate's length at the target with and without it, its ratio applied to
    the field-verified length (the field's correction of the estimate is taken as the same at both
    targets).  Area: the added share.  Cold uncertainty: the heater the cold case needs at
    min_temperature without it (a steady field solve) against the one it needs with it.  Heater: the
    installed power over the needed.  N-1 (heat pipes): the repeating unit in the hot case with its
    first pipe failed, at the sized length."""
    spec, m = res.spec, res.spec.margins
    p_hot = spec.chip_power_w * spec.hot_power_factor
    pipe = (lambda length: pipe_for(spec, length)) if spec.architecture == "heat_pipes" else (lambda length: None)
    rows = []
    if m.hot_k:
        lean = estimate(spec, spec.materials, res.hot_env, spec.target_k + m.hot_k, p_hot)
        length0 = res.length_m * lean.length_m / res.estimate.length_m
        area0 = res.area_m2 * length0 / res.length_m
        mass0 = masses(spec, spec.materials, length0, pipe(length0))["total"]
        rows.append(("hot uncertainty", f"{m.hot_k:g} K off the junction target", res.area_m2 - area0,
                     res.mass_kg["total"] - mass0, 0.0, "estimate ratio x field length"))
    design_mass = masses(spec, spec.materials, res.design_length_m, pipe(res.design_length_m))
    if m.area:
        rows.append(("radiator area", f"+{100 * m.area:g} %", res.design_area_m2 - res.area_m2,
                     design_mass["total"] - res.mass_kg["total"], 0.0, "added to the verified area"))
    if m.cold_k:
        power = spec.chip_power_w * spec.idle_fraction
        _, heater0 = heater_search(spec, res.cold_env, res.length_m, power, spec.min_temperature_k, progress)
        rows.append(("cold uncertainty", f"{m.cold_k:g} K above min_temperature", 0.0, 0.0,
                     spec.chips * (res.heater_w_per_chip - heater0), "steady field solve without it"))
    if m.heater:
        rows.append(("heater power", f"+{100 * m.heater:g} % installed", 0.0, 0.0,
                     spec.chips * (res.installed_heater_w_per_chip - res.heater_w_per_chip), "installed - needed"))
    n_minus_1 = None
    if m.pipe_transport and spec.architecture == "heat_pipes" and spec.pipes_per_chip > 1:
        n_minus_1 = _n_minus_1(res, p_hot)
        if progress is not None:
            progress(f"N-1: one heat pipe of {spec.pipes_per_chip} failed: Tj {n_minus_1['tj_k'] - 273.15:.2f} degC, "
                     f"the others at {100 * n_minus_1['utilisation']:.0f} % of their limit")
    return {"rows": rows, "design_mass_kg": design_mass, "n_minus_1": n_minus_1}


def _n_minus_1(res, p_hot) -> dict:
    spec = res.spec
    text = unit_case_text(spec, res.hot_env, res.length_m, p_hot).replace("[heat_pipes.hp1]\n",
                                                                           "[heat_pipes.hp1]\nfailed = true\n", 1)
    result = cached_solve(parse_case(text, f"<{spec.name} repeating unit, N-1>"))
    use = max(float(np.nanmax(p["utilisation"])) for name, p in result.heat_pipes.items() if name != "hp1")
    tj = float(result.chips["coldplate.chip"]["t_max"].max())
    allowed = 1.0 / (1.0 + spec.margins.pipe_transport)
    dried = [n for n, p in result.heat_pipes.items() if p["dried"]]
    return {"tj_k": tj, "utilisation": use, "allowed": allowed, "passed": use <= allowed and tj <= spec.junction_limit_k
            and not dried, "dried": dried}


def _limited_by(evaluations, spec=None) -> str:
    best = min(evaluations, key=lambda e: e[1])
    if spec is not None and spec.architecture == "pumped_loop":
        return (f"the coolest junction found was {best[1] - 273.15:.1f} degC at {best[0]:.2f} m per unit; the chain "
                "from the junction to the coolant leaves too little room above the sink: a smaller coolant_rise, a "
                "wider bore or a better chip stack")
    return (f"the coolest junction found was {best[1] - 273.15:.1f} degC at {best[0]:.2f} m per unit; beyond that "
            "a longer radiator means longer heat pipes, which pass their transport limit and dry out (the "
            "junction gets hotter, not cooler); add pipes per chip or use pipes with more capacity")


def _cold_case(spec, env, length, progress):
    """Heater power per chip so the coldest protected point sits at min_temperature (0 if already
    above); on an orbit with eclipses the periodic state is checked and the heater found again for
    a steady target raised by the periodic undershoot (once)."""
    power = spec.chip_power_w * spec.idle_fraction
    unit, heater = heater_search(spec, env, length, power, spec.cold_floor_k, progress)
    periodic = None
    if env.eclipse_fraction > 0:
        per = solve_unit(spec, env, length, power, mode="periodic", heater=heater)
        under = cold_min(spec, unit.result) - cold_min(spec, per.result)
        if cold_min(spec, per.result) < spec.cold_floor_k - 0.05:
            unit, heater = heater_search(spec, env, length, power, spec.cold_floor_k + under, progress)
            per = solve_unit(spec, env, length, power, mode="periodic", heater=heater)
        periodic = {"min_k": cold_min(spec, per.result), "undershoot_k": cold_min(spec, unit.result)
                    - cold_min(spec, per.result), "orbits": per.result.attrs["periodic_orbits"], "result": per.result}
    return unit, heater, cold_min(spec, unit.result), periodic
