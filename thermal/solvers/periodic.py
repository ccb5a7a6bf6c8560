"""The orbit-periodic state, found directly: a fixed point of the one-orbit map T(0) -> T(P).

Plain marching applies the map until T stops changing, which takes as many orbits as the slowest
thermal time constant needs.  Here the map's fixed point is found with Anderson acceleration
(type II, depth m): x_{k+1} = x_k + g_k - (dX + dG) gamma, with gamma the least-squares fit of the
last m residual differences dG to g_k = map(x_k) - x_k.  It starts from the orbit-average steady
state.  The answer carries its certificate: the periodicity residual max|T(P) - T(0)| of the
returned orbit, and the orbit's energy closure (absorbed + generated - radiated integrated over
the orbit, which is the change of stored energy and is ~0 for a periodic state).

``method = "march"`` is the baseline: plain marching from the case's initial temperature, the
way a transient run reaches the periodic state.  Note that a periodicity residual r with a map
that contracts by rho per orbit leaves the state r / (1 - rho) from the fixed point: slowly
settling radiators need a tighter tolerance when marched.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from thermal.errors import ConvergenceError
from thermal.solvers.linalg import linear_solver_for
from thermal.solvers.steady import solve_steady
from thermal.solvers.stepper import solve_transient_adaptive
from thermal.solvers.system import Assembler, serial_blas


@dataclass
class PeriodicResult:
    solution: object  # the last orbit (Solution: every accepted step)
    orbits: int  # one-orbit integrations used, the start excluded
    periodicity_k: float  # max |T(P) - T(0)| of the returned orbit
    energy_closure: float  # |mean in - mean out| / mean in over the returned orbit (see orbit_energy_closure)
    history_k: list  # max |map(x) - x| per iteration
    wall_s: float


def orbit_energy_closure(solution) -> float:
    """|mean(generated + absorbed) - mean(radiated + conducted out)| / mean(generated + absorbed) over
    the orbit, trapezoid rule on the accepted steps."""
    times = np.asarray(solution.times_s)
    inflow = np.array([b.generated_w + b.absorbed_w for b in solution.energy])
    outflow = np.array([b.radiated_w + b.conducted_out_w for b in solution.energy])
    trap = lambda y: float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(times)))  # noqa: E731
    return abs(trap(inflow) - trap(outflow)) / max(abs(trap(inflow)), 1e-300)


@serial_blas
def solve_periodic(net, settings, environment, adaptive, events=(), tol_k=1e-3, max_orbits=100, method="anderson",
                   depth=5, step_hook=None, on_output=None, state=None, checkpoint=None,
                   resume=None) -> PeriodicResult:
    """``state``: the run state every orbit integration writes (a fresh one if none).
    ``checkpoint(take)`` is called after every orbit that did not end the search; ``take()`` gives
    the search's state (the iterate, Anderson's differences, the residual history) as a plain tree,
    which ``resume`` takes to go on from the next orbit (the run state and the hooks are the
    caller's to put back, as saved with it)."""
    start = time.perf_counter()
    period = environment.period_s
    assembler = Assembler(net, state)
    linear = linear_solver_for(net, settings)
    if resume is not None:
        x = np.array(resume["x"], float)
    elif method == "march":
        # plain marching as a user's transient does it: from the initial temperature, orbit after orbit
        x = assembler.initial_state(settings.initial_t_k)
    else:
        environment.apply_orbit_average(assembler.state)
        x = solve_steady(net, settings, assembler, linear).t_k[0]
    free = net.fixed == 0

    def one_orbit(t0):
        sol = solve_transient_adaptive(net, settings, period, adaptive, environment=environment, events=events,
                                       assembler=assembler, linear=linear, t_initial_k=t0, step_hook=step_hook,
                                       on_output=on_output)
        return sol.t_k[-1], sol

    dx_hist, dg_hist, history = [], [], []
    x_prev = g_prev = None
    first = 1
    if resume is not None:
        first, history = resume["orbits"] + 1, list(resume["history_k"])
        dx_hist, dg_hist = list(resume["dx"]), list(resume["dg"])
        x_prev, g_prev = resume["x_prev"], resume["g_prev"]
        start -= resume["wall_s"]
        linear.restore(resume["linear"])
    for k in range(first, max_orbits + 1):
        fx, sol = one_orbit(x)
        g = np.where(free, fx - x, 0.0)
        history.append(float(np.max(np.abs(g))))
        if history[-1] <= tol_k:
            return PeriodicResult(sol, k, history[-1], orbit_energy_closure(sol), history,
                                  time.perf_counter() - start)
        if method == "march":
            x_new = fx
        else:
            if x_prev is not None:
                dx_hist.append(x - x_prev)
                dg_hist.append(g - g_prev)
                if len(dx_hist) > depth:
                    dx_hist.pop(0)
                    dg_hist.pop(0)
            x_prev, g_prev = x.copy(), g.copy()
            if dg_hist:
                dG = np.column_stack(dg_hist)
                dX = np.column_stack(dx_hist)
                gamma, *_ = np.linalg.lstsq(dG, g, rcond=None)
                x_new = x + g - (dX + dG) @ gamma
            else:
                x_new = fx
            # keep the extrapolation physical (T > 0); fall back to a marching step otherwise
            if not np.all(np.isfinite(x_new)) or np.any(x_new[free] <= 0.0):
                x_new = fx
        x = x_new
        if checkpoint is not None:
            checkpoint(lambda: {"x": x.copy(), "orbits": k, "history_k": list(history), "dx": list(dx_hist),
                                "dg": list(dg_hist), "x_prev": x_prev, "g_prev": g_prev,
                                "wall_s": time.perf_counter() - start, "linear": linear.snapshot()})
    raise ConvergenceError(f"no periodic state within {max_orbits} orbits: periodicity residual {history[-1]:.3g} K "
                           f"(tolerance {tol_k:g} K)")
