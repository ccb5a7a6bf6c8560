"""Orbit-periodic state found directly (Anderson on the one-orbit map, from the orbit-average
steady state) against plain marching from the initial temperature, on every bundled orbit case.

Both stop at the same periodicity tolerance max|T(P) - T(0)| (the case's, 1 mK by default) with the
same BDF2 steps inside an orbit; what is compared is how many orbit integrations each needed, the
wall time, and how far apart the two periodic states are (marching stops r / (1 - rho) away from
the fixed point, rho the orbit-to-orbit decay of the slowest mode, so it can be further off than
its residual says).

    python benchmarks/periodic.py [--out benchmarks/periodic_results.md]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CASES = ("leo_53deg_eclipse", "dawn_dusk_edge_on", "leo_heavy_periodic")


def run(name: str, method: str):
    import tomllib

    from thermal.apps.solve import solve
    from thermal.input.case_file import parse_case
    from thermal.input.overrides import dumps, set_key

    raw = tomllib.loads((ROOT / "cases" / f"{name}.toml").read_text())
    raw.pop("transient", None)  # a transient case's [transient] table means nothing in periodic mode
    set_key(raw, "case.mode", "periodic")
    raw.setdefault("periodic", {})["method"] = method
    case = parse_case(dumps(raw), f"{name}.toml")
    start = time.perf_counter()
    result = solve(case)
    wall = time.perf_counter() - start
    per = result.periodic
    return dict(orbits=per.orbits, wall_s=wall, periodicity_k=per.periodicity_k, closure=per.energy_closure,
                state=result.solution.t_k[0], t_max_k=float(np.max(result.solution.t_k)),
                nodes=result.network.n_nodes, tol_k=case.periodic.tolerance_k)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE / "periodic_results.md")
    args = ap.parse_args()
    from thermal.solvers import solve_steady  # noqa: F401  (loads the kernels before any timing)

    lines = ["| case | nodes | method | orbit integrations | wall [s] | max\\|T(P) − T(0)\\| [K] | orbit energy closure "
             "| T_max [K] | max \\|ΔT\\| between the two states [K] | orbits saved | time saved |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in CASES:
        res = {m: run(name, m) for m in ("anderson", "march")}
        gap = float(np.max(np.abs(res["anderson"]["state"] - res["march"]["state"])))
        for m, r in res.items():
            extra = (f"{res['march']['orbits'] / r['orbits']:.1f}×", f"{res['march']['wall_s'] / r['wall_s']:.1f}×") \
                if m == "anderson" else ("", "")
            lines.append(f"| {name} | {r['nodes']} | {m} | {r['orbits']} | {r['wall_s']:.1f} | {r['periodicity_k']:.1e} "
                         f"| {r['closure']:.1e} | {r['t_max_k']:.3f} | {gap:.1e} | {extra[0]} | {extra[1]} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
