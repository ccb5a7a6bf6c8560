"""solve(case): build the network, run the solver the case asks for, return a Result.

With ``output`` set, a transient run streams each output step to the HDF5 file as it is computed,
so a run that dies (non-convergence, NaN, kill) leaves every step before it readable; the
error message says how many steps were written.
"""
from __future__ import annotations

import time

from .errors import ThermalError
from .network import build_network
from .results import ResultWriter, mesh_dict, result_from_solution
from .solvers import solve_steady, solve_transient_fixed_step


def solve(case, output=None, progress=False, network=None):
    start = time.perf_counter()
    net = network or build_network(case)
    build_s = time.perf_counter() - start
    if case.mode == "steady":
        solution = solve_steady(net, case.solver)
        result = result_from_solution(case, net, solution, _attrs(case, net, solution, build_s))
        if output is not None:
            result.write(output)
        result.solution = solution
        result.network = net
        return result

    writer = None
    if output is not None:
        writer = ResultWriter(output, case.name, case.mode, case.source_text,
                              {p.name: mesh_dict(net, p) for p in case.panels}, list(net.lumped_names),
                              {"case_file": case.file})

    def on_output(time_s, t_k, balance):
        if writer is not None:
            writer.append_state(net, time_s, t_k, balance)

    try:
        solution = solve_transient_fixed_step(net, case.solver, case.transient, on_output=on_output,
                                              progress=progress)
    except ThermalError as exc:
        if writer is not None:
            writer.close({"failed": str(exc)})
            exc.args = (f"{exc.args[0]} -- {writer.n} output steps before it are in {writer.path}",)
        raise
    except BaseException:
        if writer is not None:
            writer.close({"failed": "interrupted"})
        raise
    attrs = _attrs(case, net, solution, build_s)
    if writer is not None:
        writer.close(attrs)
    result = result_from_solution(case, net, solution, attrs)
    result.solution = solution
    result.network = net
    return result


def _attrs(case, net, solution, build_s) -> dict:
    return {"case_file": case.file, "t_sink_k": case.t_sink_k, "n_nodes": net.n_nodes, "n_links": net.n_links,
            "newton_iterations": solution.newton_iterations, "linear_solver": solution.linear_method,
            "wall_s": solution.wall_s + build_s, "defaults_used": "; ".join(case.defaults_used)}
