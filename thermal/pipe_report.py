"""Heat-pipe state after a solve: heat carried, transport limits, utilisation, dry-out.

Also the steady outer loop: the film conductances depend on the fluid at the vapour temperature
and a pipe carrying more than its limit dries out, so the steady solve is repeated (warm-started)
until the vapour temperatures settle to 0.01 K and no further pipe dries out.  A pipe that has
dried out stays dried out (a real wick needs the load removed to re-prime).
"""
from __future__ import annotations

import math

import numpy as np

from .errors import ConvergenceError
from .heatpipes import pipe_saturation, transport_limits
from .pipe_network import film_conductances, film_heat_w, set_film

VAPOUR_TOL_K = 0.01
MAX_OUTER = 30


def pipe_status(case, net, t_k: np.ndarray) -> list[dict]:
    """One row per pipe: vapour temperature, heat carried, the five limits, governing limit,
    utilisation Q/Q_max, dried/failed flags.  Raises FluidRangeError for a frozen or supercritical pipe."""
    rows = []
    for pn in net.heat_pipes:
        pipe = pn.pipe
        row = {"name": pipe.name, "fluid": pipe.fluid, "failed": pipe.failed, "dried": pn.dried,
               "length_m": pipe.total_length_m, "effective_length_m": pipe.effective_length_m,
               "wall_t_max_k": float(np.max(t_k[pn.wall])), "wall_t_min_k": float(np.min(t_k[pn.wall]))}
        if pn.vapour < 0:
            row.update(t_vapour_k=math.nan, q_w=0.0, limits={}, governing="failed", q_max_w=math.nan,
                       utilisation=math.nan, net_w=0.0)
            rows.append(row)
            continue
        t_v = float(t_k[pn.vapour])
        q = film_heat_w(net, pn, t_k)
        sat = pipe_saturation(pipe, t_v)
        k_solid = case.materials[pipe.wall_material].k_inplane(t_v)
        limits = transport_limits(pipe, sat, k_solid)
        governing = min(limits, key=limits.get)
        carried = float(np.sum(q[q > 0]))
        q_max = limits[governing]
        row.update(t_vapour_k=t_v, q_w=carried, limits=limits, governing=governing, q_max_w=q_max,
                   utilisation=carried / q_max if q_max > 0 else math.inf, net_w=float(np.sum(q)),
                   p_sat_pa=sat.p_pa)
        rows.append(row)
    return rows


def solve_steady_with_pipes(case, net, solve_steady):
    """Steady state with film conductances at the vapour temperature and dry-out; returns
    (solution, pipe rows, outer iterations)."""
    live = [pn for pn in net.heat_pipes if pn.vapour >= 0]
    t_guess = None
    t_vap = {pn.pipe.name: case.solver.initial_t_k for pn in live}
    newton = 0
    for outer in range(1, MAX_OUTER + 1):
        for pn in live:
            g_e, g_c = film_conductances(case, pn.pipe, t_vap[pn.pipe.name])
            set_film(net, pn, g_e, g_c, pn.dried)
        solution = solve_steady(net, case.solver, t_initial=t_guess)
        newton += solution.newton_iterations
        t = solution.t_k[0]
        rows = pipe_status(case, net, t)
        moved = max((abs(t[pn.vapour] - t_vap[pn.pipe.name]) for pn in live), default=0.0)
        t_vap = {pn.pipe.name: float(t[pn.vapour]) for pn in live}
        newly_dry = [pn for pn, row in zip(net.heat_pipes, rows) if pn.vapour >= 0 and not pn.dried
                     and row["utilisation"] > 1.0]
        for pn in newly_dry:
            pn.dried = True
        t_guess = t
        fixed_films = all(pn.pipe.film_evaporator_w_mk is not None and pn.pipe.film_condenser_w_mk is not None
                          for pn in live)
        if not newly_dry and (fixed_films or moved <= VAPOUR_TOL_K):
            solution.newton_iterations = newton
            for row, pn in zip(rows, net.heat_pipes):
                row["dried"] = pn.dried
            return solution, rows, outer
    raise ConvergenceError(f"heat pipes: the vapour temperatures still moved {moved:.3g} K after {MAX_OUTER} "
                           "outer iterations (film conductances vs vapour temperature); check the pipe design")


def pipe_series(case, net, t_k_steps: np.ndarray, strict: bool) -> dict:
    """Per pipe: vapour temperature, heat carried and utilisation at every output step, with the
    limits and governing limit of the last step.  ``strict`` raises on a frozen/supercritical pipe;
    otherwise (transients, already written) such steps get NaN limits and the pipe is flagged."""
    from .fluids import FluidRangeError

    out = {}
    for pn in net.heat_pipes:
        out[pn.pipe.name] = {"fluid": pn.pipe.fluid, "failed": pn.pipe.failed, "dried": pn.dried,
                             "t_vapour": [], "q": [], "utilisation": [], "limits": {}, "governing": "",
                             "out_of_range": "", "polylines": pn.polylines,
                             "length_m": pn.pipe.total_length_m, "effective_length_m": pn.pipe.effective_length_m}
    for t_k in np.atleast_2d(t_k_steps):
        try:
            rows = pipe_status(case, net, t_k)
        except FluidRangeError as exc:
            if strict:
                raise
            rows = []
            for pn in net.heat_pipes:
                try:
                    rows.extend(pipe_status_single(case, net, pn, t_k))
                except FluidRangeError as one:
                    out[pn.pipe.name]["out_of_range"] = str(one)
                    rows.append({"name": pn.pipe.name, "t_vapour_k": float(t_k[pn.vapour]), "q_w": math.nan,
                                 "utilisation": math.nan, "limits": {}, "governing": "out of range"})
            del exc
        for row in rows:
            s = out[row["name"]]
            s["t_vapour"].append(row["t_vapour_k"])
            s["q"].append(row["q_w"])
            s["utilisation"].append(row["utilisation"])
            s["limits"], s["governing"] = row["limits"], row["governing"]
    for s in out.values():
        for key in ("t_vapour", "q", "utilisation"):
            s[key] = np.asarray(s[key], float)
    return out


def pipe_status_single(case, net, pn, t_k):
    saved = net.heat_pipes
    try:
        net.heat_pipes = [pn]
        return pipe_status(case, net, t_k)
    finally:
        net.heat_pipes = saved
