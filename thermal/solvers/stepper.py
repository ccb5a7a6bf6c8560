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

A ``step_hook`` has ``before_step(state, T_n, h)`` (may change film resistances in the run state for
the step) and ``after_step(state, T_{n+1}) -> bool`` (True: it changed the run state, solve the step
again from there); the heat pipes' dry-out uses it.  ``state`` is the run state the environment and
the hook write (a fresh one if none; an ``assembler`` brings its own).  Output times land on steps
too; the end time is always an output.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from thermal.errors import ConvergenceError
from thermal.kernels import iterates
from thermal.solvers.linalg import linear_solver_for
from thermal.solvers.newton import newton_solve
from thermal.solvers.steady import Solution, check_balance
from thermal.solvers.system import Assembler, serial_blas
from thermal.solvers.thermostats import HeaterLog

LTE_CONSTANT = {1: 0.5, 2: 2.0 / 11.0}


@dataclass
class AdaptiveSettings:
    order: int = 2
    atol_k: float = 0.01
    rtol: float = 0.0
    dt_initial_s: float = 1.0
    dt_max_s: float = float("inf")
    fixed_step: bool = False


class _History:
    """The accepted states since the last restart (at most three: what BDF2 and its predictor use)."""

    def __init__(self, t0_s: float, t0_k: np.ndarray, previous_state=None):
        self.times, self.states = [t0_s], [t0_k.copy()]
        if previous_state is not None:  # a known earlier state: BDF2 starts at second order
            self.times.insert(0, float(previous_state[0]))
            self.states.insert(0, np.asarray(previous_state[1], float))

    def restart(self, now_s: float, t_k: np.ndarray):
        self.times, self.states = [now_s], [t_k.copy()]

    def push(self, now_s: float, t_k: np.ndarray):
        self.times.append(now_s)
        self.states.append(t_k.copy())
        if len(self.times) > 3:
            self.times.pop(0)
            self.states.pop(0)


class _Outputs:
    """The states a run returns (and passes to ``on_output`` as they are reached), copied into one
    (outputs x nodes) array as they come: a list of copies stacked at the end held every output
    twice at that moment.  Measured on the N = 512 plate's 360-step transient with 61 outputs: peak
    605 MB, of which 122 MB was the second copy.  Sized for the known output times (plus the start),
    doubled where more come (every step of an adaptive run)."""

    def __init__(self, output_set, on_output):
        self.output_set, self.on_output = output_set, on_output
        self.times, self.balances = [], []
        self._capacity = len(output_set) + 1 if output_set is not None else 16
        self._buffer = None

    def add(self, now_s, t_k, balance, always=False):
        if always or self.output_set is None or now_s in self.output_set:
            count = len(self.times)
            if self._buffer is None:
                self._buffer = np.empty((self._capacity, t_k.size))
            elif count == self._buffer.shape[0]:
                grown = np.empty((2 * count, t_k.size))
                grown[:count] = self._buffer
                self._buffer = grown
            self._buffer[count] = t_k
            self.times.append(now_s)
            self.balances.append(balance)
            if self.on_output:
                self.on_output(now_s, t_k, balance)

    def states(self, n_nodes: int) -> np.ndarray:
        """(outputs, nodes): the states so far, a view of the buffer (rows never written were never
        touched either: no memory is resident behind them)."""
        if self._buffer is None:
            return np.empty((0, n_nodes))
        return self._buffer[:len(self.times)]


def _schedule(events, output_times, end_time_s, output_all_steps):
    """(sorted times the steps land on, the output times or None for every step)."""
    outs = None if output_times is None else {float(e) for e in output_times if 0.0 < e < end_time_s}
    landing = sorted({float(e) for e in events if 0.0 < e < end_time_s} | (outs or set()) | {float(end_time_s)})
    if outs is not None:
        return landing, outs | {float(end_time_s)}
    return landing, (set(landing) if not output_all_steps else None)


def _step_size(adaptive: AdaptiveSettings, h: float, now: float, target: float, retry: bool) -> float:
    if adaptive.fixed_step:
        h = adaptive.dt_initial_s
        if now + h >= target * (1 - 1e-12):
            h = target - now  # land on the event; the step after it is whole again
        return h
    h = min(h, adaptive.dt_max_s)
    if now + h >= target or (not retry and now + 1.2 * h >= target):
        h = target - now  # land on the event (stretching by at most 20% rather than leave a sliver)
    return h


def _order(adaptive: AdaptiveSettings, hist: _History) -> int:
    order = min(adaptive.order, len(hist.times))
    if order == 2 and len(hist.times) < 3 and not adaptive.fixed_step:
        order = 1  # the BDF2 error estimate needs three past states
    return order


def _predict(assembler, adaptive, hist: _History, t, h, t_new_time, order, stores, cap, offset, scratch):
    """(predictor of T at t_new_time, BDF coefficient a); fills the BDF2 ``offset`` (storage.py)."""
    if adaptive.fixed_step and order == 1:
        # no error estimate to feed: the cheapest good first guess for Newton is the linear
        # extrapolation of the last two states (one Newton iteration fewer per step on smooth runs)
        offset[:] = 0.0
        if len(hist.times) < 2:
            return t, 1.0
        if len(hist.times) < 3:
            return t + (h / (hist.times[-1] - hist.times[-2])) * (t - hist.states[-2]), 1.0
        return _quadratic(hist, t_new_time), 1.0
    if order == 1:
        residual, _ = assembler.evaluate(t, None, 0.0)
        assembler.node_kernels.heat_capacity(t, assembler.storage, cap)
        rate = np.zeros_like(t)
        rate[stores] = residual[stores] / cap[stores]
        offset[:] = 0.0
        return t + h * rate, 1.0
    t0, t1, t2 = hist.times[-3] if len(hist.times) >= 3 else None, hist.times[-2], hist.times[-1]
    w = h / (t2 - t1)
    assembler.node_kernels.stored_heat(hist.states[-2], hist.states[-1], assembler.storage, scratch)
    offset[:] = w * w / (1 + w) * scratch / h
    if t0 is None:
        return hist.states[-1] + w * (hist.states[-1] - hist.states[-2]), (1 + 2 * w) / (1 + w)
    return _quadratic(hist, t_new_time), (1 + 2 * w) / (1 + w)


def _quadratic(hist: _History, x: float) -> np.ndarray:
    """The quadratic through the last three states, at time x."""
    t0, t1, t2 = hist.times[-3:]
    l0 = (x - t1) * (x - t2) / ((t0 - t1) * (t0 - t2))
    l1 = (x - t0) * (x - t2) / ((t1 - t0) * (t1 - t2))
    l2 = (x - t0) * (x - t1) / ((t2 - t0) * (t2 - t1))
    out = np.empty_like(hist.states[-1])
    iterates.quadratic(l0, hist.states[-3], l1, hist.states[-2], l2, hist.states[-1], out)
    return out


def _corrector(assembler, linear, settings, guess, t, h, a, offset, q_norm, step_hook, context, tally):
    """Newton on the step's equations; with a step hook (heat-pipe dry-out) the step is solved again
    from where it got to while the hook changes the run state.  ``tally[0]`` counts the Newton
    iterations (those of a step that fails in the end too)."""
    state = assembler.state
    if step_hook is not None:
        step_hook.before_step(state, t, h)
    while True:
        result = newton_solve(assembler, linear, guess, settings, t_old_k=t, inv_dt_s=1.0 / h, context=context,
                              q_norm_w=q_norm, first_forcing=1e-3, bdf_a=a, stored_offset_w=offset)
        tally[0] += result.iterations
        if step_hook is None or not step_hook.after_step(state, result.t_k):
            return result
        guess = result.t_k  # the run state changed: the same step again, from where it got to


def _local_error(adaptive, order, t_new, pred, stores) -> float:
    """Milne's estimate, max |LTE| / (atol + rtol |T|) over the nodes that store heat (0: accept)."""
    if adaptive.fixed_step or not stores.any():
        return 0.0
    lte = LTE_CONSTANT[order] * np.abs(t_new - pred)[stores]
    return float(np.max(lte / (adaptive.atol_k + adaptive.rtol * np.abs(t_new[stores]))))


class _StepSolver:
    """One implicit step from a state, for any length and order (the run's scratch arrays live here:
    ``offset`` holds the BDF2 storage offset of the last step solved)."""

    def __init__(self, assembler, linear, settings, adaptive, environment, step_hook, t0_k):
        self.assembler, self.linear, self.settings, self.adaptive = assembler, linear, settings, adaptive
        self.environment, self.step_hook = environment, step_hook
        n = assembler.net.n_nodes
        self.cap, self.offset, self.scratch = np.empty(n), np.zeros(n), np.empty(n)
        assembler.node_kernels.heat_capacity(t0_k, assembler.storage, self.cap)
        self.stores = (self.cap > 0) & (assembler.net.fixed == 0)
        self.newton = [0]  # Newton iterations over the run (those of failed steps too)

    def solve(self, now, t, hist, h, order, accepted):
        """(Newton result, predictor, BDF a) of the step of ``h`` from (``now``, ``t``)."""
        asm, t_new_time = self.assembler, now + h
        if self.environment is not None:
            self.environment.apply(asm.state, t_new_time)
        q_norm = asm.heat_input_norm()
        pred, a = _predict(asm, self.adaptive, hist, t, h, t_new_time, order, self.stores, self.cap, self.offset,
                           self.scratch)
        guess = np.empty_like(t)
        iterates.guarded_guess(pred, t, self.stores, guess)
        result = _corrector(asm, self.linear, self.settings, guess, t, h, a, self.offset, q_norm, self.step_hook,
                            f" (time step {accepted + 1} of {h:.4g} s to t = {t_new_time:g} s)", self.newton)
        return result, pred, a


def _land_on_switch(heaters, step, now, t, hist, h, order, accepted, solved):
    """(h, (result, predictor, a)) of the step, cut short where a thermostat's sensor crosses its
    threshold inside it (solvers/thermostats.py); unchanged when none does."""
    if heaters is None:
        return h, solved
    last = {}

    def trial(h_try):
        last["step"] = step.solve(now, t, hist, h_try, order, accepted)
        return last["step"][0].t_k

    h_new, _, moved = heaters.locate(trial, h, t, solved[0].t_k)
    return (h_new, last["step"]) if moved else (h, solved)


@serial_blas
def solve_transient_adaptive(net, settings, end_time_s, adaptive: AdaptiveSettings, environment=None,
                             events=(), on_output=None, output_all_steps=True, progress=False,
                             assembler=None, linear=None, previous_state=None, t_initial_k=None,
                             output_times=None, step_hook=None, state=None, checkpoint=None,
                             resume=None) -> Solution:
    """March to ``end_time_s``.  ``previous_state`` = (t < 0, T(t)) lets BDF2 start at second order;
    outputs: every accepted step, or the events (``output_all_steps`` false), or ``output_times``;
    ``step_hook`` and ``state`` as in the module docstring.

    ``checkpoint(take)``, after every accepted step: ``take()`` gives what the march needs to go on
    from there (a plain tree); ``resume``: such a tree to go on from (the run state, hooks and
    outputs before it are the caller's to put back; the counts go on from the saved ones)."""
    start = time.perf_counter()
    assembler = assembler or Assembler(net, state)
    state = assembler.state
    # the matrix an AMG hierarchy was built from is kept only where a checkpoint may need it
    linear = linear or linear_solver_for(net, settings, resumable=checkpoint is not None)
    t = assembler.initial_state(settings.initial_t_k) if t_initial_k is None else np.array(t_initial_k, float)
    if resume is not None:
        t = np.array(resume["t_k"], float)
    step = _StepSolver(assembler, linear, settings, adaptive, environment, step_hook, t)
    events, output_set = _schedule(events, output_times, end_time_s, output_all_steps)
    outputs = _Outputs(output_set, on_output)
    hist = _History(0.0, t, previous_state)
    heaters, (now, h, accepted, rejected) = _begin(step, linear, outputs, hist, t, settings, resume)
    if resume is not None:
        start -= resume["wall_s"]
    ev = 0
    retry = False  # the last attempt was rejected: only shorten steps now
    bar = _progress_bar(environment, end_time_s, now) if progress else None
    while now < end_time_s * (1 - 1e-14):
        while events[ev] <= now * (1 + 1e-14):
            ev += 1
        target = events[ev]
        h = _step_size(adaptive, h, now, target, retry)
        order = _order(adaptive, hist)
        try:
            result, pred, a = step.solve(now, t, hist, h, order, accepted)
        except ConvergenceError:
            if adaptive.fixed_step or h < 1e-6 * max(end_time_s, 1.0):
                raise
            h *= 0.25
            rejected += 1
            retry = True
            continue
        err = _local_error(adaptive, order, result.t_k, pred, step.stores)
        if err > 1.0:
            rejected += 1
            retry = True
            h *= max(0.2, 0.9 * err ** (-1.0 / (order + 1)))
            continue
        retry = False
        h_full = h
        h, (result, pred, a) = _land_on_switch(heaters, step, now, t, hist, h, order, accepted, (result, pred, a))
        t_new, t_new_time = result.t_k, now + h
        balance = assembler.energy(t_new, t, 1.0 / h, a, step.offset)
        check_balance(balance, f"time step to t = {t_new_time:g} s")
        accepted += 1
        hit_event = abs(t_new_time - target) <= 1e-12 * max(1.0, target)
        switched = heaters is not None and heaters.accept(t_new_time, h, t_new, assembler.heater_power_w)
        now = target if hit_event else t_new_time
        t = t_new
        if (hit_event or switched) and not adaptive.fixed_step:
            hist.restart(now, t)  # restart at first order after a discontinuity
        else:
            hist.push(now, t)
        outputs.add(now, t, balance)
        if bar:
            bar.update(h / (environment.period_s if environment is not None and environment.period_s else 1.0))
        if h < h_full:
            h = h_full  # the step cut short at a switch says nothing about the error: keep the step size
        elif not adaptive.fixed_step:
            h *= 2.0 if err == 0.0 else min(2.0, max(0.2, 0.9 * err ** (-1.0 / (order + 1))))
        if checkpoint is not None:
            checkpoint(lambda: _snapshot(t, now, h, accepted, rejected, hist, step, linear, heaters, start))
    if bar:
        bar.close()
    return Solution(np.asarray(outputs.times), outputs.states(t.size), outputs.balances, step.newton[0],
                    linear.method,
                    time.perf_counter() - start, linear_stats=linear.stats, steps_accepted=accepted,
                    steps_rejected=rejected, state=state, heaters=heaters.record() if heaters is not None else None)


def _begin(step, linear, outputs, hist, t, settings, resume):
    """(the heater log or None, (now, h, accepted, rejected)): the march's start, at t = 0 (the
    first output) or where ``resume`` says."""
    asm, environment = step.assembler, step.environment
    if resume is None:
        if environment is not None:
            environment.apply(asm.state, 0.0)
        outputs.add(0.0, t, asm.initial_balance(t), always=True)
    heaters = HeaterLog(asm.net, asm.state, t, settings.step_tolerance, environment.period_s
                        if environment is not None else None) if asm.net.heaters.count else None
    if resume is None:
        return heaters, (0.0, step.adaptive.dt_initial_s, 0, 0)
    return heaters, _restore(resume, hist, step, linear, heaters)


def _snapshot(t, now, h, accepted, rejected, hist, step, linear, heaters, start) -> dict:
    """What the march needs to go on after this accepted step (``resume``)."""
    return {"t_k": t.copy(), "now_s": now, "h_s": h, "accepted": accepted, "rejected": rejected,
            "history_s": list(hist.times), "history_k": [x.copy() for x in hist.states], "newton": step.newton[0],
            "linear": linear.snapshot(), "wall_s": time.perf_counter() - start,
            "heaters": heaters.snapshot() if heaters is not None else None}


def _restore(saved, hist, step, linear, heaters):
    """Put a ``_snapshot`` back; (now, h, accepted, rejected)."""
    hist.times, hist.states = list(saved["history_s"]), [np.array(x, float) for x in saved["history_k"]]
    step.newton[0] = saved["newton"]
    linear.restore(saved["linear"])
    if heaters is not None:
        heaters.restore(saved["heaters"])
    return saved["now_s"], saved["h_s"], saved["accepted"], saved["rejected"]


def _progress_bar(environment, end_time_s, now_s=0.0):
    """tqdm counting orbits in orbit cases (with the ETA), seconds otherwise."""
    period = environment.period_s if environment is not None else None
    scale = period if period else 1.0
    return tqdm(total=end_time_s / scale, initial=now_s / scale, unit="orbit" if period else "s", desc="transient",
                leave=False,
                bar_format="{l_bar}{bar}| {n:.2f}/{total:.2f} {unit}s [{elapsed}<{remaining}]" if period else None)
