"""Heat-pipe state after a solve: heat carried, transport limits, utilisation, dry-out.

Also the steady outer loop: the film conductances depend on the fluid at the vapour temperature,
and a pipe asked to carry more than its limit dries out.  Dry-out is modelled the way it happens:
the wick can feed only Q_max, so the evaporator dries back from its far end until the wetted part
evaporates exactly Q_max; its film conductance falls with the wetted fraction (down to
physics.heat_pipes.DRY_FRACTION), and the heat it no longer takes spreads through the wall and the host to
the neighbouring pipes (which may then dry out in turn: a cascade is reported, not hidden).  The
steady solve is repeated, warm-started, until the vapour temperatures settle to 0.01 K and every
dried pipe carries its limit to 1 %.  The search on the wetted fraction is a bracketed regula falsi
on its logarithm; a pipe whose search ends fully wetted (it only overshot on the way) is not dried.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from thermal.build.pipes import PipeNodes, film_conductances
from thermal.errors import ConvergenceError
from scipy.optimize import brentq

from thermal.physics.fluids import FluidRangeError, valid_range_k
from thermal.physics.heat_pipes import DRY_FRACTION, pipe_saturation, transport_limits
from thermal.physics.vchp import active_shares, front
from thermal.solvers.linalg import linear_solver_for
from thermal.solvers.run_state import PipeState

VAPOUR_TOL_K = 0.01
FRONT_TOL = 1e-4  # of the condenser length: nothing blocked
FRONT_T_TOL_K = 1e-4  # a gas front settled: the vapour within this of the temperature it was placed for
BLOCKED_FLOOR = 1e-9  # film share left on a gas-blocked piece (keeps its resistance finite)
DRY_TOL = 0.01  # a dried pipe carries its limit to 1 %
MAX_OUTER = 60


_FAILED = PipeState(0.0, 0.0)  # a failed pipe has no run state: never wetted-back, never dried


def set_film(state, pn: PipeNodes, g_evaporator_w_mk: float, g_condenser_w_mk: float) -> None:
    """Write a pipe's film conductances into the run state.  Pieces that evaporate (``evaporating``:
    the evaporator, plus any other piece that has been feeding the vapour while the pipe is dried
    out) are scaled by the wetted fraction: a dried-out pipe has shrunk its wet evaporating length
    to what the wick can still feed."""
    ps = state.pipes[pn.pipe.name]
    ps.g_evaporator_w_mk, ps.g_condenser_w_mk = g_evaporator_w_mk, g_condenser_w_mk
    role = pn.role[pn.film]
    g = np.where(role > 0, g_evaporator_w_mk, g_condenser_w_mk)
    g = np.where(ps.evaporating, g * max(ps.wetted, DRY_FRACTION), g)
    if ps.active.size:  # a gas-loaded pipe: the blocked condenser exchanges (almost) nothing
        g = g * np.maximum(ps.active, BLOCKED_FLOOR)
    r = 1.0 / (g * pn.length_m[pn.film])
    state.r_link[pn.pos_vapour_row] = r
    state.r_link[pn.pos_wall_row] = r


def film_heat_w(state, pn: PipeNodes, t_k: np.ndarray) -> np.ndarray:
    """Heat from each film-linked wall piece into the vapour [W] (negative: condensing), with the
    film resistances of the run state."""
    r = state.r_link[pn.pos_vapour_row]
    return (t_k[pn.wall[pn.film]] - t_k[pn.vapour]) / r


def pipe_status(case, net, state, t_k: np.ndarray, pipes=None) -> list[dict]:
    """One row per pipe (of ``pipes``, default all): vapour temperature, heat carried, the five
    limits, governing limit, utilisation Q/Q_max, dried/failed flags, with the films of the run
    ``state``.  Raises FluidRangeError for a frozen or supercritical pipe."""
    rows = []
    for pn in net.heat_pipes if pipes is None else pipes:
        pipe = pn.pipe
        ps = state.pipes.get(pipe.name, _FAILED)
        row = {"name": pipe.name, "fluid": pipe.fluid, "failed": pipe.failed, "dried": ps.dried,
               "wetted": ps.wetted,
               "length_m": pipe.total_length_m, "effective_length_m": pipe.effective_length_m,
               "wall_t_max_k": float(np.max(t_k[pn.wall])), "wall_t_min_k": float(np.min(t_k[pn.wall])),
               "blocked_m": ps.blocked_m,
               "active_condenser_m": pipe.length_by_role()["condenser"] - ps.blocked_m}
        if pn.vapour < 0:
            row.update(t_vapour_k=math.nan, q_w=0.0, limits={}, governing="failed", q_max_w=math.nan,
                       utilisation=math.nan, net_w=0.0)
            rows.append(row)
            continue
        t_v = float(t_k[pn.vapour])
        q = film_heat_w(state, pn, t_k)
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


def condenser_shares(pn: PipeNodes, blocked_m: float) -> np.ndarray:
    """Active share of each film piece with ``blocked_m`` of gas at the condenser's far end (the end
    away from the evaporator, where the vapour sweeps the gas)."""
    roles = pn.role[pn.film]
    cond, evap = np.nonzero(roles < 0)[0], np.nonzero(roles > 0)[0]
    share = np.ones(pn.film.size)
    far_is_last = cond.mean() > evap.mean()
    share[cond] = active_shares(pn.length_m[pn.film][cond], far_is_last, blocked_m)
    return share


def gas_temperature_k(state, pn: PipeNodes, t_k: np.ndarray) -> float:
    """Where the gas sits: the blocked wall's mean temperature (by blocked length), or the far end's
    piece when nothing is blocked yet."""
    ps = state.pipes[pn.pipe.name]
    walls = t_k[pn.wall[pn.film]]
    blocked = (1.0 - ps.active) * pn.length_m[pn.film] * (pn.role[pn.film] < 0)
    if blocked.sum() > 0.0:
        return float(blocked @ walls / blocked.sum())
    shares = condenser_shares(pn, 1e-9 * pn.pipe.length_by_role()["condenser"])
    return float(walls[np.argmin(shares)])


def reservoir_temperature_k(pn: PipeNodes, t_k: np.ndarray) -> float:
    """The gas reservoir's temperature: its lumped node's in this iterate, or the one it is held at."""
    return float(t_k[pn.reservoir]) if pn.reservoir >= 0 else pn.pipe.gas.reservoir_t_k


def set_front(state, pn: PipeNodes, blocked_m: float) -> None:
    ps = state.pipes[pn.pipe.name]
    ps.blocked_m = blocked_m
    ps.active = condenser_shares(pn, blocked_m)
    set_film(state, pn, ps.g_evaporator_w_mk, ps.g_condenser_w_mk)


def _update_front(state, pn: PipeNodes, t_k: np.ndarray, history: dict, t_star_start: float | None = None) -> bool:
    """One move of a gas-loaded pipe's front; True if it moved (the state must be solved again).

    The unknown is T*, the vapour temperature the front is placed for (L = L_g(T*)); the solve then
    gives T_v(T*), and h(T*) = T_v - T* falls as T* rises (a hotter T* opens the condenser, which
    cools the vapour).  Steady (``t_star_start`` None), the first solve is fully open and gives T_0;
    if the gas at T_0 blocks nothing the pipe is open; else the root lies between T_0 (h >= 0) and
    T_open, the vapour temperature at which the front reaches the far end (h(T_open) = T_0 - T_open
    < 0, known without a solve): bisection until both ends have been solved.  In a time step the
    first solve has the front of the last step's T* (``t_star_start``): substitution (T* <- T_v)
    until the root is bracketed.  Then the Illinois variant of regula falsi, to 1e-4 K.  A trial
    that shuts the condenser may heat the vapour without bound: its T_v is capped below the fluid's
    critical point (h stays positive, which is all the bracket needs)."""
    pipe = pn.pipe
    lo_k, hi_k = valid_range_k(pipe.fluid)
    t_v = min(float(t_k[pn.vapour]), hi_k - 2.0)
    t_g, t_r = gas_temperature_k(state, pn, t_k), reservoir_temperature_k(pn, t_k)
    h = history.setdefault(pipe.name, {})
    if "t_star" not in h and t_star_start is None:  # steady, the first solve: fully open
        if front(pipe, t_v, t_g, t_r) <= FRONT_TOL * pipe.length_by_role()["condenser"]:
            return False
        top = hi_k - 2.0
        t_open = top if front(pipe, top, t_g, t_r) > 0.0 else brentq(lambda x: front(pipe, x, t_g, t_r) - 1e-12,
                                                                        t_v, top, xtol=1e-6)
        h["lo"], h["hi"] = (t_v, None), (t_open, t_v - t_open)
        new = 0.5 * (t_v + t_open)
    else:
        h.setdefault("t_star", t_star_start)
        g = t_v - h["t_star"]
        if abs(g) <= FRONT_T_TOL_K:
            return False
        side = 1 if g > 0 else -1
        h["lo" if g > 0 else "hi"] = (h["t_star"], g)
        lo, hi = h.get("lo"), h.get("hi")
        if lo is None or hi is None:
            new = t_v  # not bracketed yet: substitution overshoots the root (h falls), which brackets it
        elif lo[1] is None or hi[1] is None:
            new = 0.5 * (lo[0] + hi[0])
        else:
            if h.get("side") == side:
                other = "hi" if side == 1 else "lo"
                h[other] = (h[other][0], h[other][1] / 2)
                lo, hi = h["lo"], h["hi"]
            h["side"] = side
            new = lo[0] - lo[1] * (hi[0] - lo[0]) / (hi[1] - lo[1])
            if abs(hi[0] - lo[0]) <= 1e-3 * FRONT_T_TOL_K:
                return False
    h["t_star"] = new
    set_front(state, pn, front(pipe, new, t_g, t_r))
    return True


def _next_wetted(state: dict, x: float, g: float) -> float:
    """One step of the dry-out search on x = log(wetted), g = utilisation - 1 (g falls as x falls)."""
    top, floor = 0.0, math.log(DRY_FRACTION)  # fully wetted again: not dried (an overshoot of the search)
    if g > 0:
        state["hi"] = (x, g)
        side = 1
    else:
        state["lo"] = (x, g)
        side = -1
    hi, lo = state.get("hi"), state.get("lo")
    if hi is not None and lo is not None:
        if state.get("side") == side:  # the same end moved twice: halve the other's weight (Illinois)
            if side == 1:
                state["lo"] = lo = (lo[0], lo[1] / 2)
            else:
                state["hi"] = hi = (hi[0], hi[1] / 2)
        state["side"] = side
        x_new = hi[0] - hi[1] * (hi[0] - lo[0]) / (hi[1] - lo[1])
    elif g > 0:
        x_new = x - 4.6  # wetted x 0.01 until the pipe carries less than its limit
    else:
        x_new = x + 4.6
    return math.exp(min(max(x_new, floor), top))


def _update_dryout(state, pn, use: float, dry_history: dict, t_k: np.ndarray) -> bool:
    """One move of a pipe's wetted fraction towards carrying its limit; True if anything changed.

    Q can depend very weakly on the wetted fraction (when the pipe is the heat's only way out the
    evaporator must dry almost completely before Q drops), and Q_max moves with the vapour
    temperature: a bracketed regula falsi (Illinois) on log(wetted) against use - 1."""
    changed = False
    ps = state.pipes[pn.pipe.name]
    target = ps.wetted
    if not math.isfinite(use):
        target = DRY_FRACTION
    elif (use > 1.0 + DRY_TOL and ps.wetted > DRY_FRACTION) or (ps.dried and use < 1.0 - DRY_TOL):
        target = _next_wetted(dry_history.setdefault(pn.pipe.name, {}), math.log(ps.wetted), use - 1.0)
    if target != ps.wetted:
        ps.wetted = target
        changed = True
    if ps.dried:
        # wherever the wall feeds the vapour, the wick must supply liquid: those pieces dry too
        # (the film law changed, so the secant starts again)
        feeding = film_heat_w(state, pn, t_k) > 0
        if np.any(feeding & ~ps.evaporating):
            ps.evaporating = ps.evaporating | feeding
            dry_history.pop(pn.pipe.name, None)  # a new function: bracket it again
            changed = True
    return changed


class TransientPipes:
    """Heat pipes inside a time step, for the BDF driver (its ``step_hook``).

    Films: evaluated at the vapour temperature at the start of each step (a lagged coefficient: the
    film law varies slowly with T_v, and any conductance conserves energy).  Dry-out: implicit in
    the step.  After Newton converges, a pipe asked for more than its limit dries back (or a dried one
    re-wets) by the steady loop's search, and the step is solved again from its converged state,
    until every dried pipe carries its limit to 1 %.  A gas-loaded pipe's front is implicit too: placed
    first where the last step's ended, then moved by the steady search (on T*) until the vapour is
    within 1e-4 K of the temperature it was placed for.  (A front lagged from the step's start swung
    between shut and open every step: the vapour has almost no heat capacity.)"""

    def __init__(self, case, net):
        self.case, self.net = case, net
        self.live = [pn for pn in net.heat_pipes if pn.vapour >= 0]
        self.fixed_films = all(pn.pipe.film_evaporator_w_mk is not None and pn.pipe.film_condenser_w_mk is not None
                               for pn in self.live)
        self.history: dict = {}
        self.tries = 0
        self.resolves = 0  # extra Newton solves the dry-out search cost, over the run
        self._film_t = {}  # vapour temperature each pipe's films were last evaluated at
        self._t_star = {}  # gas-loaded pipes: the vapour temperature the front was last placed for
        self._fronts = {}  # their front searches within the step

    def snapshot(self) -> dict:
        """What carries from one step to the next (a checkpoint)."""
        return {"resolves": self.resolves, "film_t": dict(self._film_t), "t_star": dict(self._t_star)}

    def restore(self, tree: dict) -> None:
        self.resolves = tree["resolves"]
        self._film_t, self._t_star = dict(tree["film_t"]), dict(tree["t_star"])

    def before_step(self, state, t_k: np.ndarray, h_s: float = 0.0) -> None:
        self.history, self.tries = {}, 0
        for pn in self.live:
            ps = state.pipes[pn.pipe.name]
            films = (ps.g_evaporator_w_mk, ps.g_condenser_w_mk)
            t_v = _working(pn.pipe.fluid, float(t_k[pn.vapour]))
            # the fluid properties cost more than the step's bookkeeping: re-evaluate past 0.01 K
            if not self.fixed_films and abs(t_v - self._film_t.get(pn.pipe.name, -1.0)) > VAPOUR_TOL_K:
                try:
                    films = film_conductances(self.case, pn.pipe, t_v)
                    self._film_t[pn.pipe.name] = t_v
                except FluidRangeError:
                    pass  # frozen or supercritical: reported with the results
            set_film(state, pn, *films)  # also applies the wetted fraction
            if pn.pipe.gas is not None:  # the front of the last step's T* first (implicit: after_step)
                t_star = self._t_star.get(pn.pipe.name, float(t_k[pn.vapour]))
                self._t_star[pn.pipe.name] = t_star
                set_front(state, pn, front(pn.pipe, t_star, gas_temperature_k(state, pn, t_k),
                                           reservoir_temperature_k(pn, t_k)))
        self._fronts = {}

    def after_step(self, state, t_k: np.ndarray) -> bool:
        """True when a pipe's wetted fraction moved: the step must be solved again."""
        changed = []
        for pn in self.live:
            try:
                use = pipe_status(self.case, self.net, state, t_k, [pn])[0]["utilisation"]
            except FluidRangeError:
                continue  # frozen or supercritical: the result says so; no dry-out search here
            if _update_dryout(state, pn, use, self.history, t_k):
                changed.append(pn)
            if pn.pipe.gas is not None:
                if _update_front(state, pn, t_k, self._fronts, self._t_star[pn.pipe.name]):
                    changed.append(pn)
                else:  # settled: the next step starts from here
                    self._t_star[pn.pipe.name] = self._fronts.get(pn.pipe.name, {}).get(
                        "t_star", self._t_star[pn.pipe.name])
        if not changed:
            return False
        self.tries += 1
        if self.tries > MAX_OUTER:
            raise ConvergenceError(f"heat pipes: dry-out not settled within a time step after {MAX_OUTER} "
                                   "re-solves (" + ", ".join(f"{pn.pipe.name} wetted {state.pipes[pn.pipe.name].wetted:.3f}"
                                                            for pn in changed) + "); check the pipe design")
        for pn in changed:
            ps = state.pipes[pn.pipe.name]
            set_film(state, pn, ps.g_evaporator_w_mk, ps.g_condenser_w_mk)
        self.resolves += 1
        return True


def _working(fluid, t_k):
    lo, hi = valid_range_k(fluid)
    return min(max(t_k, lo + 1.0), hi - 2.0)


def solve_steady_with_pipes(case, net, state, solve_steady, t_guess=None):
    """Steady state with film conductances at the vapour temperature and dry-out, in the run
    ``state`` (films and wetted fractions are left there), from ``t_guess`` (a uniform initial
    temperature if None); returns (solution, pipe rows, outer iterations)."""
    live = [pn for pn in net.heat_pipes if pn.vapour >= 0]
    t_vap = {pn.pipe.name: _working(pn.pipe.fluid, case.solver.initial_t_k) for pn in live}
    fixed_films = all(pn.pipe.film_evaporator_w_mk is not None and pn.pipe.film_condenser_w_mk is not None
                      for pn in live)
    newton = 0
    moved = 0.0
    # one linear solver over the outer iterations: its AMG hierarchy or LU factors stay useful (only
    # the films and the dried fractions change between them)
    linear = linear_solver_for(net, case.solver, resumable=False)  # steady: no checkpoint
    dry_history: dict = {}
    front_history: dict = {}
    for outer in range(1, MAX_OUTER + 1):
        for pn in live:
            set_film(state, pn, *film_conductances(case, pn.pipe, _working(pn.pipe.fluid, t_vap[pn.pipe.name])))
        solution = solve_steady(net, case.solver, state=state, t_initial=t_guess, linear=linear)
        newton += solution.newton_iterations
        t = solution.t_k[0]
        searching = {name for name, h in front_history.items() if h.get("open") is not True}
        rows = {}
        for pn in live:
            try:
                rows[pn.pipe.name] = pipe_status(case, net, state, t, [pn])[0]
            except FluidRangeError:
                if pn.pipe.name not in searching:
                    raise
                rows[pn.pipe.name] = {"utilisation": math.nan}  # a trial front overheated it: no dry-out test
        moved = max((abs(t[pn.vapour] - t_vap[pn.pipe.name]) for pn in live), default=0.0)
        t_vap = {pn.pipe.name: float(t[pn.vapour]) for pn in live}
        t_guess = t
        settled = fixed_films or moved <= VAPOUR_TOL_K
        for pn in live:
            use = rows[pn.pipe.name]["utilisation"]
            if not (pn.pipe.name in searching and math.isnan(use)) and _update_dryout(state, pn, use, dry_history, t):
                settled = False
            if pn.pipe.gas is not None:
                if _update_front(state, pn, t, front_history):
                    settled = False
                else:
                    front_history.setdefault(pn.pipe.name, {})["open"] = True
        if settled:
            return replace(solution, newton_iterations=newton), list(pipe_status(case, net, state, t)), outer
    raise ConvergenceError(f"heat pipes: no consistent state after {MAX_OUTER} outer iterations (vapour "
                           f"temperatures moved {moved:.3g} K in the last; dry-out fractions "
                           + ", ".join(f"{name} {ps.wetted:.3f}" for name, ps in state.pipes.items() if ps.dried)
                           + "); check the pipe design")


class PipeSeries:
    """Per pipe, at every output step: vapour temperature, heat carried, utilisation and wetted
    fraction, with the limits and governing limit of the last step.  ``add`` takes the run state
    that holds that step's films (a transient's dry-out changes them from step to step).
    ``strict`` raises on a frozen/supercritical pipe; otherwise (transients, already written) such
    steps get NaN limits and the pipe is flagged."""

    def __init__(self, case, net, strict: bool):
        self.case, self.net, self.strict = case, net, strict
        self.out = {}
        for pn in net.heat_pipes:
            self.out[pn.pipe.name] = {"fluid": pn.pipe.fluid, "failed": pn.pipe.failed, "dried": False,
                                      "wetted": 1.0, "t_vapour": [], "q": [], "utilisation": [],
                                      "wetted_series": [], "active_series": [], "limits": {}, "governing": "",
                                      "out_of_range": "", "gas": pn.pipe.gas is not None,
                                      "polylines": pn.polylines, "length_m": pn.pipe.total_length_m,
                                      "effective_length_m": pn.pipe.effective_length_m}

    def add(self, state, t_k: np.ndarray) -> None:
        for pn in self.net.heat_pipes:
            s = self.out[pn.pipe.name]
            ps = state.pipes.get(pn.pipe.name, _FAILED)
            try:
                row = pipe_status(self.case, self.net, state, t_k, [pn])[0]
            except FluidRangeError as exc:
                if self.strict:
                    raise
                s["out_of_range"] = str(exc)
                row = {"t_vapour_k": float(t_k[pn.vapour]), "q_w": math.nan, "utilisation": math.nan,
                       "limits": {}, "governing": "out of range"}
            s["t_vapour"].append(row["t_vapour_k"])
            s["q"].append(row["q_w"])
            s["utilisation"].append(row["utilisation"])
            s["wetted_series"].append(ps.wetted)
            s["active_series"].append(pn.pipe.length_by_role()["condenser"] - ps.blocked_m)
            s["limits"], s["governing"] = row["limits"], row["governing"]
            s["wetted"], s["dried"] = ps.wetted, ps.dried

    _SERIES = ("t_vapour", "q", "utilisation", "wetted_series", "active_series")
    _LAST = ("limits", "governing", "out_of_range", "wetted", "dried")

    def snapshot(self) -> dict:
        """The series so far (a checkpoint); the static description is rebuilt from the network."""
        return {name: {k: (list(s[k]) if k in self._SERIES else s[k]) for k in self._SERIES + self._LAST}
                for name, s in self.out.items()}

    def restore(self, tree: dict) -> None:
        for name, saved in tree.items():
            for k, value in saved.items():
                self.out[name][k] = list(value) if k in self._SERIES else value

    def result(self) -> dict:
        for s in self.out.values():
            for key in ("t_vapour", "q", "utilisation", "wetted_series", "active_series"):
                s[key] = np.asarray(s[key], float)
        return self.out


def pipe_series(case, net, state, t_k_steps: np.ndarray, strict: bool) -> dict:
    """The series of states solved with the films of the run ``state`` (a steady solve)."""
    series = PipeSeries(case, net, strict)
    for t_k in np.atleast_2d(t_k_steps):
        series.add(state, t_k)
    return series.result()

