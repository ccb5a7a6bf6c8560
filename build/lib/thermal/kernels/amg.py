"""Compiled AMG-preconditioned conjugate gradients on a hierarchy built by pyamg.

pyamg builds the hierarchy (coarse operators A_l, prolongations P_l, restrictions R_l = P_l^T);
these kernels run the V-cycle and the CG loop without returning to Python, which at 10k-300k
nodes is where pyamg's per-level Python overhead dominated (1.8 ms per CG iteration at 16k nodes).
The finest level always uses the *current* matrix; coarse levels are those of the set-up.

Levels are stored flattened: level l's CSR arrays are the slices ``[ptr_off[l]:ptr_off[l+1]]`` of
``indptr`` and ``[idx_off[l]:idx_off[l+1]]`` of ``indices``/``data`` (level 0 of ``a_*`` is unused:
the current matrix is passed separately).  Smoothing: one forward Gauss-Seidel sweep before and one
backward sweep after the coarse correction, so the V-cycle is a symmetric operator (valid for CG).
"""
import numpy as np
from numba import njit, prange

PARALLEL_ROWS = 4096  # below this, starting threads costs more than the rows (measured: 1.07 vs 1.25 s steady N=512)


@njit(cache=True, inline="always")
def _level(ptr_off, idx_off, indptr, indices, data, level):
    ip = indptr[ptr_off[level]:ptr_off[level + 1]]
    return ip, indices[idx_off[level]:idx_off[level + 1]], data[idx_off[level]:idx_off[level + 1]]


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
def vcycle(a0_indptr, a0_indices, a0_data, a_ptr_off, a_idx_off, a_indptr, a_indices, a_data,
           p_ptr_off, p_idx_off, p_indptr, p_indices, p_data, r_ptr_off, r_idx_off, r_indptr, r_indices,
           r_data, sizes, vec_off, coarse_inv, b, x, work_b, work_x, work_r):
    """x = V-cycle(b), the preconditioner applied to b."""
    n_levels = sizes.size
    n0 = sizes[0]
    for i in range(n0):
        work_b[i] = b[i]
    for lv in range(n_levels - 1):
        n = sizes[lv]
        o = vec_off[lv]
        bl = work_b[o:o + n]
        xl = work_x[o:o + n]
        rl = work_r[o:o + n]
        if lv == 0:
            ip, ix, dt = a0_indptr, a0_indices, a0_data
        else:
            ip, ix, dt = _level(a_ptr_off, a_idx_off, a_indptr, a_indices, a_data, lv)
        xl[:] = 0.0
        gauss_seidel(ip, ix, dt, xl, bl, True)
        csr_matvec(ip, ix, dt, xl, rl)
        for i in range(n):
            rl[i] = bl[i] - rl[i]
        rip, rix, rdt = _level(r_ptr_off, r_idx_off, r_indptr, r_indices, r_data, lv)
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
        xl = work_x[o:o + n]
        rl = work_r[o:o + n]
        pip, pix, pdt = _level(p_ptr_off, p_idx_off, p_indptr, p_indices, p_data, lv)
        oc = vec_off[lv + 1]
        csr_matvec(pip, pix, pdt, work_x[oc:oc + sizes[lv + 1]], rl)
        for i in range(n):
            xl[i] += rl[i]
        if lv == 0:
            ip, ix, dt = a0_indptr, a0_indices, a0_data
        else:
            ip, ix, dt = _level(a_ptr_off, a_idx_off, a_indptr, a_indices, a_data, lv)
        gauss_seidel(ip, ix, dt, xl, work_b[o:o + n], False)
    for i in range(n0):
        x[i] = work_x[i]


@njit(cache=True)
def amg_pcg(a0_indptr, a0_indices, a0_data, a_ptr_off, a_idx_off, a_indptr, a_indices, a_data,
            p_ptr_off, p_idx_off, p_indptr, p_indices, p_data, r_ptr_off, r_idx_off, r_indptr, r_indices,
            r_data, sizes, vec_off, coarse_inv, b, x, rtol, maxiter, work_b, work_x, work_r, r, z, p, q):
    """Solve A x = b (x holds the first guess) to ||b - A x|| <= rtol ||b||; return the iteration
    count, or -1 if maxiter was reached."""
    n = b.size
    bnorm = 0.0
    for i in range(n):
        bnorm += b[i] * b[i]
    bnorm = np.sqrt(bnorm)
    if bnorm == 0.0:
        x[:] = 0.0
        return 0
    csr_matvec(a0_indptr, a0_indices, a0_data, x, q)
    rr = 0.0
    for i in range(n):
        r[i] = b[i] - q[i]
        rr += r[i] * r[i]
    if np.sqrt(rr) <= rtol * bnorm:
        return 0
    vcycle(a0_indptr, a0_indices, a0_data, a_ptr_off, a_idx_off, a_indptr, a_indices, a_data, p_ptr_off, p_idx_off,
           p_indptr, p_indices, p_data, r_ptr_off, r_idx_off, r_indptr, r_indices, r_data, sizes, vec_off,
           coarse_inv, r, z, work_b, work_x, work_r)
    rz = 0.0
    for i in range(n):
        p[i] = z[i]
        rz += r[i] * z[i]
    for it in range(1, maxiter + 1):
        csr_matvec(a0_indptr, a0_indices, a0_data, p, q)
        pq = 0.0
        for i in range(n):
            pq += p[i] * q[i]
        alpha = rz / pq
        rr = 0.0
        for i in range(n):
            x[i] += alpha * p[i]
            r[i] -= alpha * q[i]
            rr += r[i] * r[i]
        if np.sqrt(rr) <= rtol * bnorm:
            return it
        vcycle(a0_indptr, a0_indices, a0_data, a_ptr_off, a_idx_off, a_indptr, a_indices, a_data, p_ptr_off,
               p_idx_off, p_indptr, p_indices, p_data, r_ptr_off, r_idx_off, r_indptr, r_indices, r_data, sizes,
               vec_off, coarse_inv, r, z, work_b, work_x, work_r)
        rz_new = 0.0
        for i in range(n):
            rz_new += r[i] * z[i]
        beta = rz_new / rz
        rz = rz_new
        for i in range(n):
            p[i] = z[i] + beta * p[i]
    return -1
