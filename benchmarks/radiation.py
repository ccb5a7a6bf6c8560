"""Radiation exchange: the cost of view factors with blocking, and of a steady solve with exchange
against the same case without it.

1. Two parallel 1 m plates 0.5 m apart, n x n patches on each facing side (up to 71 x 71: 10^4
   patches in all): build time split (view factors: exact integrals and ray casting; then the grey
   exchange, two dense r x r solves), rays cast, the error of sum F against Howell's closed form for
   the whole plates, and the process's peak memory so far (rows grow, so it is each row's own).
   Each size again with a 3 m x 0.5 m strip between the plates, so that every pair's rays are
   tested against it.
2. ``cases/radiator_with_array.toml`` solved steady with the array and without it (radiator alone,
   no [radiation] table), at its own grid and at 96 x 96 cells (the AMG path): wall time, Newton
   iterations, linear iterations.

    python benchmarks/radiation.py [--out benchmarks/radiation_results.md] [--max-patches 71]
"""
from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STRIP = """
[surfaces.strip]
kind = "blocker"
origin = ["-1 m", "0.25 m", "0.25 m"]
x_axis = "+x"
y_axis = "+y"
size = ["3 m", "0.5 m"]
"""


def view_factor_rows(sizes):
    from thermal.build.network import build_network
    from thermal.input.case_file import parse_case
    from thermal.input.overrides import case_text_with
    from thermal.physics import analytic

    path = ROOT / "thermal" / "data" / "validation" / "parallel_plates.toml"
    exact = analytic.vf_parallel_rectangles(1.0, 1.0, 0.5)
    rows = []
    for n in sizes:
        for strip in (False, True):
            text = case_text_with(path.read_text(), {"panels.heated.faces.top.patches": [n, n],
                                                     "panels.facing.faces.bottom.patches": [n, n],
                                                     "panels.heated.cells": [n, n], "panels.facing.cells": [n, n]},
                                  str(path))
            if strip:
                text += STRIP
            start = time.perf_counter()
            net = build_network(parse_case(text, str(path)))
            wall = time.perf_counter() - start
            rad = net.radiation
            hot = np.array([o == "heated.top" for o in rad.owners])
            f_sum = float((rad.area_m2[hot] @ rad.view_factor_unblocked[hot]).sum() / rad.area_m2[hot].sum())
            f_seen = float((rad.area_m2[hot] @ rad.view_factor[hot]).sum() / rad.area_m2[hot].sum())
            t = rad.timings_s
            rows.append((strip, rad.count, wall, t["view_factors_s"], t["exact_s"], t["blocking_s"],
                         t["total_s"] - t["view_factors_s"], rad.rays, f_sum - exact, f_seen, rad.reciprocity_error,
                         resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    return rows


def solve_rows():
    from thermal.apps.solve import solve
    from thermal.input.case_file import parse_case

    text = (ROOT / "cases" / "radiator_with_array.toml").read_text()
    alone = text[:text.index("\n[surfaces.array]")].replace("patches = [4, 4]\n", "")
    rows = []
    for cells in (None, 96):
        for label, body in (("with array", text), ("alone, no exchange", alone)):
            t = body if cells is None else body.replace("cells = [24, 24]", f"cells = [{cells}, {cells}]")
            case = parse_case(t, "radiator_with_array.toml")
            solve(case)  # compile and warm caches
            start = time.perf_counter()
            result = solve(case)
            wall = time.perf_counter() - start
            sol = result.solution
            tj = float(result.chips["radiator.electronics"]["t_max"][-1]) - 273.15
            rows.append((label, cells or 24, result.network.n_nodes, wall, result.attrs["build_s"],
                         result.attrs["solve_s"], sol.newton_iterations, sol.linear_method, sol.linear_stats.iterations, tj))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "radiation_results.md")
    ap.add_argument("--max-patches", type=int, default=71,
                    help="largest n (n x n patches per plate; 71: 10 082 patches in all)")
    ap.add_argument("--solves-only", action="store_true",
                    help="rerun only the steady solves, keeping the view-factor table of --out")
    args = ap.parse_args()
    sizes = [n for n in (4, 8, 16, 32, 71) if n <= args.max_patches]
    solve_head = "## Steady solve with and without the exchange (`cases/radiator_with_array.toml`)"
    if args.solves_only:
        old = args.out.read_text()
        lines = old[:old.index(solve_head)].rstrip("\n").split("\n")
        lines[2] = f"{lines[2]}; solves {time.strftime('%Y-%m-%d %H:%M')} (`--solves-only`)"
    else:
        view_factor_rows([4])  # compile the kernels outside the timings
        lines = ["# Radiation exchange benchmark", "", f"{time.strftime('%Y-%m-%d %H:%M')}, `python benchmarks/radiation.py`",
                 "", "## View factors with blocking (two parallel 1 m plates, 0.5 m apart)", "",
                 "| strip between | patches | build [s] | view factors [s] | of which exact integrals [s] | "
                 "ray casting [s] | grey exchange [s] | rays | sum F - Howell | sum F seen | reciprocity | peak RSS [MB] |",
                 "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for strip, r, wall, vf, ex, bl, grey, rays, err, seen, recip, rss in view_factor_rows(sizes):
            lines.append(f"| {'yes' if strip else 'no'} | {r} | {wall:.2f} | {vf:.2f} | {ex:.2f} | {bl:.2f} | {grey:.2f} | "
                         f"{rays:.3g} | {err:.1e} | {seen:.5f} | {recip:.1e} | {rss:.0f} |")
    lines += ["", solve_head, "",
              "wall: the whole `solve` (second call, warm); network build: mesh, view factors with blocking, grey "
              "exchange; Newton: the steady solver alone (the rest is the orbit-averaged fluxes, whose sunlit and "
              "Earth-visible shares are ray-cast at 720 orbit samples with the exchange, and the output).", "",
              "| case | cells | nodes | wall [s] | network build [s] | Newton solve [s] | Newton | linear | "
              "linear iterations | Tj max [°C] |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for label, cells, n, wall, build, newton_s, newton, method, iters, tj in solve_rows():
        lines.append(f"| {label} | {cells} x {cells} | {n} | {wall:.3f} | {build:.3f} | {newton_s:.3f} | {newton} | "
                     f"{method} | {iters} | {tj:.2f} |")
    text = "\n".join(lines) + "\n"
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
