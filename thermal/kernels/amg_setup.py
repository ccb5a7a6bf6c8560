"""Smoothed-aggregation set-up, compiled: the coarse levels the V-cycle of amg.py runs on.

The same construction as pyamg's ``smoothed_aggregation_solver`` with the options the solver used
(solvers/linalg.py): the candidate vector (ones) relaxed by 4 symmetric Gauss-Seidel sweeps on
A x = 0, pyamg's standard aggregation (its own compiled routine, called by the solver), the
tentative prolongator T (the candidate on each aggregate, normalised), one Jacobi step with
Gershgorin row weights P = (I - omega D^-1 A) T, D_ii = sum_j |a_ij|, R = P^T and the Galerkin
product R A P.  It differs in how it spends memory: pyamg builds a strength matrix and scaled
copies of A, forms A T and R A as whole matrices and converts index types on the way (307 MB above
its input on a 1024^2 plate, 1.6-1.8 s); here each row of P and of R A P is assembled directly
from its neighbours, so a level costs the arrays it keeps.  Entries of A that are exactly zero
(reserved advection or heater positions) connect nothing, as in pyamg.
"""
import numpy as np
from numba import njit, prange

from thermal.kernels.amg import HYBRID_BLOCKS, HYBRID_ROWS, gauss_seidel, hybrid_gauss_seidel

GALERKIN_CHUNKS = 4  # coarse rows of R A P in this many parallel chunks, each with its own accumulator


@njit(cache=True)
def relax_candidate(indptr, indices, data, b, sweeps):
    """b <- ``sweeps`` symmetric Gauss-Seidel sweeps on A x = 0 from x = b (pyamg's
    improve_candidates): damps what A does not keep near its null space.  Hybrid sweeps on a level
    the V-cycle smooths so (amg.HYBRID_ROWS)."""
    zero = np.zeros(b.size)
    if b.size >= HYBRID_ROWS:
        before = np.empty(b.size)
        for _ in range(sweeps):
            hybrid_gauss_seidel(indptr, indices, data, b, zero, before, True, HYBRID_BLOCKS, False)
            hybrid_gauss_seidel(indptr, indices, data, b, zero, before, False, HYBRID_BLOCKS, False)
        return
    for _ in range(sweeps):
        gauss_seidel(indptr, indices, data, b, zero, True)
        gauss_seidel(indptr, indices, data, b, zero, False)


@njit(cache=True)
def tentative(agg, n_agg, b):
    """T's value in each row (its column is agg[i]; nothing where agg[i] < 0) and the coarse
    candidate: the candidate's norm on each aggregate, so that T b_coarse = b."""
    norm = np.zeros(n_agg)
    for i in range(agg.size):
        if agg[i] >= 0:
            norm[agg[i]] += b[i] * b[i]
    for a in range(n_agg):
        norm[a] = np.sqrt(norm[a])
    t = np.zeros(agg.size)
    for i in range(agg.size):
        a = agg[i]
        if a >= 0 and norm[a] > 0.0:
            t[i] = b[i] / norm[a]
    return t, norm


@njit(cache=True)
def _sort_row(idx, val, lo, hi):
    for e in range(lo + 1, hi):
        c, v = idx[e], val[e]
        f = e - 1
        while f >= lo and idx[f] > c:
            idx[f + 1], val[f + 1] = idx[f], val[f]
            f -= 1
        idx[f + 1], val[f + 1] = c, v


@njit(cache=True, inline="always")
def _accumulate(row, col, v, mark, slot, idx, val, c):
    """Add v at column ``col`` of the row being filled (a sparse accumulator: ``mark`` says which row
    last used a column, ``slot`` where its entry is): a new entry at c, or onto the one already
    there.  Returns the next free position."""
    if mark[col] != row:
        mark[col], slot[col], idx[c], val[c] = row, c, col, v
        return c + 1
    val[slot[col]] += v
    return c


@njit(cache=True)
def smoothed_prolongator(indptr, indices, data, agg, t, n_agg, omega):
    """CSR of P = (I - omega D^-1 A) T with D = diag(sum_j |a_ij|): row i holds T's entry of i and
    the weighted entries of its neighbours' aggregates."""
    n = agg.size
    mark = np.full(n_agg, -1, np.int64)
    ptr = np.zeros(n + 1, np.int32)
    for i in range(n):
        count = 0
        if agg[i] >= 0:
            mark[agg[i]] = i
            count += 1
        for e in range(indptr[i], indptr[i + 1]):
            a = agg[indices[e]]
            if a >= 0 and data[e] != 0.0 and mark[a] != i:
                mark[a] = i
                count += 1
        ptr[i + 1] = ptr[i] + count
    idx = np.empty(ptr[n], np.int32)
    val = np.empty(ptr[n])
    slot = np.empty(n_agg, np.int64)
    mark[:] = -1
    for i in range(n):
        row_abs = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            row_abs += abs(data[e])
        w = omega / row_abs if row_abs > 0.0 else 0.0
        c = ptr[i]
        if agg[i] >= 0:
            c = _accumulate(i, agg[i], t[i], mark, slot, idx, val, c)
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if agg[j] >= 0 and data[e] != 0.0:
                c = _accumulate(i, agg[j], -(w * data[e]) * t[j], mark, slot, idx, val, c)
        _sort_row(idx, val, ptr[i], ptr[i + 1])
    return ptr, idx, val


@njit(cache=True)
def transpose(ptr, idx, val, n_cols):
    """CSR of the transpose (columns come out sorted: rows are visited in order)."""
    n = ptr.size - 1
    tptr = np.zeros(n_cols + 1, np.int32)
    for e in range(ptr[n]):
        tptr[idx[e] + 1] += 1
    for c in range(n_cols):
        tptr[c + 1] += tptr[c]
    cursor = tptr[:n_cols].astype(np.int64)
    tidx = np.empty(ptr[n], np.int32)
    tval = np.empty(ptr[n])
    for i in range(n):
        for e in range(ptr[i], ptr[i + 1]):
            c = idx[e]
            k = cursor[c]
            tidx[k], tval[k] = i, val[e]
            cursor[c] = k + 1
    return tptr, tidx, tval


@njit(cache=True, parallel=True)
def galerkin(r_ptr, r_idx, r_val, a_ptr, a_idx, a_val, p_ptr, p_idx, p_val):
    """CSR of R A P, row by row without forming A P or R A (a symbolic pass sizes it).  Rows are
    independent: GALERKIN_CHUNKS chunks of them run in parallel, each with its own accumulator
    (the same entries in the same order on any thread count)."""
    nc = r_ptr.size - 1
    counts = np.zeros(nc, np.int32)
    for chunk in prange(GALERKIN_CHUNKS):
        mark = np.full(nc, -1, np.int64)
        for row in range(nc * chunk // GALERKIN_CHUNKS, nc * (chunk + 1) // GALERKIN_CHUNKS):
            count = 0
            for e in range(r_ptr[row], r_ptr[row + 1]):
                i = r_idx[e]
                for f in range(a_ptr[i], a_ptr[i + 1]):
                    k = a_idx[f]
                    for g in range(p_ptr[k], p_ptr[k + 1]):
                        col = p_idx[g]
                        if mark[col] != row:
                            mark[col] = row
                            count += 1
            counts[row] = count
    ptr = np.zeros(nc + 1, np.int32)
    for row in range(nc):
        ptr[row + 1] = ptr[row] + counts[row]
    idx = np.empty(ptr[nc], np.int32)
    val = np.empty(ptr[nc])
    for chunk in prange(GALERKIN_CHUNKS):
        mark = np.full(nc, -1, np.int64)
        slot = np.empty(nc, np.int64)
        for row in range(nc * chunk // GALERKIN_CHUNKS, nc * (chunk + 1) // GALERKIN_CHUNKS):
            c = ptr[row]
            for e in range(r_ptr[row], r_ptr[row + 1]):
                i = r_idx[e]
                r = r_val[e]
                for f in range(a_ptr[i], a_ptr[i + 1]):
                    k = a_idx[f]
                    ra = r * a_val[f]
                    for g in range(p_ptr[k], p_ptr[k + 1]):
                        c = _accumulate(row, p_idx[g], ra * p_val[g], mark, slot, idx, val, c)
            _sort_row(idx, val, ptr[row], ptr[row + 1])
    return ptr, idx, val


@njit(cache=True)
def nonzero_pattern(indptr, indices, data):
    """The pattern without the entries that are exactly zero (what aggregation should see)."""
    n = indptr.size - 1
    ptr = np.zeros(n + 1, np.int32)
    for i in range(n):
        count = 0
        for e in range(indptr[i], indptr[i + 1]):
            if data[e] != 0.0:
                count += 1
        ptr[i + 1] = ptr[i] + count
    idx = np.empty(ptr[n], np.int32)
    for i in range(n):
        c = ptr[i]
        for e in range(indptr[i], indptr[i + 1]):
            if data[e] != 0.0:
                idx[c] = indices[e]
                c += 1
    return ptr, idx
