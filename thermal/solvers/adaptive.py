"""Implicit BDF1/BDF2 time stepping with local error control and steps that land on events.

Each step solves, by Newton from a predictor,

    (a m integral_{T_n}^{T} cp dT - w^2/(1+w) m integral_{T_{n-1}}^{T_n} cp dT) / h = F(T, t_{n+1})

(BDF1: a = 1 and no second term; BDF2 with w = h_n/h_{n-1}: a = (1+2w)/(1+w)).  The local error is
estimated by Milne's device from the distance between the corrector and an explicit predictor of
the same order: BDF1 with an explicit-Euler predictor, LTE ~ (T - T_pred)/2; BDF2 with the quadratic
through the last three states, LTE ~ 2/11 (T - T_pred) (constant-step constants).  A step is
accepted when max_i |LTE_i| / (atol + rtol |T_i|) <= 1 over the nodes that store heat; the next
step size is h (0.9 / err)^(1/(k+1)) within [0.2 h, 2 h].

Steps land exactly on events (eclipse entry and exit, output times, schedule changes): a step that
would cross one is shortened to end on it, and the integration restarts at first order after it,
because the forcing is not smooth there.  ``fixed_step`` turns error control off: every step is
``dt_initial_s`` except where one is shortened to land on an event (the user's fixed-step backward
Euler, the reference benchmark's scheme, and the order-of-accuracy checks all run through here).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import kernels
from ..errors import ConvergenceError
from ..linalg import linear_solver_for
from ..system import Assembler
from .newton import newton_solve
from .steady import Solution, check_balance

LTE_CONSTANT = {1: 0.5, 2: 2.0 / 11.0}


@dataclass
class AdaptiveSettings:
    order: int = 2
    atol_k: float = 0.01
    rtol: float = 0.0
    dt_initial_s: float = 1.0
    dt_max_s: float = float("inf")
    fixed_step: bool = False


def solve_transient_adaptive(net, settings, end_time_s, adaptive: AdaptiveSettings, environment=None,
                             events=(), on_output=None, output_all_steps=True, progress=False,
                             assembler=None, linear=None, previous_state=None, t_initial_k=None,
                             output_times=None, step_hook=None, state=None) -> Solution:
    """``previous_state`` = (t < 0, T(t)): a known earlier state, so that BDF2 starts at second order
    (order-of-accuracy checks start from exact values); without it the first step is BDF1.

    Outputs: every accepted step (``output_all_steps``), else at the events; ``output_times`` (steps
    land on them too) replaces the events as the output times, the end time always being one.

    ``step_hook``: an object with ``before_step(state, T_n)`` (may change film resistances in the
    run state for the step) and ``after_step(state, T_{n+1}) -> bool`` (True: it changed the run
    state, solve the step again from there); the heat pipes' dry-out uses it.  ``state``: the run
    state the environment and the hook write (a fresh one if none; an ``assembler`` brings its own)."""
    start = time.perf_counter()
    assembler = assembler or Assembler(net, state)
    state = assembler.state
    linear = linear or linear_solver_for(net, settings)
    tab = (net.tab_t, net.tab_v, net.tab_n)
    cap = np.empty(net.n_nodes)
    offset = np.zeros(net.n_nodes)
    scratch = np.empty(net.n_nodes)
    t = assembler.initial_state(settings.initial_t_k) if t_initial_k is None else np.array(t_initial_k, float)
    kernels.heat_capacity(t, net.rho_v_kg, net.cp_tab, *tab, cap)
    stores = (cap > 0) & (net.fixed == 0)
    outs = None if output_times is None else {float(e) for e in output_times if 0.0 < e < end_time_s}
    events = sorted({float(e) for e in events if 0.0 < e < end_time_s} | (outs or set()) | {float(end_time_s)})
    if outs is not None:
        output_set = outs | {float(end_time_s)}
    else:
        output_set = set(events) if not output_all_steps else None
    if environment is not None:
        environment.apply(state, 0.0)
    first = assembler.initial_balance(t)
    times, states, balances = [0.0], [t.copy()], [first]
    if on_output:
        on_output(0.0, t, first)
    hist_t, hist_T = [0.0], [t.copy()]  # states since the last restart
    if previous_state is not None:
        hist_t.insert(0, float(previous_state[0]))
        hist_T.insert(0, np.asarray(previous_state[1], float))
    now = 0.0
    h = adaptive.dt_initial_s
    newton_total = rejected = accepted = 0
    ev = 0
    retry = False  # the last attempt was rejected: only shorten steps now
    bar = None
    period = environment.period_s if environment is not None else None
    scale = period if period else 1.0  # the bar counts orbits in orbit cases (tqdm adds the ETA)
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=end_time_s / scale, unit="orbit" if period else "s", desc="transient", leave=False,
                   bar_format="{l_bar}{bar}| {n:.2f}/{total:.2f} {unit}s [{elapsed}<{remaining}]" if period else None)
    while now < end_time_s * (1 - 1e-14):
        while events[ev] <= now * (1 + 1e-14):
            ev += 1
        target = events[ev]
        if adaptive.fixed_step:
            h = adaptive.dt_initial_s
            if now + h >= target * (1 - 1e-12):
                h = target - now  # land on the event; the step after it is whole again
        else:
            h = min(h, adaptive.dt_max_s)
            if now + h >= target or (not retry and now + 1.2 * h >= target):
                h = target - now  # land on the event (stretching by at most 20% rather than leave a sliver)
        order = min(adaptive.order, len(hist_t))
        if order == 2 and len(hist_t) < 3 and not adaptive.fixed_step:
            order = 1  # the BDF2 error estimate needs three past states
        t_new_time = now + h
        if environment is not None:
            environment.apply(state, t_new_time)
        q_norm = assembler.heat_input_norm()
        # predictor
        if adaptive.fixed_step and order == 1:
            # no error estimate to feed: the cheapest good first guess for Newton is the linear
            # extrapolation of the last two states (one Newton iteration fewer per step on smooth runs)
            pred = t if len(hist_t) < 2 else t + (h / (hist_t[-1] - hist_t[-2])) * (t - hist_T[-2])
            a, offset[:] = 1.0, 0.0
        elif order == 1:
            residual, _ = assembler.evaluate(t, None, 0.0)
            kernels.heat_capacity(t, net.rho_v_kg, net.cp_tab, *tab, cap)
            rate = np.zeros_like(t)
            rate[stores] = residual[stores] / cap[stores]
            pred = t + h * rate
            a, offset[:] = 1.0, 0.0
        else:
            t0, t1, t2 = hist_t[-3] if len(hist_t) >= 3 else None, hist_t[-2], hist_t[-1]
            h_prev = t2 - t1
            w = h / h_prev
            a = (1 + 2 * w) / (1 + w)
            kernels.stored_heat(hist_T[-2], hist_T[-1], net.rho_v_kg, net.cp_tab, *tab, scratch)
            offset[:] = w * w / (1 + w) * scratch / h
            if t0 is not None:
                x = t_new_time
                l0 = (x - t1) * (x - t2) / ((t0 - t1) * (t0 - t2))
                l1 = (x - t0) * (x - t2) / ((t1 - t0) * (t1 - t2))
                l2 = (x - t0) * (x - t1) / ((t2 - t0) * (t2 - t1))
                pred = l0 * hist_T[-3] + l1 * hist_T[-2] + l2 * hist_T[-1]
            else:
                pred = hist_T[-1] + w * (hist_T[-1] - hist_T[-2])
        guess = np.where(stores, np.maximum(pred, 0.5 * t), t)
        if step_hook is not None:
            step_hook.before_step(state, t)
        try:
            while True:
                result = newton_solve(assembler, linear, guess, settings, t_old_k=t, inv_dt_s=1.0 / h,
                                      context=f" (time step {accepted + 1} of {h:.4g} s to t = {t_new_time:g} s)",
                                      q_norm_w=q_norm, first_forcing=1e-3, bdf_a=a, stored_offset_w=offset)
                if step_hook is None or not step_hook.after_step(state, result.t_k):
                    break
                newton_total += result.iterations
                guess = result.t_k  # the network changed: the same step again, from where it got to
        except ConvergenceError:
            if adaptive.fixed_step or h < 1e-6 * max(end_time_s, 1.0):
                raise
            h *= 0.25
            rejected += 1
            retry = True
            continue
        newton_total += result.iterations
        t_new = result.t_k
        err = 0.0
        if not adaptive.fixed_step and stores.any():
            lte = LTE_CONSTANT[order] * np.abs(t_new - pred)[stores]
            err = float(np.max(lte / (adaptive.atol_k + adaptive.rtol * np.abs(t_new[stores]))))
            if err > 1.0:
                rejected += 1
                retry = True
                h *= max(0.2, 0.9 * err ** (-1.0 / (order + 1)))
                continue
        retry = False
        balance = assembler.energy(t_new, t, 1.0 / h, a, offset)
        check_balance(balance, f"time step to t = {t_new_time:g} s")
        accepted += 1
        hit_event = abs(t_new_time - target) <= 1e-12 * max(1.0, target)
        now = target if hit_event else t_new_time
        t = t_new
        if hit_event and not adaptive.fixed_step:
            hist_t, hist_T = [now], [t.copy()]  # restart at first order after a discontinuity
        else:
            hist_t.append(now)
            hist_T.append(t.copy())
            if len(hist_t) > 3:
                hist_t.pop(0)
                hist_T.pop(0)
        if output_set is None or now in output_set:
            times.append(now)
            states.append(t.copy())
            balances.append(balance)
            if on_output:
                on_output(now, t, balance)
        if bar:
            bar.update(h / scale)
        if not adaptive.fixed_step:
            grow = 2.0 if err == 0.0 else min(2.0, max(0.2, 0.9 * err ** (-1.0 / (order + 1))))
            h *= grow
    if bar:
        bar.close()
    return Solution(np.asarray(times), np.asarray(states), balances, newton_total, linear.method,
                    time.perf_counter() - start, linear_stats=linear.stats, steps_accepted=accepted,
                    steps_rejected=rejected, state=state)
