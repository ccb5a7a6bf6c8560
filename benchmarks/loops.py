"""Pumped loops against heat pipes, side by side in one run.

1. Solver cost: ``cases/four_gpu_ammonia.toml`` (eight heat pipes) against its pumped-loop twin
   ``cases/four_gpu_pumped_loop.toml`` (the same cold plate and radiator; a bored serpentine, two
   parallel radiator tubes and a bypass valve), and the twin without its valve: wall time and peak
   memory of each steady run in its own process, steady solves needed, hydraulic Newton iterations.
2. The flagship's repeating unit (one 700 W GPU and its share of the radiator, as `thermal size
   cases/sizing/flagship_100kw.toml` sized it) with its six ammonia heat pipes, and the same unit
   with the pumped ammonia loop of `cases/sizing/flagship_100kw_pumped_loop.toml` (bores, six 4.6 mm
   tubes, 10 K coolant rise, bypass valve): hot-case junction, radiator temperatures, pump power,
   transport mass; the cold case (idle, no heater): cold plates, coldest coolant and its freezing
   margin.  Same radiator area: which carries the heat with less temperature drop and less mass
   (`thermal size` on each file gives the resized designs).

    python benchmarks/loops.py [--out benchmarks/loops_results.md]
"""
from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import resource
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FLAGSHIP = ROOT / "cases" / "sizing" / "flagship_100kw.toml"
FLAGSHIP_LOOP = ROOT / "cases" / "sizing" / "flagship_100kw_pumped_loop.toml"
SIZED_AREA_M2 = 140.31  # the flagship's hot-case area (README, `make run`)
REPEATS = 3


def _child(path_or_text, name, queue):
    from thermal import solve
    from thermal.input.case_file import load_case, parse_case

    start = time.perf_counter()
    case = parse_case(path_or_text, name) if "\n" in str(path_or_text) else load_case(path_or_text)
    result = solve(case)
    wall = time.perf_counter() - start
    loops = {k: (int(np.max(v["hydraulic_iterations"])), float(v["pump_power"][-1])) for k, v in result.loops.items()}
    queue.put({"wall_s": wall, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
               "nodes": result.attrs["n_nodes"], "passes": result.attrs.get("loop_outer_passes",
                                                                             result.attrs.get("heat_pipe_outer_iterations")),
               "tj_c": max((float(c["t_max"].max()) for c in result.chips.values()), default=math.nan) - 273.15,
               "node_c": float(result.node_t_k[-1][list(result.node_names).index("coldplate")]) - 273.15
               if "coldplate" in list(result.node_names) else math.nan,
               "loops": loops})


def run_isolated(path_or_text, name="<unit>") -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(path_or_text, name, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def cost_rows() -> list[str]:
    novalve = (ROOT / "cases" / "four_gpu_pumped_loop.toml").read_text()
    a, b = novalve.index("[loops.coolant.valve]"), novalve.index("# the cold plate:")
    novalve = novalve[:a] + novalve[b:]
    bypass = novalve[novalve.index("[loops.coolant.branches.bypass]"):novalve.index("# two radiator tubes")]
    novalve = novalve.replace(bypass, "")
    runs = [("four_gpu_ammonia (8 heat pipes)", ROOT / "cases" / "four_gpu_ammonia.toml"),
            ("four_gpu_pumped_loop (valve at 25 degC)", ROOT / "cases" / "four_gpu_pumped_loop.toml"),
            ("four_gpu_pumped_loop without its valve", novalve)]
    rows = ["| case | nodes | wall [s] | / heat pipes | peak memory [MB] | steady solves | hydraulic Newton its | "
            "Tj max [degC] |", "|---|---|---|---|---|---|---|---|"]
    base = None
    for label, src in runs:
        r = run_isolated(src if isinstance(src, Path) else src, label)
        base = base or r["wall_s"]
        its = ", ".join(str(v[0]) for v in r["loops"].values()) or "-"
        rows.append(f"| {label} | {r['nodes']} | {r['wall_s']:.2f} | {r['wall_s'] / base:.2f} | {r['peak_mb']:.0f} | "
                    f"{r['passes']} | {its} | {r['tj_c']:.2f} |")
    return rows


def two_phase_rows() -> list[str]:
    """The bundled two-phase loop and its dried-out twin (a third of the flow): wall time, outer
    passes (homotopy stages and relaxed fixed point together), evaporator exit quality."""
    text = (ROOT / "cases" / "two_phase_loop.toml").read_text()
    runs = [("two_phase_loop (4 g/s)", text),
            ("two_phase_loop at 1.2 g/s (dry-out)", text.replace('mass_flow = "4 g/s"', 'mass_flow = "1.2 g/s"'))]
    rows = ["| case | nodes | wall [s] | peak memory [MB] | steady solves | cold plate [degC] |", "|---|---|---|---|---|---|"]
    for label, src in runs:
        r = run_isolated(src, label)
        rows.append(f"| {label} | {r['nodes']} | {r['wall_s']:.2f} | {r['peak_mb']:.0f} | {r['passes']} | "
                    f"{r['node_c']:.2f} |")
    return rows


def flagship_units():
    """The hot and cold repeating units of both flagship sizing files at the heat-pipe design's sized
    length (the pumped-loop file's own unit: its bores, tubes, transfer runs and bypass valve)."""
    from thermal.apps.sizing.estimate import design_environment, masses, pipe_for
    from thermal.apps.sizing.input import load_sizing
    from thermal.apps.sizing.unit_case import unit_case_text

    out = {}
    for key, path in (("hp", FLAGSHIP), ("loop", FLAGSHIP_LOOP)):
        spec = load_sizing(path)
        length = SIZED_AREA_M2 / (spec.chips * spec.pipes_per_chip * spec.pipe_pitch_m)
        hot, cold = design_environment(spec, "hot"), design_environment(spec, "cold")
        p_hot, p_idle = spec.chip_power_w * spec.hot_power_factor, spec.chip_power_w * spec.idle_fraction
        pipe = pipe_for(spec, length) if spec.architecture == "heat_pipes" else None
        out[key] = {"spec": spec, "length": length, "hot": unit_case_text(spec, hot, length, p_hot),
                    "cold": unit_case_text(spec, cold, length, p_idle),
                    "mass": masses(spec, spec.materials, length, pipe)}
    return out


def design_rows() -> list[str]:
    from thermal import solve
    from thermal.input.case_file import parse_case

    units = flagship_units()
    res = {}
    for key in ("hp", "loop"):
        for case in ("hot", "cold"):
            walls = []
            for _ in range(REPEATS):  # the least of a few: the first pays the kernels' cache load, the machine is shared
                start = time.perf_counter()
                r = solve(parse_case(units[key][case], f"<flagship unit {key} {case}>"))
                walls.append(time.perf_counter() - start)
            r.wall = min(walls)
            res[key, case] = r
    tj = {k: max(float(c["t_max"].max()) for c in r.chips.values()) - 273.15 for k, r in res.items()}
    rad = {k: float(np.nanmean(r.fields["radiator"][-1])) - 273.15 for k, r in res.items()}
    spec, length = units["loop"]["spec"], units["loop"]["length"]
    loop, cold = res["loop", "hot"].loops["coolant"], res["loop", "cold"].loops["coolant"]
    m_hp, m_loop = units["hp"]["mass"], units["loop"]["mass"]
    pipes_kg = m_hp["heat_pipes"]
    loop_kg = m_loop["loop_tubes"] + m_loop["loop_fluid"] + m_loop["pumps_accumulator"]
    t_vap = [float(p["t_vapour"][-1]) - 273.15 for p in res["hp", "hot"].heat_pipes.values()]
    chips = spec.chips
    return [f"Flagship unit: {spec.chip_power_w:.0f} W GPU, radiator {length:.3f} m x "
            f"{spec.pipes_per_chip * spec.pipe_pitch_m:.2f} m (the heat-pipe design's sized {SIZED_AREA_M2} m2 / "
            f"{chips} chips); the loop as `cases/sizing/flagship_100kw_pumped_loop.toml` describes it "
            f"({float(loop['mass_flow'][-1][0]) * 1e3:.2f} g/s per chip, bypass valve at "
            f"{spec.loop.bypass_set_point_k - 273.15:.0f} degC); steady orbit-average states.", "",
            "| | heat pipes (6 x 15.9 mm grooved Al/NH3) | pumped NH3 loop (6 x 4.6 mm tubes) |", "|---|---|---|",
            f"| hot case: Tj max [degC] | {tj['hp', 'hot']:.2f} | {tj['loop', 'hot']:.2f} |",
            f"| hot case: radiator mean [degC] | {rad['hp', 'hot']:.2f} | {rad['loop', 'hot']:.2f} |",
            f"| hot case: vapour / coolant range [degC] | {min(t_vap):.2f}-{max(t_vap):.2f} | "
            f"{float(loop['t_min'][-1]) - 273.15:.2f}-{float(loop['t_max'][-1]) - 273.15:.2f} |",
            f"| pump power into the fluid, all chips [W] | - | {float(loop['pump_power'][-1]) * chips:.1f} "
            f"(head {float(loop['pump_head'][-1]) / 1e3:.1f} kPa) |",
            f"| transport mass, module [kg] | {pipes_kg:.1f} (pipes) | {loop_kg:.1f} (tubes and headers "
            f"{m_loop['loop_tubes']:.1f}, ammonia {m_loop['loop_fluid']:.1f}, pumps {m_loop['pumps_accumulator']:.1f}) |",
            f"| cold case (idle, no heater): Tj [degC] | {tj['hp', 'cold']:.2f} | {tj['loop', 'cold']:.2f} |",
            f"| cold case: coldest cold plate [degC] | {float(np.nanmin(res['hp', 'cold'].fields['coldplate'])) - 273.15:.2f} | "
            f"{float(np.nanmin(res['loop', 'cold'].fields['coldplate'])) - 273.15:.2f} (valve "
            f"{float(cold['valve_position'][-1]):.3f} to the radiator) |",
            f"| cold case: coldest coolant [degC], freezing margin [K] | - | "
            f"{float(cold['t_min'][-1]) - 273.15:.2f}, {float(cold['freezing_margin'][-1]):.1f} |",
            f"| steady solve wall [s] (hot; cold; least of {REPEATS}) | {res['hp', 'hot'].wall:.2f}; {res['hp', 'cold'].wall:.2f} | "
            f"{res['loop', 'hot'].wall:.2f}; {res['loop', 'cold'].wall:.2f} |"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE / "loops_results.md")
    args = ap.parse_args()
    lines = ["# Pumped loops against heat pipes", "", f"`python benchmarks/loops.py`, {time.strftime('%Y-%m-%d')}, "
             f"load average {__import__('os').getloadavg()[0]:.1f}", "", "## Solver cost (steady, each in its own process)",
             ""]
    lines += cost_rows()
    lines += ["", "## Two-phase loop (each in its own process)", ""]
    lines += two_phase_rows()
    lines += ["", "## The flagship's repeating unit, heat pipes vs a pumped loop (same radiator)", ""]
    lines += design_rows()
    text = "\n".join(lines) + "\n"
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
