"""solve(case): build the network, run the solver the case asks for, return a Result.

One path for every mode: the network is built (or reused: it is immutable), a fresh run state is
made for it, the mode's solver runs with a :class:`_Recorder` that collects what each output
needs (heat-pipe series, orbit rows, the streamed HDF5 steps), and one finish turns the solution
into a Result.

With ``output`` set, a transient run streams each output step to the HDF5 file as it is computed,
so a run that dies (non-convergence, NaN, kill) leaves every step before it readable; the error
message says how many steps were written.  A steady state (one step) and an orbit-periodic state
(only the last orbit is the answer) are written when they are found.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from thermal.apps.resources import check_resources
from thermal.apps.resume import Checkpointer, discard_checkpoint, load_resume, restore_hooks, snapshot_hooks
from thermal.build.environment import Environment
from thermal.build.network import build_network
from thermal.errors import ThermalError
from thermal.output.checkpoint import checkpoint_path
from thermal.output.heaters import HeaterSeries, node_label
from thermal.output.radiation import exchange_series, exchange_step, optics_at, radiation_record, stack_steps
from thermal.output.results import ResultWriter, mesh_dict, read_result, result_from_solution
from thermal.physics import orbit as orb
from thermal.solvers import solve_steady, solve_transient_fixed_step
from thermal.solvers.heat_pipes import PipeSeries, TransientPipes, solve_steady_with_pipes
from thermal.solvers.hooks import combined
from thermal.solvers.linalg import linear_solver_for
from thermal.solvers.loops import LoopSeries, TransientLoops, initial_temperatures, solve_steady_with_loops, \
    update_loops
from thermal.solvers.periodic import solve_periodic
from thermal.solvers.run_state import RunState
from thermal.solvers.stepper import AdaptiveSettings, solve_transient_adaptive


@dataclass
class _Recorder:
    """What a run records at its outputs besides the temperatures: the heat-pipe series (taken with
    the run state of that output: a transient's dry-out changes the films step by step), the
    fluxes on each face, and the streamed HDF5 steps."""

    case: object
    net: object
    env: Environment
    state: RunState
    strict: bool  # a frozen or supercritical pipe is an error (steady), or a flag (already streamed)
    writer: ResultWriter | None = None
    series: PipeSeries | None = None
    loops: LoopSeries | None = None
    heaters: HeaterSeries | None = None
    orbit_rows: list = field(default_factory=list)
    radiation_rows: list = field(default_factory=list)  # exchange_step at each output (exchange cases)

    def __post_init__(self):
        # louvered radiation patches take their optics at each state's T (solvers/louvers.py)
        self.follows = self.net.radiation is not None and bool(self.net.louver_surf.size)
        self.restart()

    def restart(self):
        """Forget what was recorded (each orbit of a periodic solve starts a new record)."""
        self.series = PipeSeries(self.case, self.net, strict=self.strict) if self.net.heat_pipes else None
        self.loops = LoopSeries(self.net) if self.net.loops else None
        self.heaters = HeaterSeries(self.net) if self.net.heaters.count else None
        self.orbit_rows, self.radiation_rows = [], []

    def on_output(self, time_s, t_k, balance, sun=None):
        if self.series is not None:
            self.series.add(self.state, t_k)
        if self.loops is not None:
            self.loops.add(self.state, t_k)
        if self.heaters is not None:
            self.heaters.add(self.state, t_k)
        if sun is None and self.env.geometry is not None:
            sun = self.env.geometry.sun_fraction(time_s)
        if self.case.orbit is not None:
            self.orbit_rows.append((sun, self.state.face_q_solar_w_m2.copy(), self.state.face_q_ir_w_m2.copy()))
        if self.net.radiation is not None:
            self.radiation_rows.append(exchange_step(self.net, t_k, self.state.face_q_solar_w_m2,
                                                     self.state.face_q_ir_w_m2,
                                                     optics_at(self.net, t_k) if self.follows else None))
        if self.writer is not None:
            self.writer.append_state(self.net, self.state, time_s, t_k, balance, sun)

    def snapshot(self) -> dict:
        """The series recorded so far (a checkpoint; the orbit rows are in the written file)."""
        return {"written": self.writer.n if self.writer is not None else 0,
                "radiation": list(self.radiation_rows),
                **{k: s.snapshot() for k, s in (("pipes", self.series), ("loops", self.loops),
                                                 ("heaters", self.heaters)) if s is not None}}

    def restore(self, tree: dict) -> None:
        self.radiation_rows = list(tree["radiation"])
        for key, series in (("pipes", self.series), ("loops", self.loops), ("heaters", self.heaters)):
            if series is not None:
                series.restore(tree[key])

    def orbit(self) -> dict | None:
        if not self.orbit_rows:
            return None
        return {"faces": list(self.net.face_names), "sun_fraction": [r[0] for r in self.orbit_rows],
                "q_solar": [r[1] for r in self.orbit_rows], "q_ir": [r[2] for r in self.orbit_rows]}


def solve(case, output=None, progress=False, network=None, force=False, resume=False, checkpoint_every_s=None,
          xdmf: bool = True):
    """Solve ``case`` (steady, transient or periodic, as it says) on ``network`` (built from the case
    if not given: a network can be solved any number of times) and return a Result.  The case's
    memory and step count are estimated first (apps/resources.py); ``force`` runs past the guard.
    With ``output``, a transient or periodic run saves a checkpoint every ``checkpoint_every_s``
    seconds (None: never), and ``resume`` goes on from the checkpoint an interrupted run of the same
    case left there (apps/resume.py; from the start if there is none).  ``xdmf=False`` writes no
    ParaView views of ``output`` (files kept for reuse only, like a sizing's solve cache)."""
    start = time.perf_counter()
    if network is None:
        check_resources(case, force=force)
    net = network or build_network(case)
    build_s = time.perf_counter() - start
    env = Environment(case, net)
    state = RunState.fresh(net)
    rec = _Recorder(case, net, env, state, strict=case.mode == "steady")
    run = _Resumable(case, state, rec, output, resume, checkpoint_every_s)
    periodic = None
    if case.mode == "steady":
        solution, extra = _steady(case, net, env, state, rec)
    elif case.mode == "periodic":
        periodic, extra = _periodic(case, net, env, state, rec, run)
        solution = periodic.solution
    else:
        solution, extra = _transient(case, net, env, state, rec, output, progress, run)
    attrs = _attrs(case, net, solution, build_s, env)
    attrs.update(extra)
    if periodic is not None:  # the whole search, not only the returned orbit
        attrs["wall_s"] = periodic.wall_s + build_s
    result = _finish(case, net, env, solution, attrs, rec, output, xdmf)
    run.completed()
    result.solution = solution
    result.network = net
    result.periodic = periodic
    return result


def _finish(case, net, env, solution, attrs, rec, output, xdmf=True):
    """The Result of a solve, written to ``output`` (or its streamed file completed).  A resumed
    transient holds only the steps after its checkpoint in memory: its Result is read back from
    the completed file."""
    resumed = rec.writer is not None and rec.writer.resumed
    result = None if resumed else result_from_solution(case, net, solution, attrs)
    heat_pipes = rec.series.result() if rec.series is not None else None
    loops = rec.loops.result() if rec.loops is not None else None
    heaters = rec.heaters.result(solution.heaters, lambda i: node_label(net, i)) if rec.heaters is not None else None
    radiation = None
    if net.radiation is not None:
        if rec.radiation_rows:
            series = stack_steps(rec.radiation_rows)
        else:  # periodic: the returned orbit's steps
            orbit = rec.orbit()
            nt = len(solution.times_s)
            series = exchange_series(net, solution.t_k, orbit["q_solar"] if orbit else [net.face_q_solar_w_m2] * nt,
                                     orbit["q_ir"] if orbit else [net.face_q_ir_w_m2] * nt, follows=rec.follows)
        radiation = radiation_record(net, env, series, optics_at(net, solution.t_k[-1]) if rec.follows else None)
    if rec.writer is not None:  # streamed: complete it (renamed from .part), with the pipe series
        rec.writer.close(attrs, xdmf=xdmf, heat_pipes=heat_pipes, radiation=radiation, loops=loops, heaters=heaters)
        if resumed:
            return read_result(rec.writer.final)
    for key, value in (("heat_pipes", heat_pipes), ("loops", loops), ("heaters", heaters), ("radiation", radiation)):
        if value is not None:  # else the Result's own empty default
            setattr(result, key, value)
    result.orbit = rec.orbit()
    if rec.writer is None and output is not None:
        result.write(output, xdmf=xdmf)
    return result


class _Resumable:
    """Checkpoints of one run and its resumption (apps/resume.py): what to save beside the solver's
    own state, and putting it back."""

    def __init__(self, case, state, rec, output, resume, every_s):
        self.state, self.rec, self.hook = state, rec, None
        active = output is not None and case.mode != "steady"
        self.saved = load_resume(output, case) if active and resume else None
        if output is not None and self.saved is None:
            discard_checkpoint(checkpoint_path(output))  # a stale checkpoint never pairs with a new run
        self.checkpointer = Checkpointer(output, case, every_s, self._parts) if active and every_s is not None else None

    def _parts(self) -> dict:
        return {"state": self.state.snapshot(), "hooks": snapshot_hooks(self.hook), "recorder": self.rec.snapshot()}

    def restore(self, hook) -> dict | None:
        """Put the run state, the hooks and the recorder back (after the mode's own set-up); the
        solver's part of the checkpoint, or None when starting from the beginning."""
        self.hook = hook
        if self.saved is None:
            return None
        self.state.restore(self.saved["state"])
        restore_hooks(hook, self.saved["hooks"])
        self.rec.restore(self.saved["recorder"])
        return self.saved["solver"]

    def completed(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.discard()


def _steady(case, net, env, state, rec):
    env.apply_orbit_average(state)  # the constant fluxes again without an orbit
    extra = {}
    # one linear solver over a loop's outer passes: its LU (or hierarchy) preconditions the next
    # pass's first solves, whose matrix differs only in the loop's coefficients
    linear = linear_solver_for(net, case.solver, resumable=False)  # steady: no checkpoint

    def once(t_guess=None):
        if net.heat_pipes:
            sol, _, extra["heat_pipe_outer_iterations"] = solve_steady_with_pipes(case, net, state, solve_steady,
                                                                                  t_guess)
            return sol
        return solve_steady(net, case.solver, state=state, t_initial=t_guess, linear=linear)

    if net.loops:
        solution, extra["loop_outer_passes"] = solve_steady_with_loops(case, net, state, once)
    else:
        solution = once()
    # a steady state of an orbit case stands for the orbit average: its mean Sun fraction
    sun = env.mean_sun_fraction() if case.orbit is not None else None
    rec.on_output(0.0, solution.t_k[0], solution.energy[0], sun=sun)
    return solution, extra


def _periodic(case, net, env, state, rec, run):
    ps = case.periodic

    def on_output(time_s, t_k, balance):  # each orbit starts a new record; the last orbit's is kept
        if time_s == 0.0:
            rec.restart()
        if rec.series is not None:
            rec.series.add(state, t_k)
        if rec.loops is not None:
            rec.loops.add(state, t_k)
        if rec.heaters is not None:
            rec.heaters.add(state, t_k)

    if net.loops:  # the first steady guess needs the loops' flows
        update_loops(net, state, initial_temperatures(net, case.solver.initial_t_k))
    hook = _hook(case, net)
    saved = run.restore(hook)
    adaptive = AdaptiveSettings(order=2, atol_k=ps.step_tolerance_k, dt_initial_s=min(10.0, ps.max_step_s),
                                dt_max_s=ps.max_step_s)
    per = solve_periodic(net, case.solver, env, adaptive, events=env.events(env.period_s), tol_k=ps.tolerance_k,
                         max_orbits=ps.max_orbits, method=ps.method, state=state, on_output=on_output,
                         step_hook=hook, checkpoint=run.checkpointer, resume=saved)
    rec.orbit_rows = []
    for time_s, t_k in zip(per.solution.times_s, per.solution.t_k):  # the fluxes along the returned orbit
        if rec.follows:  # reflected at the louvered patches' optics of that moment
            direct_solar, direct_ir, nu = (v[0] for v in env.over_direct(np.array([float(time_s)])))
            model = optics_at(net, t_k)
            solar, ir = direct_solar + model.reflect_solar @ direct_solar, direct_ir + model.reflect_ir @ direct_ir
        else:
            solar, ir, nu = env.at(float(time_s))
        rec.orbit_rows.append((float(nu), np.array(solar, float), np.array(ir, float)))
    extra = {"periodic_orbits": per.orbits, "periodicity_k": per.periodicity_k,
             "energy_closure": per.energy_closure, "periodic_method": ps.method,
             "periodic_history_k": np.asarray(per.history_k)}
    if saved is not None:
        extra["resumed_after_orbit"] = saved["orbits"]
    return per, extra


def _transient(case, net, env, state, rec, output, progress, run):
    meshes = {p.name: mesh_dict(net, p) for p in case.panels}
    if run.saved is not None:  # the checkpoint's output steps kept, those after it written again
        rec.writer = ResultWriter.reopen(output, meshes, run.saved["recorder"]["written"])
    elif output is not None:
        rec.writer = ResultWriter(output, case.name, case.mode, case.source_text, meshes, list(net.lumped_names),
                                  {"case_file": case.file}, faces=list(net.face_names) if case.orbit else None,
                                  chips={f"{p}.{fp}": limit for p, fp, _, limit in net.chips})
    hook = _hook(case, net)
    if net.loops:  # the flows of the initial state (its output row, the first step's predictor)
        update_loops(net, state, initial_temperatures(net, case.solver.initial_t_k))
    saved = run.restore(hook)
    marching = {"checkpoint": run.checkpointer, "resume": saved}
    tr = case.transient
    try:
        if tr.scheme == "fixed":
            solution = solve_transient_fixed_step(net, case.solver, tr, on_output=rec.on_output, progress=progress,
                                                  environment=env, step_hook=hook, state=state, **marching)
        else:
            events = env.events(tr.end_time_s)
            if tr.output_interval_s is not None:
                n_out = int(tr.end_time_s // tr.output_interval_s)
                events += [k * tr.output_interval_s for k in range(1, n_out + 1)]
            solution = solve_transient_adaptive(
                net, case.solver, tr.end_time_s,
                AdaptiveSettings(order=2 if tr.scheme == "bdf2" else 1, atol_k=tr.tolerance_k,
                                 dt_initial_s=tr.time_step_s, dt_max_s=tr.max_step_s),
                environment=env, events=events, on_output=rec.on_output,
                output_all_steps=tr.output_interval_s is None and tr.output_times_s is None,
                output_times=tr.output_times_s, progress=progress, step_hook=hook, state=state, **marching)
    except ThermalError as exc:
        if rec.writer is not None:
            rec.writer.close({"failed": str(exc)})
            exc.args = (f"{exc.args[0]} -- {rec.writer.n} output steps before it are in {rec.writer.path}",)
        raise
    except BaseException:
        if rec.writer is not None:
            rec.writer.close({"failed": "interrupted"})
        raise
    # steps solved again for dry-out, and for the valves' implicit law
    extra = {}
    for h in getattr(hook, "hooks", [hook]):
        if isinstance(h, TransientPipes):
            extra["heat_pipe_step_resolves"] = h.resolves
        if isinstance(h, TransientLoops):
            extra["loop_valve_step_resolves"] = h.resolves
    return solution, extra


def _hook(case, net):
    return combined([TransientPipes(case, net) if net.heat_pipes else None, TransientLoops(net) if net.loops else None])


def _attrs(case, net, solution, build_s, env) -> dict:
    attrs = {"case_file": case.file, "t_sink_k": case.t_sink_k, "n_nodes": net.n_nodes, "n_links": net.n_links,
             "newton_iterations": solution.newton_iterations, "linear_solver": solution.linear_method,
             "wall_s": solution.wall_s + build_s, "defaults_used": "; ".join(case.defaults_used),
             "build_s": build_s, "solve_s": solution.wall_s}  # network (with view factors); the solver's own
    if solution.linear_stats is not None and solution.linear_stats.switched:
        attrs["linear_solver_switch"] = solution.linear_stats.switched
    attrs["environment"] = env.describe() + (" (orbit-averaged fluxes)" if case.mode == "steady" and case.orbit
                                             else "")
    if case.orbit is not None:
        o = case.orbit
        attrs["orbit_period_s"] = env.period_s
        attrs["beta_deg"] = math.degrees(o.beta_rad)
        attrs["eclipse_fraction"] = orb.eclipse_fraction(o.altitude_m, o.beta_rad)
        if o.inclination_rad is not None:
            # the plane precesses (J2): the beta angle over the year that follows the case's date
            _, beta = orb.beta_through_year(o.altitude_m, o.inclination_rad, o.raan_rad, o.date, 365, 5.0)
            crit = orb.critical_beta_rad(o.altitude_m)
            attrs["beta_year_deg"] = np.degrees(beta)
            attrs["inclination_deg"] = math.degrees(o.inclination_rad)
            attrs["eclipse_days_per_year"] = float(5.0 * np.sum(np.abs(beta) < crit))
    return attrs
