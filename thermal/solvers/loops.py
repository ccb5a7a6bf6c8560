"""Pumped loops in a run: flows, advection coefficients, pump heat, the bypass valve, status.

``update_loops`` turns fluid temperatures into what the kernels read: it evaluates the coolant's
properties at every fluid node (CoolProp tables, physics/coolants.py), solves the hydraulic network
for the branch flows (solvers/hydraulics.py), and writes each advection term's coefficients
(m_dot cp and c = m_dot cp (1 - exp(-NTU)), NTU from the piece's film conductance:
physics/channel_flow.py) and the pump's heat into the run state.  One cp per loop, at its
mass-weighted mean temperature, carries the energy: with it advection conserves energy exactly
around the loop (the liquids' cp varies by 1-3 % over a loop's span; the film and friction laws use
each node's own properties).

Steady: the coefficients are lagged, and the steady solve repeated warm-started until the fluid
temperatures settle to 0.01 K (a fixed point: the properties vary slowly with T; relaxed by the
passes' own contraction when it cycles).  With a bypass valve the position that holds the sensor
manifold at the set-point is moved within those passes by a secant in 1/position (its first step
from the heat balance), and when that does not settle a bracketed Illinois search on 1/position,
each trial settled, takes over; a valve that cannot hold it rests on its stop and the status says so.
Transients: the coefficients are evaluated from the state at the start of each step, the valve
moves by its PI law (model/loop.Valve) once per step.
"""
from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from thermal.errors import ConvergenceError, ModelError
from thermal.physics.channel_flow import NU_STAGNANT, piece_film_w_k, pressure_drop_pa, reynolds
from thermal.physics.coolants import liquid_table
from thermal.physics.two_phase import saturation_table
from thermal.solvers.hydraulics import STAGNANT_FRACTION, solve_hydraulics
from thermal.solvers.two_phase import initial_state, pressure_lag_k, two_phase_status, update_two_phase_loop

HOMOTOPY_END = 1e-3  # below this fraction of the liquid's slope the next stage is the true plateau
HOMOTOPY_MAX_RATIO = 0.97  # stages closer than this and still failing: the path is lost, say so
SETTLE_K = 0.01  # fluid temperatures settled between outer passes
MAX_OUTER = 60
SET_POINT_TOL_K = 0.01
MIN_POSITION = 1e-4  # the smallest radiator share the steady valve search tries
MAX_VALVE_SOLVES = 40
STEER_PASSES = 12  # passes of the joint valve-and-coefficients iteration before the bracketed search takes over


def _node_temperatures(bn, ln, t_k):
    """Temperature of each piece's fluid: the mean of what enters and leaves it."""
    inlet = np.concatenate([[t_k[ln.manifold[ln.loop.branch(bn.name).source]]], t_k[bn.fluid[:-1]]])
    return 0.5 * (inlet + t_k[bn.fluid])


def update_loops(net, state, t_k: np.ndarray) -> float:
    """Write every loop's flows and coefficients for fluid temperatures ``t_k`` into ``state``;
    returns how far the fluid temperatures moved since the last update [K] (inf the first time)."""
    moved = 0.0
    for ln in net.loops:
        ls = state.loops[ln.loop.name]
        fluid_nodes = np.concatenate([bn.fluid for bn in ln.branches])
        t_fluid = t_k[fluid_nodes]
        moved = max(moved, float(np.max(np.abs(t_fluid - ls.updated_at_k))) if ls.updated_at_k.size else math.inf)
        ls.updated_at_k = t_fluid.copy()
        if ln.loop.two_phase:
            update_two_phase_loop(net, state, ln, ls, t_k)
        else:
            _update_loop(net, state, ln, ls, t_k)
    return moved


def _update_loop(net, state, ln, ls, t_k):
    loop = ln.loop
    table = liquid_table(loop.fluid, loop.concentration)
    props = []
    for bn in ln.branches:
        props.append(table.at(_node_temperatures(bn, ln, t_k)))
    branches = loop.branches

    def branch_dp(b, m_dot):
        br, bn = branches[b], ln.branches[b]
        rho, _, mu, _ = props[b]
        return pressure_drop_pa(m_dot, rho, mu, br.inner_diameter_m, bn.x1_m - bn.x0_m,
                                br.roughness_m / br.inner_diameter_m, br.fittings_k)

    pump_b = [b.name for b in branches].index(loop.pump.branch)
    rho_pump = float(props[pump_b][0][0])
    guess = ls.mass_flow_kg_s if np.any(ls.mass_flow_kg_s > 0) else None
    hyd = solve_hydraulics(loop, branch_dp, rho_pump, ls.valve_position if loop.valve else None, guess)
    _check_velocities(loop, props, hyd.mass_flow_kg_s)
    ls.mass_flow_kg_s = hyd.mass_flow_kg_s
    ls.branch_dp_pa = hyd.branch_dp_pa
    ls.pump_head_pa = hyd.pump_head_pa
    ls.valve_dp_pa = hyd.valve_dp_pa
    ls.hydraulic_iterations = hyd.iterations
    mass = np.concatenate([net.rho_v_kg[bn.fluid] for bn in ln.branches])
    cps = np.concatenate([p[1] for p in props])
    ls.cp_j_kgk = float(mass @ cps / mass.sum()) if mass.sum() > 0 else float(np.mean(cps))
    cp = ls.cp_j_kgk
    m_pump = hyd.mass_flow_kg_s[pump_b]
    still = STAGNANT_FRACTION * m_pump
    for b, (br, bn) in enumerate(zip(branches, ln.branches)):
        m_dot = float(hyd.mass_flow_kg_s[b])
        rho, cpn, mu, k = props[b]
        heated = bn.heated
        d = br.inner_diameter_m
        ds = bn.x1_m - bn.x0_m
        if br.film_w_m2k is not None:
            g = br.film_w_m2k * np.pi * d * ds
        else:
            re = reynolds(m_dot, mu, d)
            g = piece_film_w_k(np.maximum(re, 1e-300), mu * cpn / k, k, d, bn.x0_m, bn.x1_m)
        terms = bn.terms
        flowing = m_dot > still
        if flowing:
            ntu = g / (m_dot * cp)
            state.adv_c_w_k[terms] = np.where(heated, -m_dot * cp * np.expm1(-ntu), 0.0)
            state.adv_m_w_k[terms] = m_dot * cp
            state.adv_stagnant[terms] = 0
        else:  # still fluid conducts with its wall like fully developed laminar flow, and along itself
            state.adv_c_w_k[terms] = np.where(heated, NU_STAGNANT * np.pi * k * ds, 0.0)
            state.adv_m_w_k[terms] = k * br.flow_area_m2 / np.maximum(ds, 1e-3 * d)
            state.adv_stagnant[terms] = 1
        last = ln.inflow_terms[br.name]
        if flowing:
            state.adv_m_w_k[last] = m_dot * cp
            state.adv_stagnant[last] = 0
        else:  # the last piece's fluid to the target manifold: half a piece of still fluid
            state.adv_m_w_k[last] = k[-1] * br.flow_area_m2 / max(0.5 * ds[-1], 1e-3 * d)
            state.adv_stagnant[last] = 1
    ls.pump_power_w = m_pump / rho_pump * ls.pump_head_pa / loop.pump.efficiency
    state.q_w[ln.pump_node] = net.q_w[ln.pump_node] + ls.pump_power_w


def initial_temperatures(net, t_initial_k: float) -> np.ndarray:
    """The uniform first guess, with fixed-temperature nodes at their values (and two-phase loops'
    fluid at their enthalpies)."""
    return initial_state(net, t_initial_k)


MAX_VELOCITY_M_S = 30.0  # liquid loops run at 0.5-3 m/s (erosion, pump power); 10x that is no design


def _check_velocities(loop, props, flows):
    for br, (rho, _, _, _), m_dot in zip(loop.branches, props, flows):
        v = m_dot / (float(np.min(rho)) * br.flow_area_m2)
        if v > MAX_VELOCITY_M_S:
            raise ModelError(f"loop '{loop.name}': {v:.3g} m/s of {loop.fluid} in branch '{br.name}' "
                             f"({m_dot:.4g} kg/s through {br.inner_diameter_m * 1e3:g} mm): beyond "
                             f"{MAX_VELOCITY_M_S:g} m/s no liquid loop works (they run at 0.5-3 m/s); lower the pump's "
                             "flow or widen the tubes")


def sensor_k(ln, t_k) -> float:
    return float(t_k[ln.manifold[ln.loop.valve.sensor]])


def solve_steady_with_loops(case, net, state, inner):
    """Steady state with the loops' flows and coefficients consistent with the temperatures and each
    valve at its set-point (or on a stop); ``inner(t_guess)`` solves with the state's coefficients.
    Returns (solution, outer passes); the solution's Newton count and wall time are the totals."""
    start = time.perf_counter()
    passes, newton = [0], [0]

    def solve_once(t):
        solution = inner(t)
        passes[0] += 1
        newton[0] += solution.newton_iterations
        return solution

    fluid = np.concatenate([bn.fluid for ln in net.loops for bn in ln.branches])

    def settle(t, tol_k=SETTLE_K, steer=None):
        """Solve, re-evaluate the coefficients at the answer, until the fluid temperatures they were
        evaluated at and the answer agree to ``tol_k``.  A plain fixed point can cycle (a nearly
        bypassed radiator: the film of still-cold fluid swings the outlet by tens of kelvin from pass
        to pass; a dried-out evaporator), so the evaluation point is relaxed towards the answer by a
        factor from the last two passes' changes d: their ratio f = d.d_last / |d_last|^2 estimates
        the fixed point's contraction, and omega / (1 - f) the relaxation that cancels it (Irons-
        Tuck), kept in [1/8, 1].  ``steer`` (a _ValveSecant) moves a valve each pass as well; it
        stops when the sensor is held and the coefficients settled, and gives up (_SteerFailed)
        after STEER_PASSES."""
        t_coef, omega, d_last = t, 1.0, None
        update_loops(net, state, t_coef)
        for _ in range(STEER_PASSES if steer is not None else MAX_OUTER):
            solution = solve_once(t)
            t = solution.t_k[0]
            moved = max(float(np.max(np.abs(t[fluid] - t_coef[fluid]))), pressure_lag_k(net, state))
            held = steer is None or steer.held(t)
            if moved <= tol_k and held:
                return solution  # the state holds the coefficients of t_coef, within tol_k of t
            if steer is not None:
                if not held and not steer.move():
                    raise _SteerFailed(solution)
                t_coef = t  # the coefficients follow the answer in full: the valve's move dominates
            else:
                d = t[fluid] - t_coef[fluid]
                if d_last is not None and float(d_last @ d_last) > 0.0:
                    f = float(d @ d_last) / float(d_last @ d_last)
                    omega = min(1.0, max(0.125, omega / max(1.0 - f, 1e-3)))
                d_last = d
                t_coef = t_coef + omega * (t - t_coef)
            update_loops(net, state, t_coef)
        if steer is not None:
            raise _SteerFailed(solution)
        raise ConvergenceError(f"pumped loops: fluid temperatures did not settle within {MAX_OUTER} passes "
                               f"(last change {moved:.3g} K)")

    t0 = initial_temperatures(net, case.solver.initial_t_k)
    two_phase = [state.loops[ln.loop.name] for ln in net.loops if ln.loop.two_phase]
    if two_phase:
        t0 = _two_phase_path(two_phase, settle, t0)
    solution = None
    for ln in [ln for ln in net.loops if ln.loop.valve is not None]:  # one valve per loop, each in turn
        solution = _valve_search(ln, state.loops[ln.loop.name], settle, t0 if solution is None else solution.t_k[0])
    if solution is None:
        solution = settle(t0)
    # every settle ends on a solve with the coefficients the state holds (each update_loops is
    # followed by a solve before settle returns): F(T) = 0 for what is reported, no extra solve needed
    return replace(solution, newton_iterations=newton[0], wall_s=time.perf_counter() - start), passes[0]


def _two_phase_path(loop_states, settle, t_guess):
    """From a uniform guess Newton stalls between the kinks of the phase changes (line search finds no
    descent).  Walk there instead: solve with the two-phase temperature rising at a fraction of the
    liquid's slope (1: a liquid loop, which Newton solves; 0: the saturation plateau), each stage
    warm-started from the last; the fraction falls by a ratio that widens after a success and
    narrows after a failure.  Returns the start for the true (fraction 0) solve."""
    def at(factor, guess):
        for ls in loop_states:
            ls.homotopy = factor
        return settle(guess).t_k[0]

    t_good, f_good = at(1.0, t_guess), 1.0
    ratio = 0.3
    while f_good > 0.0:
        f_try = 0.0 if f_good * ratio < HOMOTOPY_END else f_good * ratio
        try:
            t_good, f_good = at(f_try, t_good), f_try
            ratio = max(ratio * ratio, 0.01)
        except ConvergenceError:
            ratio = math.sqrt(ratio)
            if ratio > HOMOTOPY_MAX_RATIO:
                raise
    for ls in loop_states:
        ls.homotopy = 0.0
    return t_good


def _valve_search(ln, ls, settle, t_guess):
    """The valve position x that holds the sensor at its set-point.  The variable of the search is
    u = 1/x: the radiator branch's fluid leaves near the radiator's own temperature whatever its flow,
    so the heat it removes fixes (sensor - radiator outlet) ~ Q / (x m cp), and the sensor's miss g
    is close to linear in 1/x (measured on the flagship's cold unit: 7 evaluations in log x, 4 in
    1/x).  From x = 1 the secant in u is extrapolated (at most 16x per step) until the miss changes
    sign, then regula falsi (Illinois) in u closes the bracket."""
    set_k = ln.loop.valve.set_point_k

    miss = [math.inf]

    def at(x, guess):
        """Settled as tightly as the last miss needs (a tenth of it, SETTLE_K near the answer); an
        answer (on the set-point or a stop) found on a looser settle is settled again at its x."""
        ls.valve_position = x
        ls.valve_integral = x
        tol = min(max(0.1 * miss[0], SETTLE_K), 1.0)
        sol = settle(guess, tol)
        g = sensor_k(ln, sol.t_k[0]) - set_k
        final = abs(g) <= SET_POINT_TOL_K or (x == 1.0 and g > 0) or x <= MIN_POSITION * (1 + 1e-12)
        if final and tol > SETTLE_K:
            sol = settle(sol.t_k[0])
            g = sensor_k(ln, sol.t_k[0]) - set_k
        miss[0] = abs(g)
        return sol, g

    try:  # usually the valve and the coefficients settle together in a few passes
        return settle(t_guess, steer=_ValveSecant(ln, ls))
    except _SteerFailed as failed:
        t_guess = failed.solution.t_k[0]
    best, g = at(1.0, t_guess)
    if g >= -SET_POINT_TOL_K:
        return best  # too warm even with all the flow through the radiator: the valve rests open
    cold = [(1.0, g)]  # (u, g) where the sensor is below the set-point
    warm = None
    u = 4.0
    for _ in range(MAX_VALVE_SOLVES):
        sol, g = at(1.0 / u, best.t_k[0])
        best = sol
        if abs(g) <= SET_POINT_TOL_K:
            return sol
        if g > 0:
            warm = (u, g)
            break
        cold.append((u, g))
        if u >= 1.0 / MIN_POSITION:
            return sol  # still too cold with the radiator nearly bypassed: the valve rests at its stop
        (u1, g1), (u2, g2) = cold[-2], cold[-1]
        guess = u2 - g2 * (u2 - u1) / (g2 - g1) if g2 > g1 else math.inf
        u = min(max(guess, 1.25 * u2), 16.0 * u2, 1.0 / MIN_POSITION)
    lo, hi, side = cold[-1], warm, 0
    for _ in range(MAX_VALVE_SOLVES):
        u = lo[0] - lo[1] * (hi[0] - lo[0]) / (hi[1] - lo[1])
        sol, g = at(1.0 / u, best.t_k[0])
        best = sol
        if abs(g) <= SET_POINT_TOL_K:
            return sol
        if g > 0:
            hi = (u, g)
            if side == 1:
                lo = (lo[0], lo[1] / 2)
            side = 1
        else:
            lo = (u, g)
            if side == -1:
                hi = (hi[0], hi[1] / 2)
            side = -1
    raise ConvergenceError(f"loop '{ln.loop.name}': the bypass valve search did not hold the set-point within "
                           f"{MAX_VALVE_SOLVES} solves (last miss {g:.3g} K)")


class _SteerFailed(Exception):
    def __init__(self, solution):
        super().__init__("the joint valve iteration did not settle")
        self.solution = solution


class _ValveSecant:
    """The valve moved within the coefficients' fixed point: after each pass the secant in u = 1/x
    (see _valve_search) through the last two passes' misses, each step at most 16x.  The first step
    from x = 1 takes the slope dg/du from the heat balance: with all the flow through the radiator
    path the fluid falls by Q / (m cp) from the valve's split to its merge, and the miss rises by
    that much per unit of u (the flagship's cold unit: 7 passes with u = 4 first, 6 with it).
    Gives up (_SteerFailed) when the misses do not rise with u (the coefficients' lag still
    dominates): the bracketed search, which settles every trial, takes over."""

    def __init__(self, ln, ls):
        self.ln, self.ls = ln, ls
        self.u = 1.0
        self.history = []
        self.slope_k = math.nan  # the heat balance's dg/du at x = 1
        ls.valve_position = ls.valve_integral = 1.0

    def held(self, t_k) -> bool:
        """The sensor on its set-point, or the valve on the stop the miss pushes it against."""
        valve = self.ln.loop.valve
        g = sensor_k(self.ln, t_k) - valve.set_point_k
        if self.u == 1.0:
            bypass = self.ln.loop.branch(valve.bypass_branch)
            self.slope_k = float(t_k[self.ln.manifold[bypass.source]] - t_k[self.ln.manifold[bypass.target]])
        self.history.append((self.u, g))
        return abs(g) <= SET_POINT_TOL_K or (self.u == 1.0 and g > 0) or (self.u >= 1.0 / MIN_POSITION and g < 0)

    def move(self) -> bool:
        """The next position; False when the misses give no usable secant."""
        u2, g2 = self.history[-1]
        if len(self.history) == 1 or self.history[-2][0] == u2:
            u = u2 - g2 / self.slope_k if self.slope_k > 0.0 else 4.0 * u2 if g2 < 0 else 0.5 * (1.0 + u2)
        else:
            u1, g1 = self.history[-2]
            slope = (g2 - g1) / (u2 - u1)
            if not slope > 0.0:
                return False
            u = u2 - g2 / slope
        u = min(max(u, 1.0, u2 / 16.0), 16.0 * u2, 1.0 / MIN_POSITION)
        self.u = u
        self.ls.valve_position = self.ls.valve_integral = 1.0 / u
        return True


class TransientLoops:
    """Loops inside a time step (a ``step_hook``).  Flows and coefficients are evaluated from the
    fluid temperatures at the step's start and held through it.  The valve acts implicitly: its
    position at the end of the step is the one its PI law gives for the sensor temperature at the end
    of the step, found by a bracketed secant on g(x) = x - law(T_sensor(x)) (g rises with x: more flow
    through the radiator, a colder sensor, a smaller law value), each try a solve of the step.  A
    lagged (explicit) valve oscillated between its stops from step to step on the four-GPU loop: its
    sensor answers within one step, faster than any band can damp; the implicit law cannot chatter.
    The integral term advances only when the step is accepted (a rejected step starts again from the
    same state)."""

    def __init__(self, net):
        self.net = net
        self.valves = [ln for ln in net.loops if ln.loop.valve is not None]
        self._start = None
        self._h = 0.0
        self._candidate = {}
        self._search = {}
        self.tries = 0
        self.resolves = 0  # extra solves the valves cost, over the run

    def snapshot(self) -> dict:
        """What carries over: the last step's start and the integral terms it found, which the next
        step's ``before_step`` commits (that is how it knows the step was accepted)."""
        return {"resolves": self.resolves, "start": None if self._start is None else self._start.copy(),
                "candidate": dict(self._candidate)}

    def restore(self, tree: dict) -> None:
        self.resolves, self._candidate = tree["resolves"], dict(tree["candidate"])
        self._start = None if tree["start"] is None else np.array(tree["start"], float)

    def before_step(self, state, t_k: np.ndarray, h_s: float = 0.0) -> None:
        if self._start is None or not np.array_equal(t_k, self._start):
            for name, integral in self._candidate.items():  # the step that ended here was accepted
                state.loops[name].valve_integral = integral
        self._start, self._h = t_k.copy(), h_s
        self._candidate, self._search, self.tries = {}, {}, 0
        update_loops(self.net, state, t_k)

    def _law(self, ln, ls, t_k):
        valve = ln.loop.valve
        error = sensor_k(ln, t_k) - valve.set_point_k
        integral = min(max(ls.valve_integral + self._h * error / (valve.band_k * valve.integral_time_s), 0.0), 1.0)
        return min(max(integral + error / valve.band_k, 0.0), 1.0), integral

    def after_step(self, state, t_k: np.ndarray) -> bool:
        changed = False
        for ln in self.valves:
            name = ln.loop.name
            ls = state.loops[name]
            x = ls.valve_position
            target, integral = self._law(ln, ls, t_k)
            self._candidate[name] = integral
            g = x - target
            if abs(g) <= POSITION_TOL:
                continue
            s = self._search.setdefault(name, {})
            s["hi" if g > 0 else "lo"] = (x, g)
            if "lo" in s and "hi" in s:
                (xl, gl), (xh, gh) = s["lo"], s["hi"]
                x_new = xl - gl * (xh - xl) / (gh - gl)
                if not min(xl, xh) < x_new < max(xl, xh) or s.get("stalled"):
                    x_new = 0.5 * (xl + xh)
                s["stalled"] = not s.get("stalled") and abs(g) > 0.5 * abs(s.get("last_g", math.inf))
                s["last_g"] = g
            else:
                x_new = target  # no bracket yet: where the law points
            ls.valve_position = x_new
            changed = True
        if not changed:
            return False
        self.tries += 1
        if self.tries > MAX_VALVE_SOLVES:
            raise ConvergenceError(f"bypass valve: its position within a time step not settled after {MAX_VALVE_SOLVES} "
                                   "solves")
        update_loops(self.net, state, self._start)
        self.resolves += 1
        return True


POSITION_TOL = 1e-4  # valve position settled within a step (1e-4 of its travel: ~1e-3 K of sensor)


def loop_status(net, state, t_k: np.ndarray) -> dict:
    """Per loop, one output's values: flows, inlet/outlet temperatures and pressure drop of each
    branch, pump head and power, valve position, fluid temperatures, freezing margin; two-phase
    loops add qualities, pressures, dry-out and the pump inlet's subcooling."""
    out = {}
    for ln in net.loops:
        loop, ls = ln.loop, state.loops[ln.loop.name]
        row = {"mass_flow": ls.mass_flow_kg_s.copy(), "dp": ls.branch_dp_pa.copy(), "pump_head": ls.pump_head_pa,
               "pump_power": ls.pump_power_w, "cp": ls.cp_j_kgk, "hydraulic_iterations": ls.hydraulic_iterations,
               "valve_position": ls.valve_position if loop.valve else math.nan}
        if loop.two_phase:
            row.update(two_phase_status(ln, ls, t_k))
            t_fluid = np.concatenate([row["t_fluid"], row["manifolds"]])
            t_freeze, boiling = fluid_range(loop)[0], 0  # boiling is what the loop is for
        else:
            t_freeze, t_max = fluid_range(loop)
            row.update(t_in=np.array([t_k[ln.manifold[b.source]] for b in loop.branches]),
                       t_out=np.array([t_k[bn.fluid[-1]] for bn in ln.branches]),
                       manifolds=np.array([t_k[n] for n in ln.manifold.values()]),
                       t_fluid=t_k[np.concatenate([bn.fluid for bn in ln.branches])])
            t_fluid = t_k[np.concatenate([bn.fluid for bn in ln.branches] + [np.array(list(ln.manifold.values()))])]
            boiling = int(np.sum(t_fluid >= t_max))
        row.update(t_min=float(t_fluid.min()), t_max=float(t_fluid.max()),
                   freezing_margin=float(t_fluid.min() - t_freeze), frozen=int(np.sum(t_fluid <= t_freeze)),
                   boiling=boiling)
        out[loop.name] = row
    return out


def fluid_range(loop) -> tuple[float, float]:
    """(freezing, top) temperatures of a loop's fluid [K]: a liquid loop boils above the top; a
    two-phase loop's top is near the critical point."""
    table = saturation_table(loop.fluid) if loop.two_phase else liquid_table(loop.fluid, loop.concentration)
    return table.t_freeze_k, table.t_max_k


class LoopSeries:
    """Per loop, at every output: the rows of ``loop_status`` stacked, plus the fluid temperature
    along every branch (for plots) and the static description."""

    def __init__(self, net):
        self.net = net
        self.rows = []
        self.along = []

    def add(self, state, t_k) -> None:
        rows = loop_status(self.net, state, t_k)
        self.along.append({name: row.pop("t_fluid") for name, row in rows.items()})
        self.rows.append(rows)

    def snapshot(self) -> dict:
        return {"rows": list(self.rows), "along": list(self.along)}

    def restore(self, tree: dict) -> None:
        self.rows, self.along = list(tree["rows"]), list(tree["along"])

    def result(self) -> dict:
        out = {}
        for ln in self.net.loops:
            loop = ln.loop
            name = loop.name
            rows = [r[name] for r in self.rows]
            rec = {key: np.array([r[key] for r in rows]) for key in rows[0]} if rows else {}
            rec["t_fluid"] = np.array([a[name] for a in self.along])
            label = loop.fluid if loop.two_phase else liquid_table(loop.fluid, loop.concentration).name
            rec.update(fluid=label, t_freeze_k=fluid_range(loop)[0], two_phase=loop.two_phase,
                       accumulator_t_k=loop.accumulator.saturation_temperature_k if loop.two_phase else math.nan, branches=[b.name for b in loop.branches],
                       manifold_names=list(ln.manifold), valve=loop.valve is not None,
                       set_point_k=loop.valve.set_point_k if loop.valve else math.nan,
                       fluid_mass_kg=ln.fluid_mass_kg,
                       branch_of_node=np.concatenate([np.full(bn.fluid.size, i) for i, bn in enumerate(ln.branches)]),
                       x_m=np.concatenate([bn.x1_m for bn in ln.branches]),
                       polylines={bn.name: bn.polylines for bn in ln.branches})
            out[name] = rec
        return out
