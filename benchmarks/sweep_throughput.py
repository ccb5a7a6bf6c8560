"""Sweep engine overhead on this machine: the same N cases as a plain serial loop and through
`thermal sweep` on a LocalCluster with 2 workers (one thread each), plus the cold start a fresh
worker pays (imports, Numba cache load, CoolProp) before its first case.

    python benchmarks/sweep_throughput.py [N]      -> prints a table, writes benchmarks/sweep_results.md
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
os.environ["NUMBA_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

COLD = """
import time, sys
t0 = time.perf_counter()
from thermal.apps.sweep.spec import load_sweep, expand
from thermal.apps.sweep.execute import run_case
spec = load_sweep(sys.argv[1]); c = expand(spec)[0]
t1 = time.perf_counter()
run_case(c.text, str(spec.base_path), c.case_id, sys.argv[2], spec.outputs)
t2 = time.perf_counter()
run_case(c.text, str(spec.base_path), c.case_id, sys.argv[2], spec.outputs)
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def main(n: int = 16) -> None:
    from thermal.apps.sweep.execute import run_case, run_sweep
    from thermal.apps.sweep.spec import expand, load_sweep

    tmp = Path(tempfile.mkdtemp(prefix="sweep_bench_"))
    powers = ", ".join(f'"{300 + 300 * k / (n - 1):.4g} W"' for k in range(n))  # all below the pipe limits
    sweep = tmp / "bench.toml"
    sweep.write_text(f'[sweep]\nname = "bench"\nbase = "{ROOT / "cases" / "four_gpu_ammonia.toml"}"\n'
                     f'outputs = ["tj_max_k"]\n[parameters]\n"panels.coldplate.footprints.gpu_a.power" = [{powers}]\n'
                     f'[cluster]\nworkers = 2\n')
    spec = load_sweep(sweep)
    cases = expand(spec)

    cold = subprocess.run([sys.executable, "-c", COLD, str(sweep), str(tmp / "cold")], capture_output=True,
                          text=True, check=True, env=os.environ).stdout.split()
    imports_s, first_s, second_s = (float(v) for v in cold)

    run_case(cases[0].text, str(spec.base_path), cases[0].case_id, str(tmp / "warmup"), spec.outputs)
    start = time.perf_counter()
    for c in cases:
        run_case(c.text, str(spec.base_path), c.case_id, str(tmp / "serial"), spec.outputs)
    serial_s = time.perf_counter() - start

    start = time.perf_counter()
    report = run_sweep(spec, tmp / "dask", progress=False)
    dask_s = time.perf_counter() - start
    walls = [float(r["wall_s"]) for r in report.rows]
    by_worker = {}
    for r in report.rows:
        by_worker.setdefault(r["worker"], []).append(float(r["wall_s"]))
    firsts = [w[0] for w in by_worker.values()]
    warm_median = statistics.median(walls)

    lines = [
        f"# Sweep throughput ({n} cases of four_gpu_ammonia, 5616 nodes each; this 2-core machine)", "",
        "| | wall [s] | cases / min |", "|---|---|---|",
        f"| serial loop in one warm process | {serial_s:.1f} | {60 * n / serial_s:.1f} |",
        f"| `thermal sweep`, LocalCluster 2 workers (start-up included) | {dask_s:.1f} | {60 * n / dask_s:.1f} |", "",
        f"- speed-up over the serial loop: {serial_s / dask_s:.2f}x on 2 cores",
        f"- engine cost per case: {(2 * dask_s - serial_s) / n:.2f} s of worker time "
        "(2 x sweep wall - serial wall, over the cases; includes cluster start and cold starts)",
        f"- a fresh process: imports {imports_s:.2f} s, first case {first_s:.2f} s, the same case again {second_s:.2f} s "
        f"-> cold start {imports_s + first_s - second_s:.2f} s (Numba cache load, CoolProp import, first CoolProp states)",
        f"- in the sweep: each worker's first case {', '.join(f'{v:.2f}' for v in firsts)} s, median case "
        f"{warm_median:.2f} s",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks" / "sweep_results.md").write_text(text)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 16)
