"""Linear solve policy for the Newton systems A dT = F.

* ``direct``: sparse LU (SuperLU) of each matrix; exact to round-off; best below ~1e5 nodes.
* ``amg``: preconditioned conjugate gradients (GMRES when some k depends on T, which makes A
  non-symmetric) with a pyamg smoothed-aggregation hierarchy.  Building the hierarchy costs more
  than a solve, and between Newton iterations (and time steps) only the radiation and storage
  diagonal changes, so the hierarchy is kept and rebuilt only when the iteration count has grown
  to twice what it was when it was built.
* ``auto``: direct up to ``direct_limit`` nodes, AMG above.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


@dataclass
class LinearStats:
    solves: int = 0
    iterations: int = 0
    setups: int = 0
    setup_s: float = 0.0
    solve_s: float = 0.0


class LinearSolver:
    def __init__(self, method: str, n_nodes: int, symmetric: bool, direct_limit: int = 60_000):
        if method == "auto":
            method = "direct" if n_nodes <= direct_limit else "amg"
        self.method = method
        self.symmetric = symmetric
        self.stats = LinearStats()
        self._ml = None
        self._preconditioner = None
        self._iters_at_setup = None

    def solve(self, matrix: sp.csr_matrix, rhs: np.ndarray, rtol: float = 1e-10, x0=None) -> np.ndarray:
        import time

        start = time.perf_counter()
        if self.method == "direct":
            x = spla.splu(matrix.tocsc(), permc_spec="COLAMD").solve(rhs)
            self.stats.solves += 1
            self.stats.solve_s += time.perf_counter() - start
            return x
        if self._ml is None:
            self._setup(matrix)
        x, iters = self._krylov(matrix, rhs, rtol, x0)
        if iters < 0 or (self._iters_at_setup is not None and iters > max(2 * self._iters_at_setup, 8)):
            self._setup(matrix)  # the matrix has drifted from the one the hierarchy was built for
            x, iters = self._krylov(matrix, rhs, rtol, x0)
            if iters < 0:
                from .errors import ConvergenceError

                raise ConvergenceError(f"the AMG-preconditioned Krylov solve did not reach rtol {rtol:g} "
                                       f"in {self._maxiter} iterations (n = {rhs.size})")
        if self._iters_at_setup is None:
            self._iters_at_setup = iters
        self.stats.solves += 1
        self.stats.iterations += iters
        self.stats.solve_s += time.perf_counter() - start
        return x

    _maxiter = 500

    def _setup(self, matrix):
        import time

        import pyamg

        start = time.perf_counter()
        a = matrix.copy()  # pyamg keeps a reference; the assembler overwrites its values in place
        if self.symmetric:
            self._ml = pyamg.smoothed_aggregation_solver(a, symmetry="symmetric", max_coarse=500)
        else:
            self._ml = pyamg.smoothed_aggregation_solver(a, symmetry="nonsymmetric", max_coarse=500)
        self._preconditioner = self._ml.aspreconditioner(cycle="V")
        self._iters_at_setup = None
        self.stats.setups += 1
        self.stats.setup_s += time.perf_counter() - start

    def _krylov(self, matrix, rhs, rtol, x0):
        count = [0]

        def callback(_):
            count[0] += 1

        if self.symmetric:
            x, info = spla.cg(matrix, rhs, x0=x0, rtol=rtol, atol=0.0, maxiter=self._maxiter,
                              M=self._preconditioner, callback=callback)
        else:
            x, info = spla.gmres(matrix, rhs, x0=x0, rtol=rtol, atol=0.0, restart=50, maxiter=self._maxiter,
                                 M=self._preconditioner, callback=callback, callback_type="pr_norm")
        return x, (count[0] if info == 0 else -1)
