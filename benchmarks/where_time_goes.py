"""Where thermal's time goes on the reference plate: network build, kernel assembly, AMG set-up,
Krylov iterations (compiled V-cycle + CG), energy balance, and the rest (the Python driver).

    python benchmarks/where_time_goes.py [N_steady] [N_transient]
"""
import sys
import time
from pathlib import Path

from reference_case import plate_case  # this folder
from thermal.build.network import build_network
from thermal.solvers import solve_steady, solve_transient_fixed_step
from thermal.solvers.system import Assembler

ROOT = Path(__file__).resolve().parents[1]
timers = {"assembly": 0.0, "energy": 0.0}


def timed(name, fn):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timers[name] += time.perf_counter() - t0
    return wrapper


Assembler.evaluate = timed("assembly", Assembler.evaluate)
Assembler.energy = timed("energy", Assembler.energy)


def run(n, mode):
    case = plate_case(n, mode)
    warm = plate_case(16, "steady", **{"solver.linear_solver": "amg"})
    solve_steady(build_network(warm), warm.solver)
    for k in timers:
        timers[k] = 0.0
    t0 = time.perf_counter()
    net = build_network(case)
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    sol = (solve_steady(net, case.solver) if mode == "steady"
           else solve_transient_fixed_step(net, case.solver, case.transient))
    total = time.perf_counter() - t1
    st = sol.linear_stats
    krylov = st.solve_s - st.setup_s
    rest = total - timers["assembly"] - timers["energy"] - st.solve_s
    print(f"{mode} N={n}: build {build:.2f} s | solve {total:.2f} s = assembly {timers['assembly']:.2f} "
          f"+ AMG set-up {st.setup_s:.2f} ({st.setups}x) + Krylov {krylov:.2f} ({st.iterations} its in "
          f"{st.solves} solves) + energy {timers['energy']:.2f} + Python driver {rest:.2f}; "
          f"{sol.newton_iterations} Newton iterations")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 512, "steady")
    run(int(sys.argv[2]) if len(sys.argv) > 2 else 256, "transient")
