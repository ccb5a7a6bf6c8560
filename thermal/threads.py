"""How many threads a compiled kernel may use: never more than the process is allowed (Numba's pool,
NUMBA_NUM_THREADS, THERMAL_MAX_THREADS, the CPU affinity), and one where threads would not pay
(a small problem, or a machine whose other processes already fill the cores).  At the bottom of
the package (beside constants and errors) because the build's compiled kernels (view factors, ray
casting) ask it as well as the solvers."""
from __future__ import annotations

import math
import os
import time

import numba

PARALLEL_MIN_NODES = 4096  # below this a kernel call is too short to share (measured, see kernel_threads)
# Below this the node kernels (conduction, storage, properties) run their serial builds even when the
# run may thread (kernels/__init__.py): there their threads save milliseconds per run, while
# compiling the parallel builds costs ~4 s on a fresh cache (gpu_radiator, 10 832 nodes: first run
# 13.9 -> 9.3 s).  Above it threads pay: the reference plate's N = 256 transient (65 536 nodes) took
# 46.9 s with everything on one thread against 27.6 s threaded.
NODE_KERNELS_PARALLEL_MIN = 16384


def threads_allowed() -> int:
    """The most threads a run may use: Numba's pool, capped by the NUMBA_NUM_THREADS this process is
    told now, by THERMAL_MAX_THREADS (what a sweep worker sets) and by the CPUs the process
    may run on (taskset, SLURM's cgroup)."""
    allowed = numba.config.NUMBA_NUM_THREADS
    for name in ("NUMBA_NUM_THREADS", "THERMAL_MAX_THREADS"):
        told = os.environ.get(name, "").strip()
        if told.isdigit() and int(told) > 0:
            allowed = min(allowed, int(told))
    if hasattr(os, "sched_getaffinity"):
        allowed = min(allowed, len(os.sched_getaffinity(0)))
    return max(allowed, 1)


def kernel_threads(n_nodes: int, available: int | None = None, load: float | None = None,
                   min_items: int = PARALLEL_MIN_NODES) -> int:
    """Threads for the parallel kernels of one run.  Measured on the 2-core machine (evaluate() of the
    reference plate): idle, 2 threads are 1.2-1.3x faster from 1k to 262k nodes but 1.3x slower at
    256; with both cores busy (two other processes spinning) 2 threads are 1.4-3.8x *slower* at every
    size from 256 to 65k nodes and 1.08x at 262k (they wait on each other).  So: one thread for a
    small network, and one thread when the machine's load already fills all but one core; all of
    them otherwise.  Decided once per run, from the load before it starts (our own threads would
    otherwise raise the load we read)."""
    available = threads_allowed() if available is None else available
    if n_nodes < min_items or available <= 1:
        return 1
    if load is None:
        try:
            load = max(os.getloadavg()[0] - own_recent_load(), 0.0)
        except OSError:  # not on this platform: assume idle
            load = 0.0
    return 1 if load > available - 0.5 else available


LOAD_TIME_CONSTANT_S = 60.0  # the kernel's 1-minute load average is an exponential mean over this
_own = {"wall": time.monotonic(), "cpu": sum(os.times()[:2]), "load": 0.0}


def own_recent_load() -> float:
    """This process's share of the 1-minute load average, the same exponential mean of its CPU use
    since the last call (each call brings it up to date).  Without it a run that builds or solves
    twice would read its own first build as other processes' load and drop to one thread (the
    radiation benchmark's second 10^4-patch build, after a first one of ~1 min on both cores)."""
    wall, cpu = time.monotonic(), sum(os.times()[:2])
    span = wall - _own["wall"]
    if span > 0.0:
        decay = math.exp(-span / LOAD_TIME_CONSTANT_S)
        _own["load"] = _own["load"] * decay + (cpu - _own["cpu"]) / span * (1.0 - decay)
        _own["wall"], _own["cpu"] = wall, cpu
    return _own["load"]
