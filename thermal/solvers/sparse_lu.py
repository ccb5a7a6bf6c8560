"""Sparse LU (SuperLU) of the Newton matrices of one run, whose sparsity pattern never changes.

SuperLU orders the columns afresh at each factorisation; here the fill-reducing ordering is
computed once, from the first matrix of a pattern, and later matrices are factorised already
permuted (their values gathered through a map built once), in natural order.  Measured on the
flagship's pumped-loop unit (4 815 nodes, 30k entries, 286k in L + U): 11.0 -> 8.6 ms a
factorisation, same fill; the answers differ from a fresh ordering's only in round-off.

Supernode parameters: relax = 5 columns, panel_size = 10 (scipy's build defaults to 10 and 20).
Measured (least of 20): loop unit 18.5 -> 11.0 ms; 2-D five-point grids of 2 500 / 10 000 /
40 000 nodes 2.9 -> 2.5, 13.8 -> 12.1, 88 -> 75 ms; same fill.  Larger panels (40-200) were seen
to corrupt the heap (SuperLU's workspace expansion) in a few of our stress runs; these values ran
220 factorisations in each of 25 processes without one.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from thermal.errors import ConvergenceError

RELAX, PANEL_SIZE = 5, 10
_OPTIONS = {"SymmetricMode": True}


class FillOrdering:
    """The column ordering of one sparsity pattern, and the map that gathers a CSR matrix of that
    pattern into the permuted CSC matrix SuperLU factorises."""

    def __init__(self, matrix: sp.csr_matrix, perm_c: np.ndarray):
        n = matrix.shape[0]
        self.indptr, self.indices, self.perm_c = matrix.indptr, matrix.indices, np.asarray(perm_c)
        self.inv = np.empty(n, np.int64)
        self.inv[perm_c] = np.arange(n)  # row/column i of the permuted matrix is inv[i] of the original
        labels = sp.csr_matrix((np.arange(1.0, matrix.nnz + 1.0), matrix.indices, matrix.indptr), shape=matrix.shape)
        permuted = labels[self.inv][:, self.inv].tocsc()
        permuted.sort_indices()
        self.take = permuted.data.astype(np.int64) - 1
        self.csc_indices, self.csc_indptr = permuted.indices, permuted.indptr

    def fits(self, matrix: sp.csr_matrix) -> bool:
        same = (matrix.indptr is self.indptr and matrix.indices is self.indices)
        return same or (matrix.shape[0] == self.inv.size and matrix.nnz == self.take.size
                         and np.array_equal(matrix.indptr, self.indptr) and np.array_equal(matrix.indices, self.indices))

    def permuted(self, matrix: sp.csr_matrix) -> sp.csc_matrix:
        n = self.inv.size
        return sp.csc_matrix((matrix.data[self.take], self.csc_indices, self.csc_indptr), shape=(n, n))


class Factors:
    """x = A^-1 b for the factors of a matrix permuted by ``ordering`` (or of A itself)."""

    def __init__(self, lu, ordering: FillOrdering | None):
        self.lu, self.ordering = lu, ordering

    def solve(self, b: np.ndarray) -> np.ndarray:
        if self.ordering is None:
            return self.lu.solve(b)
        inv = self.ordering.inv
        x = np.empty_like(b, dtype=float)
        x[inv] = self.lu.solve(np.ascontiguousarray(b[inv]))
        return x


def factorise(matrix: sp.csr_matrix, ordering: FillOrdering | None) -> tuple[Factors, FillOrdering]:
    """The factors of ``matrix``, and the ordering to factorise the next matrix of its pattern with."""
    matrix = matrix.tocsr()
    try:
        if ordering is not None and ordering.fits(matrix):
            lu = spla.splu(ordering.permuted(matrix), permc_spec="NATURAL", relax=RELAX, panel_size=PANEL_SIZE,
                           options=_OPTIONS)
            return Factors(lu, ordering), ordering
        # a minimum-degree ordering of A+A^T suits these structurally symmetric matrices: half the
        # fill of COLAMD on 2-D grids, 1.5x faster factorisation (measured at 4k-40k nodes).
        # Symmetric mode (diagonal pivots preferred, still threshold 1: a diagonal that is not its
        # column's largest is not taken) keeps the ordering's fill for the non-symmetric Jacobians
        # too (k(T), advection): they are diagonally dominant, so the diagonal is the pivot anyway.
        lu = spla.splu(matrix.tocsc(), permc_spec="MMD_AT_PLUS_A", relax=RELAX, panel_size=PANEL_SIZE,
                       options=_OPTIONS)
    except RuntimeError as exc:  # SuperLU: "Factor is exactly singular"
        raise ConvergenceError(f"the Newton matrix is singular ({exc}): some nodes exchange no heat with "
                               "anything (a conductivity, contact or capacitance so small it underflows?); "
                               "check the case's extreme values") from None
    return Factors(lu, None), FillOrdering(matrix, lu.perm_c)
