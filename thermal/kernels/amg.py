"""Compiled AMG-preconditioned conjugate gradients on a smoothed-aggregation hierarchy.

amg_setup.py builds the hierarchy (coarse operators A_l, prolongations P_l, restrictions R_l = P_l^T);
these kernels run the V-cycle and the CG loop without returning to Python, which at 10k-300k
nodes is where pyamg's per-level Python overhead dominated (1.8 ms per CG iteration at 16k nodes).
The finest level always uses the *current* matrix; coarse levels are those of the set-up.

Levels are stored flattened (bundles.Levels): level l's CSR arrays are the slices
``[ptr_off[l]:ptr_off[l+1]]`` of ``indptr`` and ``[idx_off[l]:idx_off[l+1]]`` of ``indices``/``data``
(level 0 of the operators is unused: the current matrix is passed separately).  Smoothing: one forward Gauss-Seidel sweep before and one
backward sweep after the coarse correction, so the V-cycle is a symmetric operator (valid for CG).
"""
import numpy as np
from numba import njit, prange

PARALLEL_ROWS = 4096  # below this, starting threads costs more than the rows (measured: 1.07 vs 1.25 s steady N=512)
# levels with at least HYBRID_ROWS rows are smoothed in HYBRID_BLOCKS blocks (hybrid_gauss_seidel):
# measured (2 cores) on the reference plate's finest level, one forward sweep from zero with its
# residual: 2.6e5 rows 2.3 ms plain, 1.5 / 3.0 ms hybrid on 2 / 1 threads; 10^6 rows 19 ms plain,
# 6.4 / 13 ms hybrid
HYBRID_ROWS, HYBRID_BLOCKS = 2**17, 16


@njit(cache=True, inline="always")
def level_csr(levels, level):
    """(indptr, indices, data) of one level of a bundles.Levels stack."""
    ptr_off, idx_off = levels.ptr_off, levels.idx_off
    ip = levels.indptr[ptr_off[level]:ptr_off[level + 1]]
    return ip, levels.indices[idx_off[level]:idx_off[level + 1]], levels.data[idx_off[level]:idx_off[level + 1]]


@njit(cache=True)
def csr_matvec_serial(indptr, indices, data, x, out):
    for i in range(out.size):
        s = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            s += data[e] * x[indices[e]]
        out[i] = s


@njit(cache=True, parallel=True)
def csr_matvec_parallel(indptr, indices, data, x, out):
    for i in prange(out.size):
        s = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            s += data[e] * x[indices[e]]
        out[i] = s


@njit(cache=True)
def csr_matvec(indptr, indices, data, x, out):
    """out = A x; rows split over threads on large levels (each row's sum is in the same order
    either way, so the result does not depend on the thread count)."""
    if out.size >= PARALLEL_ROWS:
        csr_matvec_parallel(indptr, indices, data, x, out)
    else:
        csr_matvec_serial(indptr, indices, data, x, out)


@njit(cache=True)
def gauss_seidel(indptr, indices, data, x, b, forward):
    n = x.size
    for ii in range(n):
        i = ii if forward else n - 1 - ii
        diag = 0.0
        s = b[i]
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if j == i:
                diag = data[e]
            else:
                s -= data[e] * x[j]
        x[i] = s / diag


@njit(cache=True)
def gauss_seidel_from_zero(indptr, indices, data, x, b, r):
    """A forward sweep from x = 0, and the residual r = b - A x after it, in one pass over A.  Row
    i's equation holds for the x_j (j < i) it used, so r_i = -sum_{j > i} a_ij x_j: the terms of the
    rows after it.  With A symmetric (a_ij = a_ji bit for bit: the finest matrix of a symmetric
    network, network.py) row j hands a_ji x_j to every earlier i as soon as x_j is known, which
    saves the separate residual product (one of ~5 passes over the finest matrix per V-cycle)."""
    n = x.size
    for i in range(n):
        r[i] = 0.0
    for i in range(n):
        diag = 0.0
        s = b[i]
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if j < i:
                s -= data[e] * x[j]
            elif j == i:
                diag = data[e]
        xi = s / diag
        x[i] = xi
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if j < i:
                r[j] -= data[e] * xi


@njit(cache=True, inline="always")
def block_row(indptr, indices, data, x, b, x_before, i, first, last, from_zero):
    """Row i of a hybrid sweep in block [first, last): its own block's newest values, the others'
    from before the sweep (zero when ``from_zero``)."""
    diag = 0.0
    s = b[i]
    for e in range(indptr[i], indptr[i + 1]):
        j = indices[e]
        if j == i:
            diag = data[e]
        elif first <= j < last:
            s -= data[e] * x[j]
        elif not from_zero:
            s -= data[e] * x_before[j]
    x[i] = s / diag


@njit(cache=True, parallel=True)
def hybrid_gauss_seidel(indptr, indices, data, x, b, x_before, forward, n_blocks, from_zero, fill_before=True):
    """One Gauss-Seidel sweep within each of ``n_blocks`` (even) blocks of contiguous rows, Jacobi
    between them (hypre's "hybrid" smoother): a row reads its own block's newest values and the
    others' from before the sweep (``x_before``, filled here unless ``fill_before`` is false: the
    caller has filled it; not read when ``from_zero``: then x is 0 on entry, and so are the other
    blocks' values before the sweep).  Why: plain Gauss-Seidel is
    one chain of dependent rows (row i waits for x[i-1]) on one core; here pairs of blocks run on
    separate threads, and the two blocks of a pair are advanced in step, which gives one core two
    independent chains to overlap.  The blocks are fixed by n_blocks, not by the thread count, so
    the result is the same on any number of threads.  The backward sweep is the forward sweep's
    adjoint, so a V-cycle with one of each stays symmetric for CG."""
    n = x.size
    if not from_zero and fill_before:
        for i in prange(n):
            x_before[i] = x[i]
    for pair in prange(n_blocks // 2):
        lo0 = n * (2 * pair) // n_blocks
        hi0 = lo1 = n * (2 * pair + 1) // n_blocks
        hi1 = n * (2 * pair + 2) // n_blocks
        both = min(hi0 - lo0, hi1 - lo1)
        for k in range(both):
            block_row(indptr, indices, data, x, b, x_before, lo0 + k if forward else hi0 - 1 - k, lo0, hi0, from_zero)
            block_row(indptr, indices, data, x, b, x_before, lo1 + k if forward else hi1 - 1 - k, lo1, hi1, from_zero)
        for k in range(both, hi0 - lo0):
            block_row(indptr, indices, data, x, b, x_before, lo0 + k if forward else hi0 - 1 - k, lo0, hi0, from_zero)
        for k in range(both, hi1 - lo1):
            block_row(indptr, indices, data, x, b, x_before, lo1 + k if forward else hi1 - 1 - k, lo1, hi1, from_zero)


@njit(cache=True, inline="always")
def block_row_from_zero(indptr, indices, data, x, b, r, i, first, last):
    """Row i of the forward hybrid sweep from zero: x_i, and a_ji x_i handed back to the residuals
    of its block's earlier rows.  True if the row has terms in other blocks."""
    diag = 0.0
    s = b[i]
    outside = False
    r[i] = 0.0  # before the later rows of the block hand theirs back
    for e in range(indptr[i], indptr[i + 1]):
        j = indices[e]
        if j < i:
            if j >= first:
                s -= data[e] * x[j]
            else:
                outside = True
        elif j == i:
            diag = data[e]
        elif j >= last:
            outside = True
    xi = s / diag
    x[i] = xi
    for e in range(indptr[i], indptr[i + 1]):
        j = indices[e]
        if first <= j < i:
            r[j] -= data[e] * xi
    return outside


@njit(cache=True, parallel=True)
def hybrid_gauss_seidel_from_zero(indptr, indices, data, x, b, r, crossing, n_blocks):
    """``hybrid_gauss_seidel`` forward from x = 0, and the residual r = b - A x after it, as
    ``gauss_seidel_from_zero`` does (A symmetric bit for bit): within a block, row j hands a_ji x_j
    back to the block's earlier rows; the terms between blocks, known only once every block is
    done, are added by a second pass over the rows that have any (listed in ``crossing``, int32
    work of n, each block's from its first row)."""
    n = x.size
    n_crossing = np.zeros(n_blocks, np.int64)
    for pair in prange(n_blocks // 2):
        lo0 = n * (2 * pair) // n_blocks
        hi0 = lo1 = n * (2 * pair + 1) // n_blocks
        hi1 = n * (2 * pair + 2) // n_blocks
        c0 = c1 = 0
        both = min(hi0 - lo0, hi1 - lo1)
        for k in range(both):
            if block_row_from_zero(indptr, indices, data, x, b, r, lo0 + k, lo0, hi0):
                crossing[lo0 + c0] = lo0 + k
                c0 += 1
            if block_row_from_zero(indptr, indices, data, x, b, r, lo1 + k, lo1, hi1):
                crossing[lo1 + c1] = lo1 + k
                c1 += 1
        for i in range(lo0 + both, hi0):
            if block_row_from_zero(indptr, indices, data, x, b, r, i, lo0, hi0):
                crossing[lo0 + c0] = i
                c0 += 1
        for i in range(lo1 + both, hi1):
            if block_row_from_zero(indptr, indices, data, x, b, r, i, lo1, hi1):
                crossing[lo1 + c1] = i
                c1 += 1
        n_crossing[2 * pair] = c0
        n_crossing[2 * pair + 1] = c1
    for block in prange(n_blocks):
        first = n * block // n_blocks
        last = n * (block + 1) // n_blocks
        for t in range(n_crossing[block]):
            i = crossing[first + t]
            s = 0.0
            for e in range(indptr[i], indptr[i + 1]):
                j = indices[e]
                if j < first or j >= last:
                    s += data[e] * x[j]
            r[i] -= s


@njit(cache=True, parallel=True)
def prolong_add_parallel(indptr, indices, data, x_coarse, x, x_after):
    """x += P x_coarse, row by row, and a copy of the new x in ``x_after`` (the values before the
    hybrid sweep that follows).  One pass instead of three (P x_coarse into a vector, the add, the
    copy): 24 MB less memory traffic a V-cycle at 10^6 nodes.  Each row's sum in the order of
    csr_matvec, so x is the same bit for bit."""
    for i in prange(x.size):
        s = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            s += data[e] * x_coarse[indices[e]]
        v = x[i] + s
        x[i] = v
        x_after[i] = v


@njit(cache=True)
def prolong_add_serial(indptr, indices, data, x_coarse, x):
    for i in range(x.size):
        s = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            s += data[e] * x_coarse[indices[e]]
        x[i] += s


@njit(cache=True)
def vcycle(a0, hier, b, x, work):
    """x = V-cycle(b), the preconditioner applied to b.  ``a0``: bundles.Csr, the current finest
    matrix; ``hier``: bundles.AmgHierarchy; ``work``: bundles.AmgWork (level 0 works in b and x
    themselves: two copies of the longest vectors fewer)."""
    sizes, vec_off, coarse_inv = hier.sizes, hier.vec_off, hier.coarse_inv
    work_b, work_x, work_r = work.b, work.x, work.r
    n_levels = sizes.size
    for lv in range(n_levels - 1):
        n = sizes[lv]
        o = vec_off[lv]
        bl = b if lv == 0 else work_b[o:o + n]
        xl = x if lv == 0 else work_x[o:o + n]
        rl = work_r[o:o + n]
        hybrid = n >= HYBRID_ROWS
        if lv == 0 and hybrid:
            hybrid_gauss_seidel_from_zero(a0.indptr, a0.indices, a0.data, xl, bl, rl, work.crossing, HYBRID_BLOCKS)
        elif lv == 0:
            gauss_seidel_from_zero(a0.indptr, a0.indices, a0.data, xl, bl, rl)
        else:
            # coarse Galerkin operators are symmetric only to round-off: the residual by its product
            ip, ix, dt = level_csr(hier.a, lv)
            xl[:] = 0.0
            if hybrid:
                hybrid_gauss_seidel(ip, ix, dt, xl, bl, rl, True, HYBRID_BLOCKS, True)
            else:
                gauss_seidel(ip, ix, dt, xl, bl, True)
            csr_matvec(ip, ix, dt, xl, rl)
            for i in range(n):
                rl[i] = bl[i] - rl[i]
        rip, rix, rdt = level_csr(hier.r, lv)
        oc = vec_off[lv + 1]
        csr_matvec(rip, rix, rdt, rl, work_b[oc:oc + sizes[lv + 1]])
    lc = n_levels - 1
    oc = vec_off[lc]
    nc = sizes[lc]
    for i in range(nc):
        s = 0.0
        for j in range(nc):
            s += coarse_inv[i, j] * work_b[oc + j]
        work_x[oc + i] = s
    for lv in range(n_levels - 2, -1, -1):
        n = sizes[lv]
        o = vec_off[lv]
        bl = b if lv == 0 else work_b[o:o + n]
        xl = x if lv == 0 else work_x[o:o + n]
        rl = work_r[o:o + n]
        pip, pix, pdt = level_csr(hier.p, lv)
        xc = work_x[vec_off[lv + 1]:vec_off[lv + 1] + sizes[lv + 1]]
        if lv == 0:
            ip, ix, dt = a0.indptr, a0.indices, a0.data
        else:
            ip, ix, dt = level_csr(hier.a, lv)
        if n >= PARALLEL_ROWS:  # rl is free again: it takes the values before the sweep
            prolong_add_parallel(pip, pix, pdt, xc, xl, rl)
        else:
            prolong_add_serial(pip, pix, pdt, xc, xl)
        if n >= HYBRID_ROWS:
            hybrid_gauss_seidel(ip, ix, dt, xl, bl, rl, False, HYBRID_BLOCKS, False, False)
        else:
            gauss_seidel(ip, ix, dt, xl, bl, False)


VECTOR_BLOCKS = 16  # CG's dot products summed in this many fixed blocks: the same last digit on any thread count


@njit(cache=True, parallel=True)
def axpy_pair_blocks(x, r, p, q, alpha, partial):
    """x += alpha p, r -= alpha q, and the partial sums of r.r over VECTOR_BLOCKS fixed blocks."""
    n = x.size
    for k in prange(VECTOR_BLOCKS):
        s = 0.0
        for i in range(n * k // VECTOR_BLOCKS, n * (k + 1) // VECTOR_BLOCKS):
            x[i] += alpha * p[i]
            r[i] -= alpha * q[i]
            s += r[i] * r[i]
        partial[k] = s


@njit(cache=True, parallel=True)
def dot_blocks(a, b, partial):
    n = a.size
    for k in prange(VECTOR_BLOCKS):
        s = 0.0
        for i in range(n * k // VECTOR_BLOCKS, n * (k + 1) // VECTOR_BLOCKS):
            s += a[i] * b[i]
        partial[k] = s


@njit(cache=True, parallel=True)
def xpby_blocks(p, z, beta):
    """p = z + beta p."""
    n = p.size
    for k in prange(VECTOR_BLOCKS):
        for i in range(n * k // VECTOR_BLOCKS, n * (k + 1) // VECTOR_BLOCKS):
            p[i] = z[i] + beta * p[i]


@njit(cache=True)
def axpy_pair(x, r, p, q, alpha, partial):
    """x += alpha p, r -= alpha q; returns r.r.  Summed in VECTOR_BLOCKS blocks either way, so the
    serial path (small n) and the parallel one give the same digits; threads only above PARALLEL_ROWS."""
    n = x.size
    if n >= PARALLEL_ROWS:
        axpy_pair_blocks(x, r, p, q, alpha, partial)
    else:
        for k in range(VECTOR_BLOCKS):
            s = 0.0
            for i in range(n * k // VECTOR_BLOCKS, n * (k + 1) // VECTOR_BLOCKS):
                x[i] += alpha * p[i]
                r[i] -= alpha * q[i]
                s += r[i] * r[i]
            partial[k] = s
    total = 0.0
    for k in range(VECTOR_BLOCKS):
        total += partial[k]
    return total


@njit(cache=True)
def dot(a, b, partial):
    n = a.size
    if n >= PARALLEL_ROWS:
        dot_blocks(a, b, partial)
    else:
        for k in range(VECTOR_BLOCKS):
            s = 0.0
            for i in range(n * k // VECTOR_BLOCKS, n * (k + 1) // VECTOR_BLOCKS):
                s += a[i] * b[i]
            partial[k] = s
    total = 0.0
    for k in range(VECTOR_BLOCKS):
        total += partial[k]
    return total


@njit(cache=True)
def amg_pcg(a0, hier, b, x, rtol, maxiter, work, vecs, zero_guess):
    """Solve A x = b (x holds the first guess; ``zero_guess``: it is zero, so the first residual is b
    without a product) to ||b - A x|| <= rtol ||b||; return the iteration count, or -1 if maxiter
    was reached.  Bundles as in ``vcycle``; ``vecs``: bundles.PcgVectors.
    The vector updates and dot products run on the kernel threads above PARALLEL_ROWS rows (at 10^6
    nodes they were ~15 % of an iteration on one thread).  z and q may be one array: q = A p is dead
    once r is updated, before z = M r is written, and z once p = z + beta p is."""
    r, z, p, q = vecs.r, vecs.z, vecs.p, vecs.q
    partial = np.empty(VECTOR_BLOCKS)
    bnorm = np.sqrt(dot(b, b, partial))
    if bnorm == 0.0:
        x[:] = 0.0
        return 0
    if zero_guess:
        r[:] = b
    else:
        csr_matvec(a0.indptr, a0.indices, a0.data, x, q)
        for i in range(b.size):
            r[i] = b[i] - q[i]
    rr = dot(r, r, partial)
    if np.sqrt(rr) <= rtol * bnorm:
        return 0
    vcycle(a0, hier, r, z, work)
    p[:] = z
    rz = dot(r, z, partial)
    for it in range(1, maxiter + 1):
        csr_matvec(a0.indptr, a0.indices, a0.data, p, q)
        alpha = rz / dot(p, q, partial)
        rr = axpy_pair(x, r, p, q, alpha, partial)
        if np.sqrt(rr) <= rtol * bnorm:
            return it
        vcycle(a0, hier, r, z, work)
        rz_new = dot(r, z, partial)
        beta = rz_new / rz
        rz = rz_new
        if p.size >= PARALLEL_ROWS:
            xpby_blocks(p, z, beta)
        else:
            for i in range(p.size):
                p[i] = z[i] + beta * p[i]
    return -1
