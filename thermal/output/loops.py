"""/loops/<name>/ in the HDF5 result, and the loop lines of the summary.

Per loop, at every output step: ``mass_flow`` (nt, nb) kg/s, ``T_in``/``T_out`` (nt, nb) K of each
branch, ``dp`` (nt, nb) Pa, ``pump_head`` Pa, ``cp`` J/(kg K) (the loop's, carrying its energy), ``pump_power`` W, ``valve_position`` (1 = all to the
radiator; NaN without a valve), ``T_fluid`` (nt, n_fluid) K along the branches with ``x`` (m from
each branch's entry) and ``branch_of_node``, ``T_min`` and ``freezing_margin`` K, ``frozen`` (count
of fluid nodes at or below freezing).  Attributes: fluid, freezing temperature, branch and manifold
names, set-point, fluid mass; branch paths as ``path_<branch>_<i>`` (x, y) with the panel named.
"""
from __future__ import annotations

import math

import numpy as np

SERIES = (("mass_flow", "mass_flow", "kg/s"), ("t_in", "T_in", "K"), ("t_out", "T_out", "K"), ("dp", "dp", "Pa"),
          ("pump_head", "pump_head", "Pa"), ("cp", "cp", "J/(kg K)"), ("pump_power", "pump_power", "W"), ("valve_position", "valve_position", "1"),
          ("t_fluid", "T_fluid", "K"), ("t_min", "T_min", "K"), ("t_max", "T_max", "K"),
          ("freezing_margin", "freezing_margin", "K"), ("frozen", "frozen", "1"), ("boiling", "boiling", "1"),
          ("manifolds", "T_manifold", "K"), ("hydraulic_iterations", "hydraulic_iterations", "1"),
          # two-phase loops only
          ("quality", "quality", "1"), ("pressure", "p_fluid", "Pa"),
          ("manifold_pressure", "p_manifold", "Pa"), ("exit_quality", "exit_quality", "1"),
          ("dryout", "dryout", "1"), ("pump_inlet_subcooling", "pump_inlet_subcooling", "K"))


def write_loops(f, loops: dict) -> None:
    if "loops" in f:
        del f["loops"]
    for name, rec in loops.items():
        g = f.create_group(f"loops/{name}")
        for key, ds_name, units in SERIES:
            if key in rec:
                d = g.create_dataset(ds_name, data=np.asarray(rec[key], float))
                d.attrs["units"] = units
        g.create_dataset("x", data=np.asarray(rec["x_m"], float)).attrs["units"] = "m"
        g.create_dataset("branch_of_node", data=np.asarray(rec["branch_of_node"], np.int64))
        g.attrs["fluid"] = rec["fluid"]
        g.attrs["t_freeze_k"] = rec["t_freeze_k"]
        g.attrs["branches"] = list(rec["branches"])
        g.attrs["manifolds"] = list(rec["manifold_names"])
        g.attrs["valve"] = bool(rec["valve"])
        g.attrs["set_point_k"] = rec["set_point_k"]
        g.attrs["fluid_mass_kg"] = rec["fluid_mass_kg"]
        g.attrs["two_phase"] = bool(rec.get("two_phase", False))
        g.attrs["accumulator_t_k"] = float(rec.get("accumulator_t_k", math.nan))
        for branch, polylines in rec["polylines"].items():
            for i, (panel, pts) in enumerate(polylines):
                d = g.create_dataset(f"path_{branch}_{i}", data=np.asarray(pts, float))
                d.attrs["panel"] = panel
                d.attrs["units"] = "m"


def read_loops(f, nt: int) -> dict:
    out = {}
    if "loops" not in f:
        return out
    for name in f["loops"]:
        g = f[f"loops/{name}"]
        rec = {key: g[ds][:nt] for key, ds, _ in SERIES if ds in g}
        branches = [_s(b) for b in g.attrs["branches"]]
        rec.update(fluid=_s(g.attrs["fluid"]), t_freeze_k=float(g.attrs["t_freeze_k"]), branches=branches,
                   manifold_names=[_s(m) for m in g.attrs["manifolds"]], valve=bool(g.attrs["valve"]),
                   set_point_k=float(g.attrs["set_point_k"]), fluid_mass_kg=float(g.attrs["fluid_mass_kg"]),
                   x_m=g["x"][:], branch_of_node=g["branch_of_node"][:],
                   two_phase=bool(g.attrs.get("two_phase", False)),
                   accumulator_t_k=float(g.attrs.get("accumulator_t_k", math.nan)))
        polylines = {b: [] for b in branches}
        for key in g:
            if key.startswith("path_"):
                for b in sorted(branches, key=len, reverse=True):
                    if key.startswith(f"path_{b}_"):
                        polylines[b].append((_s(g[key].attrs["panel"]), g[key][:].tolist()))
                        break
        rec["polylines"] = polylines
        out[name] = rec
    return out


def summary_lines(loops: dict, step: int = -1) -> list[str]:
    """What the summary prints for each loop at one output (the last by default)."""
    lines = []
    for name, rec in loops.items():
        flows = rec["mass_flow"][step]
        valve = rec["valve_position"][step]
        its = np.asarray(rec.get("hydraulic_iterations", [0]))
        head = f"; hydraulic network {int(its.max())} Newton iterations at most" if its.size else ""
        lines.append(f"loop {name} ({rec['fluid']}, {rec['fluid_mass_kg']:.3g} kg of fluid): pump "
                     f"{rec['pump_head'][step] / 1e3:.4g} kPa, {rec['pump_power'][step]:.4g} W into the fluid"
                     + ("" if math.isnan(valve) else f", valve {valve:.3f} to the radiator (set-point "
                        f"{rec['set_point_k'] - 273.15:.2f} degC)") + head)
        for b, branch in enumerate(rec["branches"]):
            lines.append(f"  {branch:<18} {flows[b]:9.4g} kg/s  {rec['t_in'][step][b] - 273.15:8.2f} -> "
                         f"{rec['t_out'][step][b] - 273.15:8.2f} degC  dp {rec['dp'][step][b] / 1e3:8.4g} kPa")
        if rec.get("two_phase"):
            lines.extend(_two_phase_lines(rec, step))
        margin = np.asarray(rec["freezing_margin"])
        worst = int(np.argmin(margin))
        frozen = np.asarray(rec["frozen"])
        state = "FROZEN" if np.any(frozen > 0) else ("not frozen" if rec.get("two_phase") else "liquid")
        lines.append(f"  fluid {np.min(rec['t_min']) - 273.15:.2f} to {np.max(rec['t_max']) - 273.15:.2f} degC; "
                     f"freezing margin {margin[worst]:.2f} K (freezes at {rec['t_freeze_k'] - 273.15:.2f} degC): "
                     f"{state}" + (f" at {int(np.max(frozen))} fluid nodes" if state == "FROZEN" else "")
                     + (f"; BOILING at {int(np.max(rec['boiling']))} fluid nodes" if np.any(np.asarray(rec['boiling']) > 0)
                        else ""))
    return lines


def _two_phase_lines(rec, step):
    """Accumulator, exit qualities, dry-out and the pump's cavitation margin of a two-phase loop."""
    exit_x = np.asarray(rec["exit_quality"][step])
    dry = np.asarray(rec["dryout"])
    sub = np.asarray(rec["pump_inlet_subcooling"])
    p = np.asarray(rec["pressure"][step])
    out = [f"  two-phase (HEM): accumulator at {rec['accumulator_t_k'] - 273.15:.2f} degC; pressure "
           f"{p.min() / 1e3:.5g}-{p.max() / 1e3:.5g} kPa; exit qualities "
           + ", ".join(f"{b} {x:.3f}" for b, x in zip(rec["branches"], exit_x))]
    if np.any(dry > 0):
        dried = [b for b, x in zip(rec["branches"], np.max(np.asarray(rec["exit_quality"]), axis=0)) if x >= 1.0]
        out.append(f"  DRY-OUT: the fluid reaches quality 1 (all vapour) at up to {int(dry.max())} fluid nodes"
                   + (f" (leaving {', '.join(dried)} as vapour)" if dried else "")
                   + ": a wall past that point meets vapour; an evaporator there needs more flow")
    worst = float(sub.min())
    out.append(f"  pump inlet subcooling {worst:.2f} K" + ("" if worst > 0.0 else
               " -- CAVITATION: vapour reaches the pump; the condensers must reject more or the accumulator sit "
               "warmer"))
    return out


def _s(v):
    return v.decode() if isinstance(v, bytes) else str(v)
