"""Summary quantities a sweep can collect from a result (what the run summary prints)."""
from __future__ import annotations

import math

import numpy as np

OUTPUTS = {
    "tj_max_k": "hottest junction over all chips (and output times) [K]",
    "tj_margin_k": "smallest junction margin (limit - Tj) over chips with a limit [K]",
    "t_max_k": "hottest temperature anywhere [K]",
    "radiated_w": "net heat radiated at the last output [W]",
    "absorbed_w": "heat absorbed from the environment at the last output [W]",
    "generated_w": "heat generated at the last output [W]",
    "energy_balance_rel": "relative energy balance error at the last output",
    "pipe_utilisation_max": "largest heat-pipe Q/Q_max [1]",
    "pipes_dried": "number of heat pipes that dried out",
    "periodicity_k": "orbit-periodic residual max|T(P) - T(0)| [K]",
    "newton_iterations": "Newton iterations in total",
    "solve_wall_s": "solver wall time inside the worker [s]",
    # sizing files (thermal size)
    "area_m2": "sizing: radiator panel area [m2]",
    "mass_kg": "sizing: total mass (panel + heat pipes + cold plates) [kg]",
    "heater_w": "sizing: cold-case heater power, all chips [W]",
    "w_per_m2": "sizing: compute power per m2 of panel",
    "w_per_kg": "sizing: compute power per kg",
    "estimate_area_m2": "sizing: the first estimate's area [m2]",
    "pipe_pitch_m": "sizing: pipe pitch (the chosen one with pipe_pitch = \"auto\") [m]",
}
SIZING_ONLY = ("area_m2", "mass_kg", "heater_w", "w_per_m2", "w_per_kg", "estimate_area_m2", "pipe_pitch_m")
PATTERNS = ("t_max_k.", "t_mean_k.", "tj_k.")


def check_output_name(name: str) -> bool:
    return name in OUTPUTS or any(name.startswith(p) and len(name) > len(p) for p in PATTERNS)


def collect_sizing(res, names) -> dict:
    """Outputs of a sizing: its own quantities, and the case outputs of its final hot-case field."""
    s = res.spec
    own = {"area_m2": res.area_m2, "mass_kg": res.mass_kg["total"], "heater_w": res.heater_w_per_chip * s.chips,
           "w_per_m2": s.compute_power_w / res.area_m2, "w_per_kg": s.compute_power_w / res.mass_kg["total"],
           "estimate_area_m2": res.estimate.area_m2, "tj_max_k": res.tj_k, "tj_margin_k": res.margin_k,
           "pipe_pitch_m": s.pipe_pitch_m}
    hot = res.periodic_hot["result"] if res.periodic_hot else res.hot.result
    rest = collect(hot, [n for n in names if n not in own])
    return {n: float(own[n]) if n in own else rest[n] for n in names}


def collect(result, names) -> dict:
    """{name: float} for the requested outputs; NaN where the case has no such quantity."""
    out = {}
    chips = result.chips
    for name in names:
        v = math.nan
        if name == "tj_max_k" and chips:
            v = max(float(np.max(c["t_max"])) for c in chips.values())
        elif name == "tj_margin_k":
            margins = [c["limit_k"] - float(np.max(c["t_max"])) for c in chips.values() if c["limit_k"] is not None]
            v = min(margins) if margins else math.nan
        elif name == "t_max_k":
            v = max(float(np.nanmax(f)) for f in result.fields.values()) if result.fields else math.nan
        elif name in ("radiated_w", "absorbed_w", "generated_w"):
            v = float(result.energy[name[:-2]][-1])
        elif name == "energy_balance_rel":
            e = {k: float(x[-1]) for k, x in result.energy.items()}
            v = e["balance_error"] / max(abs(e["generated"]) + abs(e["absorbed"]), abs(e["radiated"]), 1e-300)
        elif name == "pipe_utilisation_max" and result.heat_pipes:
            uses = [float(np.nanmax(p["utilisation"])) for p in result.heat_pipes.values()
                    if not p["failed"] and np.isfinite(p["utilisation"]).any()]
            v = max(uses) if uses else math.nan
        elif name == "pipes_dried":
            v = float(sum(bool(p["dried"]) for p in result.heat_pipes.values()))
        elif name == "periodicity_k":
            v = float(result.attrs.get("periodicity_k", math.nan))
        elif name == "newton_iterations":
            v = float(result.attrs.get("newton_iterations", math.nan))
        elif name == "solve_wall_s":
            v = float(result.attrs.get("wall_s", math.nan))
        elif name.startswith("t_max_k.") or name.startswith("t_mean_k."):
            panel = name.split(".", 1)[1]
            if panel in result.fields:
                t = result.fields[panel]
                if name.startswith("t_max_k."):
                    v = float(np.nanmax(t))
                else:  # volume-weighted over the present cells, last output
                    m = result.mesh[panel]
                    vol = (np.diff(m["z_edges"])[:, None, None] * np.diff(m["y_edges"])[None, :, None]
                           * np.diff(m["x_edges"])[None, None, :])
                    ok = np.isfinite(t[-1])
                    v = float(np.sum(t[-1][ok] * vol[ok]) / np.sum(vol[ok]))
        elif name in SIZING_ONLY:
            v = math.nan  # a case file has no sizing quantities
        elif name.startswith("tj_k."):
            chip = name[len("tj_k."):]
            if chip in chips:
                v = float(np.max(chips[chip]["t_max"]))
        out[name] = v
    return out


CONSTANT_RTOL = 1e-9  # an output whose spread is below this share of its size is constant


def sensitivity(rows, inputs, outputs) -> dict:
    """{output: [(input, Spearman rho), ...] by |rho|, largest first} over the finished cases.
    Rank correlation: monotone effects of any shape count, and units do not matter."""
    ok = [r for r in rows if r.get("status") == "ok"]
    out = {}
    for o in outputs:
        ranking = []
        for i in inputs:
            pairs = [(_num(r.get(i)), _num(r.get(o))) for r in ok]
            pairs = [(x, y) for x, y in pairs if math.isfinite(x) and math.isfinite(y)]
            if len(pairs) < 3:
                continue
            x, y = np.array(pairs).T
            # an output constant to round-off (2292.095999... vs 2292.096000...) has no ranking to
            # correlate: its "rho" would rank the last digits' noise
            # and differences at round-off level are ties, not a ranking: radiated power equals the
            # generated power to 1e-12 at every sheet thickness, and its last digits must not make a
            # correlation with the thickness
            quantum = CONSTANT_RTOL * max(float(np.max(np.abs(y))), 1e-300)
            y = np.round(y / quantum) * quantum
            if np.ptp(x) == 0 or np.ptp(y) == 0:
                rho = 0.0
            else:
                rho = float(_spearmanr(x, y).statistic)
            ranking.append((i, rho))
        out[o] = sorted(ranking, key=lambda t: -abs(t[1]))
    return out


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _spearmanr(x, y):
    # deliberately lazy: scipy.stats costs 0.5 s to import, which every `thermal` command would pay
    from scipy.stats import spearmanr

    return spearmanr(x, y)
