"""Fixed-step backward Euler (the reference benchmark's scheme).

Each step solves  m (H(T^{n+1}) - H(T^n)) / dt = F(T^{n+1})  by Newton from T^n.  Backward Euler
with the enthalpy form conserves energy exactly at the discrete level, so each step's balance
(generated + absorbed - radiated - stored - conducted out) closes to the Newton tolerance.
The adaptive, event-exact transient solver is a separate driver (issue: orbits and time).
"""
from __future__ import annotations

import time

import numpy as np

from ..linalg import LinearSolver
from ..system import Assembler
from .newton import newton_solve
from .steady import Solution, check_balance


def solve_transient_fixed_step(net, settings, transient, assembler=None, linear=None, on_output=None,
                               progress=False, environment=None) -> Solution:
    """March from the initial temperature; ``on_output(time_s, t_k, balance)`` is called at each output.

    With an ``environment`` the face fluxes are those at the end of each step (backward Euler)."""
    start = time.perf_counter()
    assembler = assembler or Assembler(net)
    linear = linear or LinearSolver(settings.linear_solver, net.n_nodes, net.constant_conductivity,
                                    settings.direct_limit)
    dt = transient.time_step_s
    # whole steps of dt; a last, shorter step lands exactly on end_time (round-off slack: 1e-9 dt)
    n_steps = int(np.ceil(transient.end_time_s / dt - 1e-9))
    t = assembler.initial_state(settings.initial_t_k)
    if environment is not None:
        environment.apply(net, 0.0)
    q_norm = assembler.heat_input_norm()
    first = assembler.initial_balance(t)
    times, states, balances = [0.0], [t.copy()], [first]
    if on_output:
        on_output(0.0, t, balances[0])
    total_iterations = 0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_steps, unit="step", desc="transient", leave=False)
    t_prev = None
    time_s = 0.0
    for step in range(1, n_steps + 1):
        h = min(dt, transient.end_time_s - time_s) if step == n_steps else dt
        time_s = transient.end_time_s if step == n_steps else step * dt
        # linear extrapolation from the last two steps as Newton's first guess (T^n on the first step):
        # one Newton iteration fewer per step on smooth transients; the answer is the same root
        guess = t if t_prev is None else np.maximum(2.0 * t - t_prev, 0.5 * t)
        if environment is not None:
            environment.apply(net, time_s)
            q_norm = assembler.heat_input_norm()
        result = newton_solve(assembler, linear, guess, settings, t_old_k=t, inv_dt_s=1.0 / h,
                              context=f" (time step {step}, t = {time_s:g} s)", q_norm_w=q_norm,
                              first_forcing=1e-3)
        balance = assembler.energy(result.t_k, t, 1.0 / h)
        check_balance(balance, f"time step {step}")
        t_prev, t = t, result.t_k
        total_iterations += result.iterations
        if step % transient.output_every == 0 or step == n_steps:
            times.append(time_s)
            states.append(t.copy())
            balances.append(balance)
            if on_output:
                on_output(time_s, t, balance)
        if bar:
            bar.update()
    if bar:
        bar.close()
    return Solution(np.asarray(times), np.asarray(states), balances, total_iterations, linear.method,
                    time.perf_counter() - start, linear_stats=linear.stats)
