"""Constants every stage shares: physical constants, the documented defaults and the version.

Imported by the Numba kernels too: a global is frozen into the compiled (cached) code, which is
right for constants that never change."""

VERSION = "0.1.0"

SIGMA_W_M2K4 = 5.670374419e-8  # Stefan-Boltzmann constant, CODATA 2018 (exact in the 2019 SI)
DEFAULT_T_SINK_K = 3.0  # deep space; the cosmic background is 2.7 K, 3 K is the usual design value
ORBIT_AVERAGE_SAMPLES = 720  # midpoint samples of an orbit average (eclipse edges resolved to P/720)
DIRECT_LIMIT_NODES = 2_000  # "auto" factorises up to this many nodes, AMG-CG above (measured crossover)
# "auto" above DIRECT_LIMIT_NODES: AMG, unless its Krylov solve needs more than this many iterations
# per digit of residual reduction on a network of at most DIRECT_FALLBACK_NODES nodes; then sparse LU
# for the rest of the run (benchmarks/linear_crossover.md: plates 1.3-1.5 iterations per digit, the
# flagship's chip-stack and heat-pipe units 9-14, where LU is faster)
AMG_SLOW_ITERATIONS_PER_DIGIT = 4.0
DIRECT_FALLBACK_NODES = 50_000
