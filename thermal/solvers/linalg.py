"""Linear solve policy for the Newton systems A dT = F.

* ``direct``: sparse LU (SuperLU) of each matrix; exact to round-off; best below ~1e5 nodes.
* ``amg``: preconditioned conjugate gradients (GMRES when some k depends on T, which makes A
  non-symmetric) preconditioned by a smoothed-aggregation hierarchy.  For symmetric A the set-up
  (kernels/amg_setup.py), the V-cycle and the CG loop run compiled (kernels/amg.py); GMRES goes
  through scipy with pyamg's hierarchy and cycle.  Building the hierarchy costs more
  than a solve, and between Newton iterations (and time steps) only the radiation and storage
  diagonal changes, so the hierarchy is kept and rebuilt only when its convergence rate (digits
  per iteration) has fallen to half of what it was when it was built.
* ``auto``: direct up to ``direct_limit`` nodes (constants.DIRECT_LIMIT_NODES = 2000 by default, the case's
  ``solver.direct_limit``: above it AMG-CG is faster, measured
  on the reference plate), AMG above -- unless the AMG's first solve shows it converging slowly
  (more than AMG_SLOW_ITERATIONS_PER_DIGIT iterations per digit) on a network small enough to
  factorise (DIRECT_FALLBACK_NODES): then direct for the rest of the run.  Smoothed aggregation
  does well on plates (1.3-1.5 iterations per digit) and badly on chip stacks joined by heat
  pipes (9-14, through GMRES and pyamg's Python-level cycle), where one LU is far cheaper than
  30 preconditioned iterations.  The switch is decided by iteration counts, not by timing, so a
  run takes the same path (and gives the same last digits) on an idle and a busy machine.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from thermal.constants import AMG_SLOW_ITERATIONS_PER_DIGIT, DIRECT_FALLBACK_NODES, DIRECT_LIMIT_NODES

REUSE_ITERATIONS = 8  # GMRES iterations on an old LU before a fresh factorisation pays (flagship units)
# smoothed aggregation (pyamg's defaults but max_coarse): levels until the coarsest has at most
# MAX_COARSE nodes, candidate relaxed by CANDIDATE_SWEEPS symmetric Gauss-Seidel sweeps, Jacobi weight
MAX_COARSE, MAX_LEVELS, CANDIDATE_SWEEPS, JACOBI_OMEGA = 100, 10, 4, 4.0 / 3.0
COARSE_LIMIT = 5000  # a coarsest level above this is not inverted densely (the aggregation stalled)
WOODBURY_LIMIT = 20_000_000  # entries of A^-1 u (n x r, 160 MB) above which the direct path iterates instead

from thermal.errors import ConvergenceError
from thermal.kernels.amg import amg_pcg, vcycle
from thermal.kernels.amg_setup import galerkin, nonzero_pattern, relax_candidate, smoothed_prolongator, tentative, \
    transpose
from thermal.kernels.bundles import AmgHierarchy, AmgWork, Csr, Levels, PcgVectors
from thermal.solvers.krylov import gmres_right
from thermal.solvers.sparse_lu import FillOrdering, factorise


@dataclass
class LinearStats:
    solves: int = 0
    iterations: int = 0
    setups: int = 0
    setup_s: float = 0.0
    solve_s: float = 0.0
    switched: str = ""  # why "auto" left AMG for sparse LU during the run, if it did


class LinearSolver:
    def __init__(self, method: str, n_nodes: int, symmetric: bool, direct_limit: int = DIRECT_LIMIT_NODES,
                 resumable: bool = True):
        self.may_fall_back = method == "auto" and direct_limit < n_nodes <= DIRECT_FALLBACK_NODES
        if method == "auto":
            method = "direct" if n_nodes <= direct_limit else "amg"
        self.method = method
        self.symmetric = symmetric
        self.stats = LinearStats()
        self._ml = self._hierarchy = None  # pyamg's (non-symmetric) or the compiled one (symmetric)
        self._preconditioner = None
        self._rate_at_setup = None  # digits of residual reduction per iteration, fresh hierarchy
        # sparse LU kept across solves where factorising is dear (above the direct limit: a case that
        # asks for "direct" on a large network, or "auto" that fell back from AMG)
        self.reuse_factors = n_nodes > direct_limit
        self._lu = self._lu_from = None
        self._ordering = None  # the fill-reducing ordering of the run's (fixed) pattern, from its first LU
        self._saved_perm_c = None  # that ordering as a checkpoint kept it, until the resumed run's first LU
        # keep the matrix the AMG hierarchy was built from, which a checkpoint needs to rebuild it
        # (snapshot); a steady solve, or a march without checkpoints, keeps nothing (40 MB at 10^6 nodes)
        self.resumable = resumable
        self._built_from = None

    def solve(self, matrix: sp.csr_matrix, rhs: np.ndarray, rtol: float = 1e-10, x0=None,
              low_rank=None) -> np.ndarray:
        """x with (A - low_rank) x = rhs; ``low_rank``: the radiation exchange's rank-r part of the
        Jacobian (system.ExchangeJacobian), or None."""
        start = time.perf_counter()
        if self.method == "direct":
            if low_rank is None and self._lu is not None:
                x = self._with_old_factors(matrix, rhs, rtol, x0)
                if x is not None:
                    self.stats.solves += 1
                    self.stats.solve_s += time.perf_counter() - start
                    return x
            lu = self._factor(matrix)
            if low_rank is not None and rhs.size * low_rank.m.shape[0] > WOODBURY_LIMIT:
                # A^-1 u would not fit: GMRES with the exact A^-1 as preconditioner (at most r + 1 steps)
                return self._exchange_krylov(matrix, rhs, rtol, x0, low_rank, start,
                                             spla.LinearOperator(matrix.shape, matvec=lu.solve, dtype=float))
            x = lu.solve(rhs)
            if low_rank is not None:
                x = _woodbury(lu, low_rank, x)
            self.stats.solves += 1
            self.stats.solve_s += time.perf_counter() - start
            return x
        if low_rank is not None:
            return self._exchange_krylov(matrix, rhs, rtol, x0, low_rank, start)
        if self._hierarchy is None and self._ml is None:
            self._setup(matrix)
        x, iters = self._krylov(matrix, rhs, rtol, x0)
        rate = -np.log10(rtol) / max(iters, 1)
        # the solve tolerance changes from call to call (inexact Newton), so judge the hierarchy by
        # its convergence rate: rebuild once it has fallen to half of what it was when built
        if iters < 0 or (self._rate_at_setup is not None and iters > 3 and rate < 0.5 * self._rate_at_setup):
            self._setup(matrix)  # the matrix has drifted from the one the hierarchy was built for
            x, iters = self._krylov(matrix, rhs, rtol, x0)
            if iters < 0:
                raise ConvergenceError(f"the AMG-preconditioned Krylov solve did not reach rtol {rtol:g} "
                                       f"in {self._maxiter} iterations (n = {rhs.size})")
            rate = -np.log10(rtol) / max(iters, 1)
        if self._rate_at_setup is None:
            self._rate_at_setup = rate
        if self.may_fall_back and iters > 3 and 1.0 / rate > AMG_SLOW_ITERATIONS_PER_DIGIT:
            self.method, self.may_fall_back = "direct", False
            self.stats.switched = (f"AMG took {iters} iterations for {-np.log10(rtol):.1f} digits on {rhs.size} nodes "
                                   f"(> {AMG_SLOW_ITERATIONS_PER_DIGIT:g} per digit): sparse LU from the next solve")
        self.stats.solves += 1
        self.stats.iterations += iters
        self.stats.solve_s += time.perf_counter() - start
        return x

    def snapshot(self) -> dict:
        """The counters, and the matrix the AMG hierarchy was built from (a checkpoint: the hierarchy
        is kept across steps, so a resumed run must build the same one to take the same solves)."""
        out = {"stats": vars(self.stats).copy(), "rate_at_setup": self._rate_at_setup, "matrix": None,
               "method": self.method, "may_fall_back": self.may_fall_back, "lu_matrix": None,
               # the fill-reducing ordering every LU after the run's first is factorised with: a resumed
               # run that ordered afresh from its own first matrix factorised differently in the last
               # digits (1.5e-8 K at the end of the heat-pipe dry-out transient, resumed at step 100)
               "perm_c": None if self._ordering is None else np.array(self._ordering.perm_c)}
        if self._lu_from is not None:
            a = self._lu_from
            out["lu_matrix"] = {"data": np.array(a.data), "indices": np.array(a.indices), "indptr": np.array(a.indptr),
                                "shape": np.array(a.shape)}
            # the ordering the kept LU was factorised with (None: its own, the run's first), so that a
            # resumed run factorises it the same way, to the last digit
            order = self._lu.ordering
            out["lu_perm_c"] = None if order is None else np.array(order.perm_c)
        if self._hierarchy is not None or self._ml is not None:
            if self._built_from is None:
                raise RuntimeError("a linear solver made for a run without checkpoints (resumable=False) has none to give")
            a = self._built_from
            out["matrix"] = {"data": np.array(a.data), "indices": np.array(a.indices), "indptr": np.array(a.indptr),
                             "shape": np.array(a.shape)}
        return out

    def restore(self, saved: dict) -> None:
        if saved.get("perm_c") is not None:
            self._saved_perm_c = np.asarray(saved["perm_c"])  # made a FillOrdering at the next factorisation
        if saved["matrix"] is not None:
            m = saved["matrix"]
            self._setup(sp.csr_matrix((m["data"], m["indices"], m["indptr"]), shape=tuple(int(v) for v in m["shape"])))
        if saved.get("lu_matrix") is not None:
            m = saved["lu_matrix"]
            a = sp.csr_matrix((m["data"], m["indices"], m["indptr"]), shape=tuple(int(v) for v in m["shape"]))
            if saved.get("lu_perm_c") is not None:
                self._ordering = FillOrdering(a, saved["lu_perm_c"])
            else:  # the kept LU was the run's first, ordered afresh: so again (the same matrix, the same order)
                self._saved_perm_c = None
            self._factor(a)
        self._rate_at_setup = saved["rate_at_setup"]
        self.method = saved.get("method", self.method)
        self.may_fall_back = bool(saved.get("may_fall_back", self.may_fall_back))
        for key, value in saved["stats"].items():
            setattr(self.stats, key, value)

    _maxiter = 500

    def _factor(self, matrix):
        """SuperLU of the matrix; kept (with the matrix it factors) for reuse on networks large enough
        that a factorisation costs more than a few preconditioned iterations."""
        start = time.perf_counter()
        if self._ordering is None and self._saved_perm_c is not None:  # a resumed run: the run's ordering
            self._ordering, self._saved_perm_c = FillOrdering(matrix.tocsr(), self._saved_perm_c), None
        lu, self._ordering = factorise(matrix, self._ordering)
        self.stats.setups += 1
        self.stats.setup_s += time.perf_counter() - start
        if self.reuse_factors:
            self._lu, self._lu_from = lu, matrix.copy()
        return lu

    def _with_old_factors(self, matrix, rhs, rtol, x0):
        """GMRES on the new matrix preconditioned (on the right) by the kept LU of an earlier one (a
        Newton iteration or a time step ago: only radiation, storage and k(T) have moved), or None
        when it needs more than REUSE_ITERATIONS iterations (then the caller factorises afresh).
        Each iteration is one pair of triangular solves, ~1/30 of a factorisation on the flagship's
        4 500-node unit."""
        x, iterations = gmres_right(matrix.dot, self._lu.solve, rhs, rtol, REUSE_ITERATIONS, x0)
        self.stats.iterations += iterations
        return x

    def _exchange_krylov(self, matrix, rhs, rtol, x0, low_rank, start, preconditioner=None):
        """GMRES on A - u m j, preconditioned by the AMG V-cycle of A (conduction, emission, storage),
        or by ``preconditioner`` (the LU of A, on the direct path when Woodbury's A^-1 u is too big).
        The preconditioned operator is the identity minus a rank-r term whose eigenvalues lie in
        [0, 1) (each patch absorbs less than it emits), so the exchange adds at most r iterations
        and in practice a few: its coupling is weak next to conduction within a panel."""
        if preconditioner is None and self._hierarchy is None and self._ml is None:
            self._setup(matrix)
        precondition = preconditioner
        if precondition is None:  # the V-cycle on today's matrix where it is compiled, else pyamg's cycle
            precondition = self._preconditioner if self._hierarchy is None else spla.LinearOperator(
                matrix.shape, matvec=lambda b: self._hierarchy.apply(matrix, b), dtype=float)
        n = rhs.size
        op = spla.LinearOperator((n, n), matvec=lambda v: matrix @ v - low_rank.matvec(v), dtype=float)
        count = [0]

        def callback(_):
            count[0] += 1

        x, info = spla.gmres(op, rhs, x0=x0, rtol=rtol, atol=0.0, restart=60, maxiter=self._maxiter,
                             M=precondition, callback=callback, callback_type="pr_norm")
        if info != 0 and preconditioner is None:
            self._setup(matrix)
            count[0] = 0
            precondition = self._preconditioner if self._hierarchy is None else spla.LinearOperator(
                matrix.shape, matvec=lambda b: self._hierarchy.apply(matrix, b), dtype=float)
            x, info = spla.gmres(op, rhs, x0=x0, rtol=rtol, atol=0.0, restart=60, maxiter=self._maxiter,
                                 M=precondition, callback=callback, callback_type="pr_norm")
        if info != 0:
            raise ConvergenceError(f"the preconditioned GMRES solve with radiation exchange did not reach "
                                   f"rtol {rtol:g} in {self._maxiter} iterations (n = {n})")
        self.stats.solves += 1
        self.stats.iterations += count[0]
        self.stats.solve_s += time.perf_counter() - start
        return x

    def _setup(self, matrix):
        self._hierarchy = self._ml = self._preconditioner = None  # the old one goes before the new is built
        start = time.perf_counter()
        # the assembler overwrites the values in place: pyamg (which keeps the matrix) and a
        # checkpoint (which rebuilds the hierarchy from it) need their own copy of the values; the
        # (int32, fixed) pattern is shared.  The compiled set-up keeps nothing of it.
        a = sp.csr_matrix((matrix.data.copy(), matrix.indices, matrix.indptr), shape=matrix.shape, copy=False) \
            if self.resumable or not self.symmetric else matrix
        self._built_from = a if self.resumable else None
        if self.symmetric:
            self._hierarchy = Hierarchy.smoothed_aggregation(a)
        else:
            self._ml = _pyamg_hierarchy(a)
            self._preconditioner = self._ml.aspreconditioner(cycle="V")
        self._rate_at_setup = None
        self.stats.setups += 1
        self.stats.setup_s += time.perf_counter() - start

    def _krylov(self, matrix, rhs, rtol, x0):
        if self._hierarchy is not None:  # symmetric: compiled CG
            x = np.zeros_like(rhs) if x0 is None else np.array(x0, dtype=float)
            iters = self._hierarchy.pcg(matrix, rhs, x, rtol, self._maxiter, zero_guess=x0 is None)
            return x, iters
        count = [0]

        def callback(_):
            count[0] += 1

        x, info = spla.gmres(matrix, rhs, x0=x0, rtol=rtol, atol=0.0, restart=50, maxiter=self._maxiter,
                             M=self._preconditioner, callback=callback, callback_type="pr_norm")
        return x, (count[0] if info == 0 else -1)


def _woodbury(lu, low_rank, y: np.ndarray) -> np.ndarray:
    """(A - u m j)^-1 b from y = A^-1 b and the factors of A (Sherman-Morrison-Woodbury): with
    z = A^-1 u, x = y + z (I - m j z)^-1 m j y.  r extra triangular solves: exact, and cheap for the
    patch counts of a direct-solve model."""
    z = lu.solve(low_rank.u.toarray())
    r = z.shape[1]
    small = np.eye(r) - low_rank.m @ (low_rank.j @ z)
    return y + z @ np.linalg.solve(small, low_rank.m @ (low_rank.j @ y))


def _pyamg_hierarchy(a):
    """pyamg's smoothed-aggregation hierarchy, for the non-symmetric matrices (k(T), advection,
    heaters) that GMRES solves through pyamg's own cycle."""
    import pyamg  # deliberately lazy: 0.3 s, needed only for non-symmetric networks above the direct limit

    # One forward Gauss-Seidel sweep before and one backward after.  The prolongator's Jacobi
    # step weighted per row by Gershgorin (1 / sum |a_ij|) as in Hierarchy.smoothed_aggregation.
    # max_coarse 100: the dense coarse solve runs in every V-cycle, and 500^2 of it was a visible
    # part of a cycle on small grids (measured 0.95 vs 1.05 s on the 262k-node steady plate).
    # pyamg estimates spectral radii from random vectors drawn from numpy's global generator, so
    # the hierarchy (and the last digits of every answer) depended on what ran before in the
    # process; a fixed seed, with the caller's generator state put back, makes solves repeatable.
    rng_state = np.random.get_state()
    np.random.seed(20261125)
    try:
        return pyamg.smoothed_aggregation_solver(
            a, symmetry="nonsymmetric", max_coarse=MAX_COARSE, presmoother=("gauss_seidel", {"sweep": "forward"}),
            postsmoother=("gauss_seidel", {"sweep": "backward"}),
            smooth=("jacobi", {"omega": JACOBI_OMEGA, "weighting": "local"}))
    finally:
        np.random.set_state(rng_state)


def linear_solver_for(net, settings, resumable: bool = True) -> LinearSolver:
    """The solver a case's settings ask for, on this network (one per run: it keeps the hierarchy).
    ``resumable``: its snapshot can go into a checkpoint (transient and periodic runs)."""
    return LinearSolver(settings.linear_solver, net.n_nodes, net.symmetric, settings.direct_limit, resumable)


class Hierarchy:
    """A smoothed-aggregation hierarchy stacked into arrays for the compiled V-cycle (kernels/amg.py)."""

    def __init__(self, a: Levels, p: Levels, r: Levels, coarse_inv, sizes):
        sizes = np.asarray(sizes, np.int64)
        vec_off = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.coarse_inv = coarse_inv
        self.arrays = AmgHierarchy(a, p, r, sizes, vec_off, coarse_inv)
        total = int(vec_off[-1])
        self.work = AmgWork(np.zeros(total), np.zeros(total), np.zeros(total), np.zeros(int(sizes[0]), np.int32))
        n = int(sizes[0])
        z_or_q = np.zeros(n)  # CG's z and q are never needed at once (kernels/amg.amg_pcg): one array
        self.vecs = PcgVectors(np.zeros(n), z_or_q, np.zeros(n), z_or_q)
        self._pattern_key = None
        self._pattern_arrays = None

    @staticmethod
    def stack(mats: list, dtype=np.float64) -> Levels:
        """Stack CSR matrices given as (indptr, indices, data) into one bundles.Levels, letting each go
        as it is copied (the list is emptied).  Indices are int32 (all levels together are far below
        2^31 entries at any size that fits in memory): the V-cycle streams them once per sweep, and 4
        bytes instead of 8 per entry is a third less memory traffic and memory.  Values in ``dtype``."""
        ptr_off = np.concatenate([[0], np.cumsum([m[0].size for m in mats])]).astype(np.int64)
        idx_off = np.concatenate([[0], np.cumsum([m[1].size for m in mats])]).astype(np.int64)
        out = Levels(ptr_off, idx_off, np.empty(ptr_off[-1], np.uint32), np.empty(idx_off[-1], np.uint32),
                     np.empty(idx_off[-1], dtype))
        for level in range(len(mats)):
            ptr, idx, val = mats[level]
            mats[level] = None
            out.indptr[ptr_off[level]:ptr_off[level + 1]] = ptr
            out.indices[idx_off[level]:idx_off[level + 1]] = idx
            out.data[idx_off[level]:idx_off[level + 1]] = val
        mats.clear()
        return out

    @classmethod
    def smoothed_aggregation(cls, a: sp.csr_matrix) -> "Hierarchy":
        """The hierarchy of a symmetric matrix, built by the compiled set-up (kernels/amg_setup.py:
        pyamg's smoothed aggregation, with a fraction of its memory)."""
        from pyamg import amg_core  # pyamg's own aggregation routine (compiled): lazy, as pyamg is

        ptr, idx, val = a.indptr.astype(np.int32, copy=False), a.indices.astype(np.int32, copy=False), a.data
        n = a.shape[0]
        b = np.ones(n)
        relax_candidate(ptr, idx, val, b, CANDIDATE_SWEEPS)
        # level 0's operator is never read (the V-cycle takes the current matrix): an empty stand-in
        # keeps the level numbering without a second copy of the finest matrix
        a_mats, p_mats, r_mats, sizes = [], [], [], [n]
        while n > MAX_COARSE and len(sizes) < MAX_LEVELS:
            graph = (ptr, idx) if np.all(val != 0.0) else nonzero_pattern(ptr, idx, val)
            agg, centres = np.empty(n, np.int32), np.empty(n, np.int32)
            n_agg = int(amg_core.standard_aggregation(n, graph[0], graph[1], agg, centres))
            del graph, centres
            if not 0 < n_agg < n:
                break
            t, b = tentative(agg, n_agg, b)
            p = smoothed_prolongator(ptr, idx, val, agg, t, n_agg, JACOBI_OMEGA)
            del agg, t
            r = transpose(*p, n_agg)
            ptr, idx, val = galerkin(*r, ptr, idx, val, *p)
            a_mats.append((ptr, idx, val))
            p_mats.append(p)
            r_mats.append(r)
            n = n_agg
            sizes.append(n)
        if n > COARSE_LIMIT:
            raise ConvergenceError(f"smoothed aggregation could not coarsen below {n} nodes (nodes without "
                                   "neighbours?): use the direct solver (solver.linear_solver = \"direct\")")
        coarse = sp.csr_matrix((val, idx, ptr), shape=(n, n)).toarray()
        if a_mats:
            a_mats.pop()  # the coarsest is solved dense
        empty = (np.zeros(1, np.int32), np.zeros(0, np.int32), np.zeros(0))
        # P and R kept in float32 (a third of the hierarchy's bytes less: 6.3 MB at 512^2; the V-cycle
        # still sums in float64).  Both are rounded from the same float64 values, so R = P^T exactly
        # and the V-cycle stays a symmetric positive-definite preconditioner; the coarse operators
        # (built from the float64 P) stay float64: rounding them would blur the weak radiative part of
        # a conduction-dominated diagonal (~1e-6 of it on a cold large panel) at float32's 6e-8.
        return cls(cls.stack([empty] + a_mats), cls.stack(p_mats, np.float32), cls.stack(r_mats, np.float32),
                   np.linalg.pinv(coarse), sizes)

    def levels(self) -> tuple:
        """(A_l for l >= 1 without the coarsest, P_l, R_l) as scipy matrices (for tests and inspection)."""
        def mats(lv: Levels, shapes):
            return [sp.csr_matrix((lv.data[lv.idx_off[k]:lv.idx_off[k + 1]], lv.indices[lv.idx_off[k]:lv.idx_off[k + 1]],
                                   lv.indptr[lv.ptr_off[k]:lv.ptr_off[k + 1]]), shape=shape) for k, shape in enumerate(shapes)]
        sizes = [int(v) for v in self.arrays.sizes]
        a = mats(self.arrays.a, [(0, 0)] + [(s, s) for s in sizes[1:-1]])[1:]
        return a, mats(self.arrays.p, list(zip(sizes[:-1], sizes[1:]))), mats(self.arrays.r, list(zip(sizes[1:], sizes[:-1])))

    def _finest(self, matrix) -> Csr:
        """The finest matrix with int32 index arrays like the coarse levels' (one compiled variant of
        the kernels; converted once per pattern)."""
        key = (id(matrix.indptr), id(matrix.indices))
        if self._pattern_key != key:
            self._pattern_key = key
            self._pattern_arrays = (matrix.indptr.astype(np.int32, copy=False).view(np.uint32),
                                    matrix.indices.astype(np.int32, copy=False).view(np.uint32))
        return Csr(*self._pattern_arrays, matrix.data)

    def pcg(self, matrix, rhs, x, rtol, maxiter, zero_guess=False) -> int:
        """``zero_guess``: x is known to be zero (no product for the first residual: ~6 ms at 10^6 nodes)."""
        return int(amg_pcg(self._finest(matrix), self.arrays, np.ascontiguousarray(rhs, float), x, float(rtol),
                           int(maxiter), self.work, self.vecs, bool(zero_guess)))

    def apply(self, matrix, b) -> np.ndarray:
        """One V-cycle applied to b (for tests)."""
        x = np.zeros_like(b)
        vcycle(self._finest(matrix), self.arrays, b, x, self.work)
        return x
