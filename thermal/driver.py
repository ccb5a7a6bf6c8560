"""solve(case): build the network, run the solver the case asks for, return a Result.

With ``output`` set, a transient run streams each output step to the HDF5 file as it is computed,
so a run that dies (non-convergence, NaN, kill) leaves every step before it readable; the
error message says how many steps were written.
"""
from __future__ import annotations

import time

import numpy as np

from .environment import Environment
from .errors import ThermalError
from .network import build_network
from .pipe_report import PipeSeries, TransientPipes, pipe_series, solve_steady_with_pipes
from .results import ResultWriter, mesh_dict, result_from_solution, write_heat_pipes
from .solvers import solve_steady, solve_transient_fixed_step
from .solvers.adaptive import AdaptiveSettings, solve_transient_adaptive
from .solvers.periodic import solve_periodic


def solve(case, output=None, progress=False, network=None):
    start = time.perf_counter()
    net = network or build_network(case)
    build_s = time.perf_counter() - start
    env = Environment(case, net)
    if case.mode == "steady":
        env.apply_orbit_average(net)  # no-op without an orbit
        outer = None
        if net.heat_pipes:
            solution, _, outer = solve_steady_with_pipes(case, net, solve_steady)
        else:
            solution = solve_steady(net, case.solver)
        attrs = _attrs(case, net, solution, build_s, env)
        if outer is not None:
            attrs["heat_pipe_outer_iterations"] = outer
        result = result_from_solution(case, net, solution, attrs)
        if net.heat_pipes:
            result.heat_pipes = pipe_series(case, net, solution.t_k, strict=True)
        if case.orbit is not None:
            sun = _mean_sun_fraction(env)
            result.orbit = {"faces": list(net.face_names), "sun_fraction": [sun],
                            "q_solar": [net.face_q_solar_w_m2.copy()], "q_ir": [net.face_q_ir_w_m2.copy()]}
        if output is not None:
            result.write(output)
        result.solution = solution
        result.network = net
        return result

    if case.mode == "periodic":
        return _solve_periodic(case, net, env, output, build_s)

    writer = None
    if output is not None:
        writer = ResultWriter(output, case.name, case.mode, case.source_text,
                              {p.name: mesh_dict(net, p) for p in case.panels}, list(net.lumped_names),
                              {"case_file": case.file}, faces=list(net.face_names) if case.orbit else None,
                              chips={f"{p}.{fp}": limit for p, fp, _, limit in net.chips})
    orbit_rows = []
    # recorded as each output is reached: a transient's dry-out changes the films from step to step
    series = PipeSeries(case, net, strict=False) if net.heat_pipes else None

    def on_output(time_s, t_k, balance):
        if series is not None:
            series.add(t_k)
        sun = env.geometry.sun_fraction(time_s) if env.geometry is not None else None
        if case.orbit is not None:
            orbit_rows.append((sun, net.face_q_solar_w_m2.copy(), net.face_q_ir_w_m2.copy()))
        if writer is not None:
            writer.append_state(net, time_s, t_k, balance, sun)

    hook = TransientPipes(case, net) if net.heat_pipes else None
    try:
        tr = case.transient
        if tr.scheme == "fixed":
            solution = solve_transient_fixed_step(net, case.solver, tr, on_output=on_output, progress=progress,
                                                  environment=env, step_hook=hook)
        else:
            events = env.events(tr.end_time_s)
            if tr.output_interval_s is not None:
                n_out = int(tr.end_time_s // tr.output_interval_s)
                events += [k * tr.output_interval_s for k in range(1, n_out + 1)]
            solution = solve_transient_adaptive(
                net, case.solver, tr.end_time_s,
                AdaptiveSettings(order=2 if tr.scheme == "bdf2" else 1, atol_k=tr.tolerance_k,
                                 dt_initial_s=tr.time_step_s, dt_max_s=tr.max_step_s),
                environment=env, events=events, on_output=on_output,
                output_all_steps=tr.output_interval_s is None, progress=progress, step_hook=hook)
    except ThermalError as exc:
        if writer is not None:
            writer.close({"failed": str(exc)})
            exc.args = (f"{exc.args[0]} -- {writer.n} output steps before it are in {writer.path}",)
        raise
    except BaseException:
        if writer is not None:
            writer.close({"failed": "interrupted"})
        raise
    attrs = _attrs(case, net, solution, build_s, env)
    if hook is not None:
        attrs["heat_pipe_step_resolves"] = hook.resolves  # steps solved again for dry-out
    if writer is not None:
        writer.close(attrs)
    result = result_from_solution(case, net, solution, attrs)
    if series is not None:
        result.heat_pipes = series.result()
        if writer is not None:
            write_heat_pipes(output, result.heat_pipes)
    if orbit_rows:
        result.orbit = {"faces": list(net.face_names), "sun_fraction": [r[0] for r in orbit_rows],
                        "q_solar": [r[1] for r in orbit_rows], "q_ir": [r[2] for r in orbit_rows]}
    result.solution = solution
    result.network = net
    return result


def _solve_periodic(case, net, env, output, build_s):
    ps = case.periodic
    events = env.events(env.period_s)
    recorder = {"series": None}

    def on_output(time_s, t_k, balance):  # each orbit starts a new record; the last orbit's is kept
        if not net.heat_pipes:
            return
        if time_s == 0.0:
            recorder["series"] = PipeSeries(case, net, strict=False)
        recorder["series"].add(t_k)

    per = solve_periodic(net, case.solver, env, AdaptiveSettings(order=2, atol_k=ps.step_tolerance_k,
                                                                 dt_initial_s=min(10.0, ps.max_step_s),
                                                                 dt_max_s=ps.max_step_s),
                         events=events, tol_k=ps.tolerance_k, max_orbits=ps.max_orbits, method=ps.method,
                         step_hook=TransientPipes(case, net) if net.heat_pipes else None, on_output=on_output)
    solution = per.solution
    rows = []
    for time_s in solution.times_s:  # the fluxes along the returned orbit, for /orbit
        solar, ir, nu = env.at(float(time_s))
        rows.append((nu, np.array(solar, float), np.array(ir, float)))
    attrs = _attrs(case, net, solution, build_s, env)
    attrs.update({"periodic_orbits": per.orbits, "periodicity_k": per.periodicity_k,
                  "energy_closure": per.energy_closure, "periodic_method": ps.method,
                  "periodic_history_k": np.asarray(per.history_k), "wall_s": per.wall_s + build_s})
    result = result_from_solution(case, net, solution, attrs)
    if net.heat_pipes:
        result.heat_pipes = recorder["series"].result()
    result.orbit = {"faces": list(net.face_names), "sun_fraction": [r[0] for r in rows],
                    "q_solar": [r[1] for r in rows], "q_ir": [r[2] for r in rows]}
    if output is not None:
        result.write(output)
    result.solution = solution
    result.network = net
    result.periodic = per
    return result


def _mean_sun_fraction(env, samples=720) -> float:
    period = env.period_s
    return float(sum(env.geometry.sun_fraction((k + 0.5) * period / samples) for k in range(samples)) / samples)


def _attrs(case, net, solution, build_s, env=None) -> dict:
    attrs = {"case_file": case.file, "t_sink_k": case.t_sink_k, "n_nodes": net.n_nodes, "n_links": net.n_links,
             "newton_iterations": solution.newton_iterations, "linear_solver": solution.linear_method,
             "wall_s": solution.wall_s + build_s, "defaults_used": "; ".join(case.defaults_used)}
    if env is not None:
        attrs["environment"] = env.describe() + (" (orbit-averaged fluxes)" if case.mode == "steady" and case.orbit
                                                 else "")
        if case.orbit is not None:
            import math

            from . import orbit as orb

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
