"""Sparse LU with the fill-reducing ordering kept across a run's factorisations (solvers/sparse_lu.py)."""
import numpy as np
import scipy.sparse as sp

from thermal.solvers.linalg import LinearSolver
from thermal.solvers.sparse_lu import factorise

from .test_linalg import plate_system


def _drifted(a: sp.csr_matrix, seed: int) -> sp.csr_matrix:
    """The same pattern with other values: off-diagonals scaled by 0.5-1.5 (no longer symmetric) and
    the diagonal raised to keep the rows dominant, as k(T), advection and radiation move them."""
    rng = np.random.default_rng(seed)
    b = a.copy()
    b.data = b.data * rng.uniform(0.5, 1.5, b.nnz)
    diag = np.abs(b).sum(axis=1).A1 - np.abs(b.diagonal())
    b.setdiag(1.01 * diag + np.abs(a.diagonal()))  # every diagonal entry exists: the pattern stays
    assert b.nnz == a.nnz
    return b


def test_a_kept_ordering_factorises_to_round_off_with_the_fresh_orderings_fill():
    _, rhs, a = plate_system(n=24, inv_dt=0.1)
    first, order = factorise(a, None)
    assert first.ordering is None  # the first matrix is ordered by SuperLU itself
    a2 = _drifted(a, 1)
    assert np.array_equal(a2.indices, a.indices)
    kept, order2 = factorise(a2, order)
    fresh, _ = factorise(a2, None)
    assert kept.ordering is order and order2 is order
    assert kept.lu.L.nnz + kept.lu.U.nnz == fresh.lu.L.nnz + fresh.lu.U.nnz
    for f, m in ((first, a), (kept, a2)):
        x = f.solve(rhs)
        assert np.linalg.norm(m @ x - rhs) <= 1e-13 * np.linalg.norm(rhs)
    two = np.column_stack([rhs, 2.0 * rhs])  # several right-hand sides at once (Woodbury's A^-1 u)
    assert np.allclose(kept.solve(two)[:, 1], 2.0 * kept.solve(rhs), rtol=1e-14, atol=0.0)


def test_another_pattern_is_ordered_afresh():
    _, _, a = plate_system(n=12)
    _, order = factorise(a, None)
    _, _, b = plate_system(n=13)
    factors, order_b = factorise(b, order)
    assert factors.ordering is None and order_b is not order and order_b.fits(b) and not order_b.fits(a)


def test_a_resumed_solver_factorises_its_kept_matrix_to_the_last_digit():
    """A checkpoint keeps the LU's matrix and the ordering it was factorised with; the resumed
    solver's factors give bit for bit the original's answers, before and after the ordering is kept."""
    _, rhs, a = plate_system(n=24, inv_dt=0.1)
    for n_factors in (1, 2):
        solver = LinearSolver("direct", a.shape[0], symmetric=False, direct_limit=100)
        assert solver.reuse_factors
        solver._factor(a)
        if n_factors == 2:
            solver._factor(_drifted(a, 2))
        saved = solver.snapshot()
        assert (saved["lu_perm_c"] is None) == (n_factors == 1)
        resumed = LinearSolver("direct", a.shape[0], symmetric=False, direct_limit=100)
        resumed.restore(saved)
        assert np.array_equal(resumed._lu.solve(rhs), solver._lu.solve(rhs))
        later = _drifted(a, 3)
        assert np.array_equal(resumed.solve(later, rhs), solver.solve(later, rhs))
