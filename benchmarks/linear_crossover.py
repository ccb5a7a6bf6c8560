"""Where sparse LU stops paying: direct (SuperLU) against AMG-preconditioned Krylov, by network size,
for a symmetric system (constant k: compiled AMG-CG) and a non-symmetric one (k(T) tables: GMRES
through scipy with pyamg's V-cycle), steady and a 30-step transient of the reference plate, and the
flagship sizing's hot repeating unit (chip stack, six heat pipes, radiator) at the sizing's mesh and
refined x2.  "direct" above the direct limit reuses its factors across solves (solvers/linalg.py).
The "auto" policy's limits (constants.DIRECT_LIMIT_NODES, AMG_SLOW_ITERATIONS_PER_DIGIT,
DIRECT_FALLBACK_NODES) come from this table.

    python benchmarks/linear_crossover.py [--sizes 32 64 128 256] [--out benchmarks/linear_crossover.md]
"""
import argparse
import time
from pathlib import Path

import numpy as np

from thermal.apps.sizing.estimate import design_environment
from thermal.apps.sizing.input import load_sizing
from thermal.apps.sizing.unit_case import unit_case_text
from thermal.apps.solve import solve
from thermal.build.network import build_network
from thermal.input.case_file import parse_case
from thermal.input.overrides import case_text_with
from thermal.solvers import solve_steady, solve_transient_fixed_step

ROOT = Path(__file__).resolve().parents[1]
K_OF_T = [[200.0, 163.0], [300.0, 177.0], [400.0, 186.0], [600.0, 186.0], [1200.0, 190.0]]  # al1100-like


def case_for(n, symmetric, method, mode):
    over = {"panels.plate.cells": [n, n], "solver.linear_solver": method}
    if not symmetric:
        over["materials.plate_al.k"] = K_OF_T
    if mode == "transient":
        over.update({"case.mode": "transient",
                     "transient": {"time_step": "10 s", "end_time": "300 s", "output_every": 30}})
    return parse_case(case_text_with((ROOT / "cases" / "reference_plate.toml").read_text(), over, create=True))


def flagship_unit(method, refine):
    """The hot repeating unit of the flagship sizing at 1.6 m (chip stack, cold plate, six heat pipes,
    radiator; k(T) tables make it non-symmetric), ``refine`` x the sizing's in-plane cells."""
    spec = load_sizing(ROOT / "cases" / "sizing" / "flagship_100kw.toml")
    text = unit_case_text(spec, design_environment(spec, "hot"), 1.6, spec.chip_power_w * spec.hot_power_factor,
                          refine=refine)
    return parse_case(case_text_with(text, {"solver.linear_solver": method}, create=True))


def timed(n, symmetric, method, mode):
    if symmetric is None:  # the flagship unit (steady: its heat pipes are iterated around Newton)
        case = flagship_unit(method, n)
        t0 = time.perf_counter()
        res = solve(case)
        return time.perf_counter() - t0, np.concatenate([np.nan_to_num(f[-1]).ravel() for f in res.fields.values()])
    case = case_for(n, symmetric, method, mode)
    net = build_network(case)
    assert net.symmetric == symmetric
    t0 = time.perf_counter()
    sol = solve_steady(net, case.solver) if mode == "steady" else \
        solve_transient_fixed_step(net, case.solver, case.transient)
    return time.perf_counter() - t0, sol.t_k[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128, 256])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("linear_crossover.md"))
    args = ap.parse_args()
    timed(1, None, "direct", "steady")
    for symmetric in (True, False):  # compile/load every kernel before timing
        for method in ("direct", "amg"):
            timed(16, symmetric, method, "transient")
    lines = ["| system | mode | nodes | direct [s] | AMG-Krylov [s] | AMG / direct | max abs dT [K] |",
             "|---|---|---|---|---|---|---|"]
    for symmetric in (True, False):
        for mode in ("steady", "transient"):
            for n in args.sizes:
                best = {}
                for method in ("direct", "amg"):
                    runs = [timed(n, symmetric, method, mode) for _ in range(args.repeat)]
                    best[method] = (min(r[0] for r in runs), runs[0][1])
                dev = float(np.max(np.abs(best["direct"][1] - best["amg"][1])))
                row = (f"| {'symmetric (k const)' if symmetric else 'non-symmetric (k(T))'} | {mode} | {n * n} | "
                       f"{best['direct'][0]:.3f} | {best['amg'][0]:.3f} | {best['amg'][0] / best['direct'][0]:.2f} | "
                       f"{dev:.1e} |")
                print(row, flush=True)
                lines.append(row)
    for refine in (1, 2):
        best = {}
        for method in ("direct", "amg"):
            runs = [timed(refine, None, method, "steady") for _ in range(args.repeat)]
            best[method] = (min(r[0] for r in runs), runs[0][1])
        nodes = build_network(flagship_unit("auto", refine)).n_nodes
        dev = float(np.max(np.abs(best["direct"][1] - best["amg"][1])))
        row = (f"| flagship hot unit (k(T), heat pipes) | steady | {nodes} | {best['direct'][0]:.3f} | "
               f"{best['amg'][0]:.3f} | {best['amg'][0] / best['direct'][0]:.2f} | {dev:.1e} |")
        print(row, flush=True)
        lines.append(row)
    args.out.write_text("Best of %d runs, one process, this machine (%s).\n\n" % (args.repeat, time.strftime("%Y-%m-%d"))
                        + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
