"""Accuracy against cost of the transient schemes on the reference plate (shared/bench/PROBLEM.md).

The reference answer is BDF2 with a 1e-5 K local tolerance; each scheme's error is the largest
|T - T_ref| over the plate at t = 60, 600 and 3600 s.  Run: python benchmarks/adaptive.py [N]
"""
import sys
import time
from pathlib import Path

import numpy as np

from thermal.build.network import build_network
from thermal.input.case_file import parse_case
from thermal.input.overrides import case_text_with
from thermal.solvers import solve_transient_fixed_step
from thermal.solvers.stepper import AdaptiveSettings, solve_transient_adaptive

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINTS = (60.0, 600.0, 3600.0)


def case_for(n):
    text = (ROOT / "cases" / "reference_plate.toml").read_text()
    over = {"panels.plate.cells": [n, n], "case.mode": "transient",
            "transient": {"time_step": "10 s", "end_time": "3600 s"}}
    return parse_case(case_text_with(text, over, create=True))


def adaptive_run(case, tol, order=2):
    net = build_network(case)
    t0 = time.perf_counter()
    sol = solve_transient_adaptive(net, case.solver, 3600.0,
                                   AdaptiveSettings(order=order, atol_k=tol, dt_initial_s=1.0),
                                   events=CHECKPOINTS, output_all_steps=False)
    return sol, time.perf_counter() - t0


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    case = case_for(n)
    ref, _ = adaptive_run(case, 1e-5)
    ref_states = {t: s for t, s in zip(ref.times_s, ref.t_k)}
    rows = []
    net = build_network(case)
    t0 = time.perf_counter()
    sol = solve_transient_fixed_step(net, case.solver, case.transient)
    wall = time.perf_counter() - t0
    err = max(float(np.max(np.abs(sol.t_k[int(round(t / 10.0))] - ref_states[t]))) for t in CHECKPOINTS)
    rows.append(("fixed BE, 10 s (the benchmark)", 360, 0, sol.newton_iterations, wall, err))
    for order, tols in ((2, (1.0, 0.1, 0.01, 1e-3)), (1, (0.1, 0.01))):
        for tol in tols:
            sol, wall = adaptive_run(case, tol, order)
            err = max(float(np.max(np.abs(s - ref_states[t]))) for t, s in zip(sol.times_s, sol.t_k) if t > 0)
            rows.append((f"BDF{order}, local tolerance {tol:g} K", sol.steps_accepted, sol.steps_rejected,
                         sol.newton_iterations, wall, err))
    print(f"Reference plate N = {n}, 0-3600 s; reference: BDF2 at 1e-5 K ({ref.steps_accepted} steps)\n")
    print("| scheme | steps | rejected | Newton its | wall [s] | max error at 60/600/3600 s [K] |")
    print("|---|---|---|---|---|---|")
    for name, steps, rej, its, wall, err in rows:
        print(f"| {name} | {steps} | {rej} | {its} | {wall:.2f} | {err:.2e} |")


if __name__ == "__main__":
    main()
