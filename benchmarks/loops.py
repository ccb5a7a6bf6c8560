"""Pumped loops against heat pipes, side by side in one run.

1. Solver cost: ``cases/four_gpu_ammonia.toml`` (eight heat pipes) against its pumped-loop twin
   ``cases/four_gpu_pumped_loop.toml`` (the same cold plate and radiator; a bored serpentine, two
   parallel radiator tubes and a bypass valve), and the twin without its valve: wall time and peak
   memory of each steady run in its own process, steady solves needed, hydraulic Newton iterations.
2. The flagship's repeating unit (one 700 W GPU and its share of the radiator, as `thermal size
   cases/sizing/flagship_100kw.toml` sized it) with its six ammonia heat pipes, and the same unit with
   a pumped ammonia loop instead (a serpentine channel bored through the cold plate, six parallel
   4.6 mm tubes under the radiator at the pipes' pitch, 10 K coolant rise): hot-case junction,
   radiator temperatures, pump power, transport mass per chip; the cold case (idle power, no
   heater): the coldest fluid and its freezing margin.  Same radiator area, so the comparison says
   which carries the heat with less temperature drop and less mass, not a resized design.

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
SIZED_AREA_M2 = 140.31  # the flagship's hot-case area (README, `make run`)
TUBE_OD_M, TUBE_ID_M, CHANNEL_M = 6.35e-3, 4.6e-3, 6e-3
COOLANT_RISE_K = 10.0
PUMP_EFFICIENCY = 0.3


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
               "tj_c": max(float(c["t_max"].max()) for c in result.chips.values()) - 273.15, "loops": loops})


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


def flagship_unit_texts():
    """(heat-pipe unit text, pumped-loop unit text, cold heat-pipe text, cold loop text, spec, length)."""
    from thermal.apps.sizing.estimate import design_environment
    from thermal.apps.sizing.input import load_sizing
    from thermal.apps.sizing.unit_case import unit_case_text
    from thermal.physics.coolants import liquid_table

    spec = load_sizing(FLAGSHIP)
    length = SIZED_AREA_M2 / (spec.chips * spec.pipes_per_chip * spec.pipe_pitch_m)
    hot, cold = design_environment(spec, "hot"), design_environment(spec, "cold")
    p_hot, p_idle = spec.chip_power_w * spec.hot_power_factor, spec.chip_power_w * spec.idle_fraction
    cp = float(liquid_table("ammonia").at(spec.target_k - 30.0)[1])
    m_dot = p_hot / (cp * COOLANT_RISE_K)
    texts = []
    for env, power in ((hot, p_hot), (cold, p_idle)):
        hp = unit_case_text(spec, env, length, power)
        texts.append(hp)
        texts.append(hp[:hp.index("[heat_pipes.hp1]")] + _loop_tables(spec, length, m_dot))
    return texts[0], texts[1], texts[2], texts[3], spec, length, m_dot


def _loop_tables(spec, length_m, m_dot) -> str:
    n = spec.pipes_per_chip
    rows = [(k + 0.5) * spec.plate_y_m / n for k in range(n)]
    path = []
    for k, y in enumerate(rows):  # a serpentine through the plate under the die, pass by pass
        xs = (0.005, spec.plate_x_m - 0.005) if k % 2 == 0 else (spec.plate_x_m - 0.005, 0.005)
        path += [[xs[0], y], [xs[1], y]]
    q = lambda v: f'"{v!r} m"'  # noqa: E731
    lines = ["[loops.coolant]", 'fluid = "ammonia"', "", "[loops.coolant.pump]", 'branch = "coldplate"',
             f'mass_flow = "{m_dot!r} kg/s"', f"efficiency = {PUMP_EFFICIENCY}", "",
             "[loops.coolant.branches.coldplate]", 'from = "cold"', 'to = "hot"', f"inner_diameter = {q(CHANNEL_M)}",
             f"fittings = {0.75 * (n - 1)}", f"extra_length = {q(spec.adiabatic_length_m)}", "",
             "[[loops.coolant.branches.coldplate.sections]]", 'kind = "channel"', 'panel = "coldplate"',
             'layer = "plate"', "path = [" + ", ".join(f"[{q(x)}, {q(y)}]" for x, y in path) + "]", "",
             "[loops.coolant.branches.back]", 'from = "rad_out"', 'to = "cold"', f"inner_diameter = {q(CHANNEL_M)}",
             f"extra_length = {q(spec.adiabatic_length_m)}", "",
             "[loops.coolant.branches.feed]", 'from = "hot"', 'to = "rad_in"', f"inner_diameter = {q(CHANNEL_M)}",
             f"extra_length = {q(0.05)}", ""]
    margin = min(0.5 * TUBE_OD_M, 0.25 * length_m)
    for k in range(n):
        x = (k + 0.5) * spec.pipe_pitch_m
        lines += [f"[loops.coolant.branches.tube{k + 1}]", 'from = "rad_in"', 'to = "rad_out"',
                  f"inner_diameter = {q(TUBE_ID_M)}", f"outer_diameter = {q(TUBE_OD_M)}",
                  f'wall_material = "{spec.wall_material}"', "fittings = 1.0", "",
                  f"[[loops.coolant.branches.tube{k + 1}.sections]]", 'panel = "radiator"', 'layer = "top_sheet"',
                  f"path = [[{q(x)}, {q(margin)}], [{q(x)}, {q(length_m - margin)}]]", ""]
    return "\n".join(lines) + "\n"


def transport_masses(spec, length_m, loop_fluid_kg) -> tuple[float, float]:
    """Per chip [kg]: the six heat pipes (wall + charge), and the loop's tubes and channels' fluid
    (its wall metal: the radiator tubes; the bore is in the plate).  Pump, accumulator and manifold
    headers are not in either (module-level items)."""
    from thermal.apps.sizing.estimate import masses, pipe_for

    pipes = masses(spec, spec.materials, length_m, pipe_for(spec, length_m))["heat_pipes"] / spec.chips
    rho_al = spec.materials[spec.wall_material].rho_kg_m3
    tube_area = 0.25 * math.pi * (TUBE_OD_M ** 2 - TUBE_ID_M ** 2)
    tubes = spec.pipes_per_chip * length_m * tube_area * rho_al
    transfer = 2 * spec.adiabatic_length_m * 0.25 * math.pi * ((CHANNEL_M + 1.5e-3) ** 2 - CHANNEL_M ** 2) * rho_al
    return pipes, tubes + transfer + loop_fluid_kg


def design_rows() -> list[str]:
    from thermal import solve
    from thermal.input.case_file import parse_case

    hp_hot, loop_hot, hp_cold, loop_cold, spec, length, m_dot = flagship_unit_texts()
    out = {}
    for key, text in (("hp_hot", hp_hot), ("loop_hot", loop_hot), ("hp_cold", hp_cold), ("loop_cold", loop_cold)):
        start = time.perf_counter()
        out[key] = solve(parse_case(text, f"<flagship unit {key}>"))
        out[key].wall = time.perf_counter() - start
    tj = {k: max(float(c["t_max"].max()) for c in r.chips.values()) - 273.15 for k, r in out.items()}
    rad = {k: float(np.nanmean(r.fields["radiator"][-1])) - 273.15 for k, r in out.items()}
    loop = out["loop_hot"].loops["coolant"]
    cold = out["loop_cold"].loops["coolant"]
    pipes_kg, loop_kg = transport_masses(spec, length, float(loop["fluid_mass_kg"]))
    t_vap = [float(p["t_vapour"][-1]) - 273.15 for p in out["hp_hot"].heat_pipes.values()]
    rows = [f"Flagship unit: {spec.chip_power_w:.0f} W GPU, radiator {length:.3f} m x "
            f"{spec.pipes_per_chip * spec.pipe_pitch_m:.2f} m (the sized {SIZED_AREA_M2} m2 / {spec.chips} chips), "
            f"loop flow {m_dot * 1e3:.2f} g/s ({COOLANT_RISE_K:g} K rise), pump efficiency {PUMP_EFFICIENCY}.", "",
            "| | heat pipes (6 x 15.9 mm grooved Al/NH3) | pumped NH3 loop (6 x 4.6 mm tubes) |", "|---|---|---|",
            f"| hot case: Tj max [degC] | {tj['hp_hot']:.2f} | {tj['loop_hot']:.2f} |",
            f"| hot case: radiator mean [degC] | {rad['hp_hot']:.2f} | {rad['loop_hot']:.2f} |",
            f"| hot case: vapour / fluid range [degC] | {min(t_vap):.2f}-{max(t_vap):.2f} | "
            f"{float(loop['t_min'][-1]) - 273.15:.2f}-{float(loop['t_max'][-1]) - 273.15:.2f} |",
            f"| pump power into the fluid [W per chip] | - | {float(loop['pump_power'][-1]):.2f} "
            f"(head {float(loop['pump_head'][-1]) / 1e3:.1f} kPa) |",
            f"| transport mass per chip [kg] | {pipes_kg:.3f} | {loop_kg:.3f} (of which fluid "
            f"{float(loop['fluid_mass_kg']):.3f}) |",
            f"| x {spec.chips} chips [kg] | {pipes_kg * spec.chips:.1f} | {loop_kg * spec.chips:.1f} (+ pumps, "
            "accumulator, headers) |",
            f"| cold case (idle, no heater): Tj [degC] | {tj['hp_cold']:.2f} | {tj['loop_cold']:.2f} |",
            f"| cold case: coldest fluid [degC], freezing margin [K] | - | "
            f"{float(cold['t_min'][-1]) - 273.15:.2f}, {float(cold['freezing_margin'][-1]):.1f} |",
            f"| steady solve wall [s] (hot) | {out['hp_hot'].wall:.2f} | {out['loop_hot'].wall:.2f} |"]
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE / "loops_results.md")
    args = ap.parse_args()
    lines = ["# Pumped loops against heat pipes", "", f"`python benchmarks/loops.py`, {time.strftime('%Y-%m-%d')}, "
             f"load average {__import__('os').getloadavg()[0]:.1f}", "", "## Solver cost (steady, each in its own process)",
             ""]
    lines += cost_rows()
    lines += ["", "## The flagship's repeating unit, heat pipes vs a pumped loop (same radiator)", ""]
    lines += design_rows()
    text = "\n".join(lines) + "\n"
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
