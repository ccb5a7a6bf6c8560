"""The cold case with thermal control, at the sized radiator (``[sizing] cold_control = true``).

Three ways to keep an idle module warm, each solved on the repeating unit against the ideal heater
the sizing found (its power exactly what holds the protected points at the cold floor):

* **thermostat heaters** on the cold plate: 5 K deadband, rated at the installed power; with no
  eclipse in the cold case, steady: the proportional law across the deadband (the cycle's mean);
  with one, orbit-periodic with the thermostat switching at its thresholds (duty and switches per
  orbit);
* **variable-conductance pipes**: each pipe gas-loaded, fully open at the hot case's vapour
  temperature (the hot case is unchanged) and shut at the floor with the gas at the cold radiator's
  temperature without heaters (a cold-biased reservoir): the reservoir volume follows from the
  flat-front balance (physics/vchp.py);
* **louvers** on the radiator faces (a blade louver's effective emittance 0.14 closed, 0.74 open,
  solar absorptance 0.10 closed and the coating's open, between the cold floor and 10 K above the
  hot case's radiator mean): the hot case needs more area at the open emittance (the estimate's
  length ratio on the field-verified length), the cold case is solved at that length.

The louver values are typical of vendor blade louvers, not a product's data: give your own with
``[control] louver_eps``, ``louver_alpha``; louver hardware mass is not included (vendor data).
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from thermal.apps.sizing.estimate import design_environment, estimate, masses, pipe_for
from thermal.apps.sizing.unit_solves import cold_min, heater_search, solve_unit
from thermal.physics.vchp import R_GAS, vapour_pressure_pa

DEADBAND_K = 5.0
LOUVER_EPS = (0.14, 0.74)
LOUVER_ALPHA_CLOSED = 0.10


def _pipe_gas_text(text: str, pipes: int, gas: dict) -> str:
    for k in range(pipes):
        head = f"[heat_pipes.hp{k + 1}]\n"
        table = (f"\n[heat_pipes.hp{k + 1}.gas]\nreservoir_volume = \"{float(gas['volume_m3'])!r} m^3\"\n"
                 f"reservoir_temperature = \"{float(gas['reservoir_k'])!r} K\"\n"
                 f"open_at = \"{float(gas['open_k'])!r} K\"\n")
        text = text.replace(head, table + head, 1) if head in text else text
    return text


def vchp_design(res, cold_bare) -> dict:
    """The gas load: open at the hot case's vapour temperature, shut (the whole condenser blocked)
    at the cold floor with the gas (reservoir and blocked condenser) at the cold radiator's mean
    temperature without heaters (``cold_bare``: the cold unit at idle, no heater): a cold-biased
    reservoir, coupled to the radiator."""
    spec = res.spec
    hot = res.periodic_hot["result"] if res.periodic_hot else res.hot.result
    t_open = min(float(np.min(p["t_vapour"])) for p in hot.heat_pipes.values())
    t_gas = float(np.nanmean(cold_bare.fields["radiator"]))
    floor = spec.cold_floor_k
    p_open, p_floor, p_gas = (vapour_pressure_pa(spec.fluid, t) for t in (t_open, floor, t_gas))
    core = math.pi * (0.5 * spec.vapour_diameter_m) ** 2
    condenser = res.length_m - 2 * min(0.5 * spec.outer_diameter_m, 0.25 * res.length_m)
    # (p_open - p_floor) V_r / T_r = (p_floor - p_gas) A_v L_c / T_g with T_r = T_g
    volume = (p_floor - p_gas) * core * condenser / (p_open - p_floor)
    moles = (p_open - p_gas) * volume / (t_gas * R_GAS)
    return {"open_k": t_open, "reservoir_k": t_gas, "volume_m3": volume, "moles": moles, "condenser_m": condenser}


def _louver_text(text: str, spec, t_closed_k: float, t_open_k: float, alpha_open: float) -> str:
    table = (f"[louvers.blades]\nclosed = \"{float(t_closed_k)!r} K\"\nopen = \"{float(t_open_k)!r} K\"\n"
             f"eps = [{LOUVER_EPS[0]!r}, {LOUVER_EPS[1]!r}]\nalpha = [{LOUVER_ALPHA_CLOSED!r}, {float(alpha_open)!r}]\n\n")
    for side in ("top", "bottom"):
        head = f"[panels.radiator.faces.{side}]\n"
        text = text.replace(head, head + 'louver = "blades"\n', 1)
    return table + text


def _thermostat_text(text: str, power_w: float, floor_k: float) -> str:
    return text + (f"\n[heaters.thermostat]\nheats = \"coldplate.bottom\"\npower = \"{float(power_w)!r} W\"\n"
                   f"control = \"thermostat\"\non_below = \"{float(floor_k)!r} K\"\n"
                   f"off_above = \"{float(floor_k) + DEADBAND_K!r} K\"\n")


def control_trade(res, progress=None) -> dict:
    spec = res.spec
    cold_env = res.cold_env
    idle = spec.chip_power_w * spec.idle_fraction
    rows = [{"name": "ideal heater (the sizing's)", "heater_w": res.heater_w_per_chip, "area_m2": res.area_m2,
             "mass_kg": res.mass_kg["total"], "coldest_k": res.cold_min_k, "note": "holds the floor exactly"}]
    # thermostat heaters rated at the installed power; the thermistor sits at the plate's centre,
    # warmer than the coldest protected point (the vapour) by what the ideal heater's state shows:
    # its set-point is raised by that much
    rated = max(res.installed_heater_w_per_chip, 1.25 * res.heater_w_per_chip, 1.0)
    # an eclipsing cold orbit is solved orbit-periodic, the thermostat switching at its thresholds
    # (smallsat_1kw's unit: 5 orbit integrations, 207 s, against 2 and 27 s without the heater); with
    # no eclipse the steady state's proportional law is the cycle's mean
    mode = "periodic" if cold_env.eclipse_fraction > 0 else "steady"
    plate = res.cold.result.fields["coldplate"][-1, 0]
    offset = float(plate[plate.shape[0] // 2, plate.shape[1] // 2]) - res.cold_min_k
    on_k = spec.cold_floor_k + max(offset, 0.0)
    unit = solve_unit(spec, cold_env, res.length_m, idle, mode=mode,
                      variant=lambda t: _thermostat_text(t, rated, on_k))
    rec = unit.result.heaters["thermostat"]
    mean = rec["energy_j"] / rec["duration_s"] if rec["duration_s"] > 0 else float(rec["power_w"][-1])
    rows.append({"name": f"thermostat heater (plate centre {on_k - 273.15:.1f} to "
                         f"{on_k + DEADBAND_K - 273.15:.1f} degC, {rated:.0f} W rated)",
                 "heater_w": mean, "area_m2": res.area_m2, "mass_kg": res.mass_kg["total"],
                 "coldest_k": cold_min(spec, unit.result),
                 "note": ("steady: the cycle's mean" if mode == "steady" else
                          f"duty {100 * rec['duty']:.0f} %, {rec['switches']} switches per orbit")})
    if progress is not None:
        progress(f"cold control: thermostat {mean:.1f} W per chip")
    if spec.architecture == "heat_pipes":
        gas = vchp_design(res, solve_unit(spec, cold_env, res.length_m, idle).result)
        unit, heater = heater_search(spec, cold_env, res.length_m, idle, spec.cold_floor_k, progress,
                                     variant=lambda t: _pipe_gas_text(t, spec.pipes_per_chip, gas))
        rows.append({"name": f"VCHP (open at {gas['open_k'] - 273.15:.1f} degC, reservoir {gas['volume_m3'] * 1e6:.1f} "
                             f"cm3 at {gas['reservoir_k'] - 273.15:.1f} degC)",
                     "heater_w": heater, "area_m2": res.area_m2, "mass_kg": res.mass_kg["total"],
                     "coldest_k": cold_min(spec, unit.result),
                     "note": f"{gas['moles'] * 1e3:.2f} mmol of gas per pipe; reservoir mass not included"})
        if progress is not None:
            progress(f"cold control: VCHP {heater:.1f} W per chip")
    # louvers: more area for the hot case at the open emittance, then the cold case there
    hot_rad = float(np.nanmean((res.periodic_hot["result"] if res.periodic_hot else res.hot.result).fields["radiator"]))
    t_closed, t_open = spec.cold_floor_k, max(hot_rad + 10.0, spec.cold_floor_k + 5.0)
    p_hot = spec.chip_power_w * spec.hot_power_factor
    open_spec = replace(spec, eps_eol=min(spec.eps_eol, LOUVER_EPS[1]), eps_bol=min(spec.eps_bol, LOUVER_EPS[1]))
    hot_open = design_environment(open_spec, "hot")
    est = estimate(open_spec, spec.materials, hot_open, spec.target_k, p_hot)
    length = res.length_m * est.length_m / res.estimate.length_m if est is not None else math.nan
    if math.isfinite(length):
        unit, heater = heater_search(spec, cold_env, length, idle, spec.cold_floor_k, progress,
                                     variant=lambda t: _louver_text(t, spec, t_closed, t_open, spec.alpha_bol))
        pipe = pipe_for(spec, length) if spec.architecture == "heat_pipes" else None
        rows.append({"name": f"louvers (eps {LOUVER_EPS[0]:g} closed at {t_closed - 273.15:.0f} degC, "
                             f"{LOUVER_EPS[1]:g} open at {t_open - 273.15:.0f} degC)",
                     "heater_w": heater, "area_m2": res.area_m2 * length / res.length_m,
                     "mass_kg": masses(spec, spec.materials, length, pipe)["total"],
                     "coldest_k": cold_min(spec, unit.result),
                     "note": "hot area at the open emittance (estimate ratio); louver hardware mass not included"})
        if progress is not None:
            progress(f"cold control: louvers {heater:.1f} W per chip at {length:.3f} m")
    return {"rows": rows, "chips": spec.chips}
