"""Reference plate (shared/bench/PROBLEM.md) solved side by side: thermal, plain SciPy, FiPy.

Each (implementation, N, mode) runs in its own process so peak memory (max RSS) is its own and
the timings are not polluted by another solver's caches; all runs happen in this one invocation
on the same machine, so the ratios mean something even where absolute seconds are noisy.

    python benchmarks/plate.py                       # default sizes, writes benchmarks/results.md
    python benchmarks/plate.py --sizes 64 128 --modes steady

Timings: setup (assembly, AMG set-up, FiPy term building) and solve separately; thermal's Numba
compile is excluded by a warm-up run of a small case in the same process (the cold-start cost is
reported on its own line).  OPENBLAS_NUM_THREADS=1 for everyone (two BLAS threads fight on 2 cores).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIGMA = 5.670374419e-8
K, D, RHO, CP, EPS, TS, P = 167.0, 0.002, 2700.0, 896.0, 0.85, 4.0, 2000.0
T0 = 293.15
DT = 10.0
# "transient" is PROBLEM.md's 360 steps; "transient60" its first 6 (to the 60 s checkpoint, the
# hardest steps: up to 4 Newton iterations each), so every peer can be timed at N = 1024 too
STEPS = {"transient": 360, "transient60": 6}
# (impl, mode) -> largest N worth running here (PROBLEM.md's measured peer times; ~5-10 min budget)
LIMITS = {("fipy-sa", "transient"): 256, ("scipy-best", "transient"): 512, ("fipy", "steady"): 1024, ("fipy", "transient"): 128, ("fipy", "transient60"): 512,
          ("fipy-pcg", "steady"): 1024, ("fipy-pcg", "transient"): 512, ("scipy", "transient"): 512,
          ("thermal", "transient"): 1024}


def current_rss_mb() -> float:
    """Resident memory now (Linux): what a process holds before it builds the case -- the
    interpreter and its libraries (and thermal's compiled kernels, loaded by its warm-up)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return float("nan")


def source_w(n):
    """Exact overlap of each cell with the chip square, times P / 0.01 m2 (PROBLEM.md section 2)."""
    e = np.linspace(0.0, 1.0, n + 1)
    o = np.clip(np.minimum(e[1:], 0.55) - np.maximum(e[:-1], 0.45), 0, None)
    return (P / 0.01) * (o[None, :] * o[:, None]).ravel()  # p = i + N j


def converged(t, t_prev):
    return np.max(np.abs(t - t_prev)) <= 1e-8 * np.max(np.abs(t))


# ----------------------------------------------------------------------------- implementations
def run_thermal(n, mode):
    from thermal.build.network import build_network
    from thermal.input.case_file import parse_case
    from thermal.input.overrides import case_text_with
    from thermal.solvers import solve_steady, solve_transient_fixed_step

    text = (ROOT / "cases" / "reference_plate.toml").read_text()

    def case_for(nn):
        over = {"panels.plate.cells": [nn, nn]}  # the default policy picks the linear solver
        if mode != "steady":
            # the checkpoints only (60, 600, 3600 s), as the peers keep them: output_times
            over.update({"case.mode": "transient",
                         "transient": {"time_step": "10 s", "end_time": f"{DT * STEPS[mode]:g} s",
                                       "output_times": [f"{DT * s:g} s" for s in (6, 60, 360) if s <= STEPS[mode]]}})
        return parse_case(case_text_with(text, over, create=True))

    t0 = time.perf_counter()
    warm = case_for(16)
    solve_steady(build_network(warm), warm.solver)  # loads/compiles the kernels: excluded from the timings
    if mode != "steady":  # and the time stepper's (two steps, AMG as the large case takes it)
        warm = parse_case(case_text_with(text, {"panels.plate.cells": [64, 64], "case.mode": "transient",
                                                "solver.direct_limit": 100,
                                                "transient": {"time_step": "10 s", "end_time": "40 s"}},
                                         create=True))
        solve_transient_fixed_step(build_network(warm), warm.solver, warm.transient)
    compile_s = time.perf_counter() - t0
    base = current_rss_mb()
    t0 = time.perf_counter()
    case = case_for(n)
    net = build_network(case)
    setup = time.perf_counter() - t0
    t1 = time.perf_counter()
    if mode == "steady":
        sol = solve_steady(net, case.solver)
    else:
        sol = solve_transient_fixed_step(net, case.solver, case.transient)
    solve = time.perf_counter() - t1
    stats = sol.linear_stats
    return dict(setup_s=setup, solve_s=solve, newton=sol.newton_iterations, field=sol.t_k, times=sol.times_s,
                compile_s=compile_s, base_rss_mb=base, detail=f"AMG set-up {stats.setup_s:.2f} s in {stats.setups}, "
                f"{stats.iterations} CG its" if sol.linear_method == "amg" else f"SuperLU ({stats.setups} factorisations)")


def run_scipy(n, mode, forcing=1e-10):
    """Plain SciPy: matrix assembled once, Newton, pyamg-preconditioned CG with the hierarchy reused.
    ``forcing``: CG's tolerance relative to |F| -- 1e-10 (every Newton step solved to the bottom) or,
    for ``scipy-best``, 1e-6: an inexact Newton, the same advantage thermal's Eisenstat-Walker takes."""
    import pyamg
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    base = current_rss_mb()
    t0 = time.perf_counter()
    h = 1.0 / n
    g = K * D
    e = np.ones(n)
    lap1 = sp.diags([-e[:-1], e * 2, -e[:-1]], [-1, 0, 1]).tolil()
    lap1[0, 0] = lap1[-1, -1] = 1.0
    lap1 = lap1.tocsr()
    eye = sp.identity(n, format="csr")
    lap = (g * (sp.kron(eye, lap1) + sp.kron(lap1, eye))).tocsr()  # -conduction, p = i + N j
    a = 2 * EPS * SIGMA * h * h
    c = RHO * CP * h * h * D
    q = source_w(n)
    diag_idx = lap.diagonal().copy()
    jac = lap.copy()
    jac.setdiag(diag_idx)
    setup = time.perf_counter() - t0
    ml = None
    iters = 0

    def newton(t, t_old, inv_dt):
        nonlocal ml, iters
        for _ in range(100):
            f = -(lap @ t) + q - a * (t**4 - TS**4) - c * inv_dt * (t - t_old)
            jac.setdiag(diag_idx + 4 * a * t**3 + c * inv_dt)
            if ml is None:
                ml = pyamg.smoothed_aggregation_solver(jac.copy(), symmetry="symmetric", max_coarse=500)
            dt_, info = spla.cg(jac, f, rtol=forcing, atol=0.0, M=ml.aspreconditioner(), maxiter=500)
            t_new = t + dt_
            iters += 1
            if converged(t_new, t):
                return t_new
            t = t_new
        raise RuntimeError("no convergence")

    t1 = time.perf_counter()
    t = np.full(n * n, T0)
    if mode == "steady":
        fields = [newton(t, t, 0.0)]
        times = [0.0]
    else:
        fields, times = [t], [0.0]
        for step in range(1, STEPS[mode] + 1):
            t = newton(t, t, 1.0 / DT)
            if step in (6, 60, 360):
                fields.append(t)
                times.append(step * DT)
    return dict(setup_s=setup, solve_s=time.perf_counter() - t1, newton=iters, field=np.array(fields),
                times=np.array(times), detail=f"SA-AMG built once, CG rtol {forcing:g}", base_rss_mb=base)


def run_fipy(n, mode, iterative=False, amg=False):
    """FiPy: the same discrete equations in volumetric form; the T^4 term linearised about the last
    sweep (ImplicitSourceTerm), which is Newton.  Direct LU, or (``fipy-pcg``) FiPy's scipy PCG
    with a 1e-10 tolerance on the initial residual, or (``fipy-sa``, FiPy at its best) that PCG
    preconditioned by FiPy's own pyamg SmoothedAggregationPreconditioner; the fastest is FiPy's time."""
    import fipy as fp

    if amg:
        from fipy.solvers.pyAMG.preconditioners import SmoothedAggregationPreconditioner
    base = current_rss_mb()
    t0 = time.perf_counter()
    h = 1.0 / n
    mesh = fp.Grid2D(nx=n, ny=n, dx=h, dy=h)
    T = fp.CellVariable(mesh=mesh, value=T0, hasOld=True)
    b = 2 * EPS * SIGMA / D
    qv = fp.CellVariable(mesh=mesh, value=source_w(n) / (h * h * D))
    coeff = fp.CellVariable(mesh=mesh, value=0.0)
    explicit = fp.CellVariable(mesh=mesh, value=0.0)
    # FiPy's default tolerance lets a solver return without solving when the residual already looks
    # small (shared/bench/PROBLEM.md: "silently skips sweeps"): a zero tolerance forces every solve
    if amg:
        solver = fp.solvers.scipy.LinearPCGSolver(tolerance=1e-10, criterion="initial", iterations=5000,
                                                  precon=SmoothedAggregationPreconditioner())
    elif iterative:
        solver = fp.solvers.scipy.LinearPCGSolver(tolerance=1e-10, criterion="initial", iterations=5000)
    else:
        solver = fp.LinearLUSolver(tolerance=0.0, iterations=1)
    steady_eq = fp.DiffusionTerm(coeff=K) + qv + explicit - fp.ImplicitSourceTerm(coeff=coeff)
    transient_eq = fp.TransientTerm(coeff=RHO * CP) == steady_eq
    setup = time.perf_counter() - t0
    iters = 0

    def newton(eq, dt=None):
        nonlocal iters
        prev = np.array(T.value)
        for _ in range(100):
            tv = np.array(T.value)
            coeff.setValue(4 * b * tv**3)
            explicit.setValue(3 * b * tv**4 + b * TS**4)
            if dt is None:
                eq.solve(var=T, solver=solver)
            else:
                eq.solve(var=T, dt=dt, solver=solver)
            iters += 1
            new = np.array(T.value)
            if converged(new, prev):
                return new
            prev = new
        raise RuntimeError("no convergence")

    t1 = time.perf_counter()
    if mode == "steady":
        fields, times = [newton(steady_eq == 0)], [0.0]
    else:
        fields, times = [np.array(T.value)], [0.0]
        for step in range(1, STEPS[mode] + 1):
            T.updateOld()
            out = newton(transient_eq, DT)
            if step in (6, 60, 360):
                fields.append(out)
                times.append(step * DT)
    return dict(setup_s=setup, solve_s=time.perf_counter() - t1, newton=iters, field=np.array(fields),
                times=np.array(times), base_rss_mb=base,
                detail="LinearPCGSolver + SA" if amg else "LinearPCGSolver" if iterative else "LinearLUSolver")


IMPLS = {"thermal": run_thermal, "scipy": run_scipy, "scipy-best": lambda n, mode: run_scipy(n, mode, forcing=1e-6),
         "fipy": run_fipy, "fipy-pcg": lambda n, mode: run_fipy(n, mode, iterative=True),
         "fipy-sa": lambda n, mode: run_fipy(n, mode, iterative=True, amg=True)}
FIPY = ("fipy", "fipy-pcg", "fipy-sa")
SCIPY = ("scipy", "scipy-best")


def child(impl, n, mode, out):
    res = IMPLS[impl](n, mode)
    field = np.asarray(res.pop("field"))
    times = np.asarray(res.pop("times"))
    if mode != "steady" and impl == "thermal":  # keep the checkpoints only
        keep = [list(np.round(times, 6)).index(s * DT) for s in (0, 6, 60, 360) if s <= STEPS[mode]]
        field, times = field[keep], times[keep]
    np.save(out + ".npy", field)
    res["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res["t_max"] = float(field[-1].max())
    res["t_mean"] = float(field[-1].mean())
    res["checkpoints"] = [(float(t), float(f.max()), float(f.mean())) for t, f in zip(times, field)]
    Path(out + ".json").write_text(json.dumps(res))


def run_sampled(cmd, env, period_s=0.005):
    """Run a child and sample its memory every ``period_s`` from here (a thread in the child would
    wait for the GIL through long compiled calls): (returncode, stderr, peak anonymous MB, file-backed
    MB at that peak).  Peak RSS (the child's own getrusage, exact) counts the pages of the shared
    libraries it has touched; thermal's include ~70 MB of LLVM's code (libllvmlite.so, mapped from
    disk, shared by every process on the node and dropped by the kernel under pressure), so the
    anonymous memory -- what the process alone holds -- is reported beside it.  Sampled: a spike
    shorter than the period can be missed, so it is a lower bound, good to a few MB here."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    status = Path(f"/proc/{proc.pid}/status")
    peak_anon = peak_file = 0.0
    err = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()
    while proc.poll() is None:
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if line.startswith("Rss"))
            anon, file_ = (float(fields[k].split()[0]) / 1024 for k in ("RssAnon", "RssFile"))
        except (OSError, KeyError, ValueError):
            anon = file_ = 0.0
        if anon > peak_anon:
            peak_anon, peak_file = anon, file_
        time.sleep(period_s)
    reader.join()
    return proc.returncode, "".join(err), peak_anon, peak_file


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    ap.add_argument("--modes", nargs="+", default=["steady", "transient", "transient60"],
                    choices=["steady", "transient", "transient60"])
    ap.add_argument("--impls", nargs="+", default=["thermal", "scipy", "scipy-best", "fipy", "fipy-pcg", "fipy-sa"])
    ap.add_argument("--out", type=Path, default=HERE / "results.md")
    ap.add_argument("--child", nargs=4, metavar=("IMPL", "N", "MODE", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        impl, n, mode, out = args.child
        child(impl, int(n), mode, out)
        return
    work = HERE / "out"
    work.mkdir(exist_ok=True)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
    rows = []
    for mode in args.modes:
        for n in args.sizes:
            res = {}
            for impl in args.impls:
                if n > LIMITS.get((impl, mode), 1024):
                    continue
                out = str(work / f"{impl}_{mode}_{n}")
                start = time.perf_counter()
                returncode, stderr, anon_mb, file_mb = run_sampled([sys.executable, __file__, "--child", impl, str(n),
                                                                    mode, out], env)
                if returncode != 0:
                    print(f"{impl} {mode} N={n} failed:\n{stderr[-2000:]}", file=sys.stderr)
                    continue
                r = json.loads(Path(out + ".json").read_text())
                r["anon_mb"], r["file_mb"] = anon_mb, file_mb
                r["field"] = np.load(out + ".npy")
                r["wall_s"] = time.perf_counter() - start
                res[impl] = r
                print(f"{mode:9s} N={n:5d} {impl:8s} setup {r['setup_s']:7.2f} s  solve {r['solve_s']:8.2f} s  "
                      f"Newton {r['newton']:4d}  RSS {r['rss_mb']:7.0f} MB (anonymous {r['anon_mb']:.0f})  "
                      f"T_max {r['t_max']:.6f}", flush=True)
            ref = res.get("thermal")
            for impl, r in res.items():
                dev = float(np.max(np.abs(r["field"] - ref["field"]))) if ref is not None and impl != "thermal" else 0.0
                rows.append((mode, n, impl, r, dev, res))
    write_table(rows, args.out)


def write_table(rows, path):
    lines = ["| mode | N | solver | setup [s] | solve [s] | total [s] | Newton its | peak RSS [MB] | RSS before the case "
             "[MB] | peak anonymous [MB] (file-backed then) | T_max [K] | max abs dT vs thermal [K] | best FiPy / thermal "
             "| best SciPy / thermal |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for mode, n, impl, r, dev, res in rows:
        total = r["setup_s"] + r["solve_s"]
        ratio = {}
        if "thermal" in res:
            mine = res["thermal"]["setup_s"] + res["thermal"]["solve_s"]
            fipy_times = [res[f]["setup_s"] + res[f]["solve_s"] for f in FIPY if f in res]
            if fipy_times:
                ratio["fipy"] = min(fipy_times) / mine  # against FiPy's fastest configuration
            scipy_times = [res[f]["setup_s"] + res[f]["solve_s"] for f in SCIPY if f in res]
            if scipy_times:
                ratio["scipy"] = min(scipy_times) / mine  # against SciPy's fastest
        show = impl == "thermal"
        fipy_ratio = f"{ratio['fipy']:.1f}x" if show and "fipy" in ratio else ""
        scipy_ratio = f"{ratio['scipy']:.2f}x" if show and "scipy" in ratio else ""
        lines.append(f"| {mode} | {n} | {impl} | {r['setup_s']:.2f} | {r['solve_s']:.2f} | {total:.2f} | {r['newton']} | "
                     f"{r['rss_mb']:.0f} | {r.get('base_rss_mb', float('nan')):.0f} | {r.get('anon_mb', float('nan')):.0f} "
                     f"({r.get('file_mb', float('nan')):.0f}) | {r['t_max']:.6f} | {dev:.1e} | {fipy_ratio} | {scipy_ratio} |")
    comp = [r["compile_s"] for _, _, impl, r, _, _ in rows if impl == "thermal" and "compile_s" in r]
    text = "\n".join(lines) + "\n"
    if comp:
        text += (f"\nthermal warm-up (kernel load from the numba cache + a 16x16 solve, and a 64x64 two-step transient for the transient modes, excluded above): "
                 f"{min(comp):.2f}-{max(comp):.2f} s per process.\n")
    checkpoints = [(mode, n, impl, r["checkpoints"]) for mode, n, impl, r, _, _ in rows if mode != "steady"]
    if checkpoints:
        text += "\nTransient checkpoints (t [s], T_max, T_mean):\n\n"
        for mode, n, impl, cps in checkpoints:
            text += f"- N={n} {impl}: " + "; ".join(f"{t:g} s: {tm:.6f} / {tmean:.6f}" for t, tm, tmean in cps) + "\n"
    path.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
