"""Speed that survives a busy machine: each case solved idle and with two busy background processes
on the machine's cores, with the Numba pool at 1 and at all threads, OpenBLAS left at its default
(what a user who runs `thermal` without our Makefile gets).  Each timing is a fresh process (the
kernels loaded from the Numba cache and a warm-up solve excluded), best of ``--repeat``.

    python benchmarks/under_load.py [--repeat 2] [--out benchmarks/under_load.md]

Cases: a one-node lumped transient (185 steps, the node tied to a fixed one: the case where spinning threads cost 88x before),
the single-GPU radiator (`cases/gpu_radiator.toml`, steady), and the reference plate at N = 256
(65 536 nodes) steady and as a 60-step transient.
"""
import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent

ONE_NODE = """[case]
name = "one_node"
mode = "transient"
[environment]
t_sink = "3 K"
[solver]
initial_temperature = "300 K"
[nodes.box]
capacitance = "5000 J/K"
power = "50 W"
[nodes.space]
temperature = "250 K"
[[contacts]]
between = ["box", "space"]
conductance = "2 W/K"
[transient]
time_step = "20 s"
end_time = "3700 s"
"""


def case_text(name):
    from thermal.input.overrides import case_text_with
    if name == "one_node":
        return ONE_NODE
    if name == "gpu_radiator":
        return (ROOT / "cases" / "gpu_radiator.toml").read_text()
    plate = (ROOT / "cases" / "reference_plate.toml").read_text()
    over = {"panels.plate.cells": [256, 256]}
    if name == "plate_256_transient":
        over.update({"case.mode": "transient", "transient": {"time_step": "10 s", "end_time": "600 s",
                                                                 "output_every": 60}})
    return case_text_with(plate, over, create=True)


def child(name, out):
    from thermal.apps.solve import solve
    from thermal.input.case_file import parse_case
    case = parse_case(case_text(name), f"<{name}>")
    solve(case)  # warm-up: kernels from the cache, first-touch allocations
    t0 = time.perf_counter()
    solve(case)
    Path(out).write_text(json.dumps({"solve_s": time.perf_counter() - t0}))


def spin():
    while True:
        pass


def measure(name, threads, repeat):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    env.pop("OPENBLAS_NUM_THREADS", None)
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
    out = HERE / "out" / f"load_{name}_{threads}.json"
    out.parent.mkdir(exist_ok=True)
    best = float("inf")
    for _ in range(repeat):
        subprocess.run([sys.executable, __file__, "--child", name, str(out)], env=env, check=True)
        best = min(best, json.loads(out.read_text())["solve_s"])
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--busy", type=int, default=2, help="background processes spinning during the loaded runs")
    ap.add_argument("--out", type=Path, default=HERE / "under_load.md")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    cores = os.cpu_count()
    cases = ["one_node", "gpu_radiator", "plate_256_steady", "plate_256_transient"]
    rows = ["| case | Numba threads | idle [s] | loaded [s] | loaded / idle |", "|---|---|---|---|---|"]
    for name in cases:
        for threads in sorted({1, cores}):
            idle = measure(name, threads, args.repeat)
            busy = [mp.Process(target=spin, daemon=True) for _ in range(args.busy)]
            for p in busy:
                p.start()
            time.sleep(2.0)
            try:
                loaded = measure(name, threads, args.repeat)
            finally:
                for p in busy:
                    p.terminate()
            row = f"| {name} | {threads} | {idle:.3f} | {loaded:.3f} | {loaded / idle:.2f} |"
            print(row, flush=True)
            rows.append(row)
    args.out.write_text(f"{cores} cores, {args.busy} busy background processes in the loaded runs, best of "
                        f"{args.repeat}, OpenBLAS at its default threads; {time.strftime('%Y-%m-%d')}.\n\n"
                        + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
