"""Conduction: rows of the residual and of A = -dF/dT for every node, in parallel.

For node i and each neighbour j (one CSR entry e, whose two half-links come from its link type:
link_halves)::

    a = s_self/k_i,  b = s_other/k_j,   G = 1 / (r + (a + b))
    F_i += G (T_j - T_i)
    dG/dT_i = G^2 a k_i'/k_i,   dG/dT_j = G^2 b k_j'/k_j
    A_ii += G - dG/dT_i (T_j - T_i),   A_ij = -(G + dG/dT_j (T_j - T_i))

Each row is written by one thread only (G is computed from both ends, once per direction), so no
atomics are needed.  Boundary (fixed) nodes get an identity row and zero residual; entries in the
columns of fixed nodes are zeroed, which keeps A symmetric.  This kernel *initialises* the row:
the other kernels add to it afterwards.
"""
from numba import njit, prange


@njit(cache=True, inline="always")
def half_link(s, k, dk):
    """(a, da) of one end of a link with s = half-length / area and the end node's k(T), k'(T):
    a = s / k [K/W], da = a k'/k = -da/dT; (0, 0) for a node without volume (s = 0: a lumped node,
    whose side adds no resistance).  Scalars in: with the k arrays as arguments this helper cost
    40% of the conduction rows (flagship unit: 276 against 169 us a call)."""
    if s > 0.0:
        a = s / k
        return a, a * dk / k
    return 0.0, 0.0


@njit(cache=True, inline="always")
def link_halves(code, link_s, link_dir):
    """(s_self, s_other, dir_self, dir_other) of an entry from its code 2 t + side (build/pattern.py):
    link type t seen from its end ``side``.  The type table is small (a few rows for a uniform
    panel) and stays in cache; the entry streams 4 bytes instead of 18."""
    t = code >> 1
    side = code & 1
    other = side ^ 1
    return link_s[t, side], link_s[t, other], link_dir[t, side], link_dir[t, other]


CHUNK_NODES = 1024  # rows per call of the shared body (as in kernels/storage.py)


@njit(cache=True)
def _conduction_rows(lo, hi, t_k, indptr, indices, diag_pos, code, link_s, link_dir, r_link, k_node,
                     dk_node, fixed, residual_w, a_data):
    """Rows lo..hi-1: the body the serial and parallel builds share.  A block of rows per call, not
    one row: a call per row passed and reference-counted 15 arrays each time (~130 ns per node,
    more than the row's work; storage.py has the measurement).  Arrays, not the Links bundle: a
    parallel loop's body cannot take a record argument."""
    for i in range(lo, hi):
        ti = t_k[i]
        if fixed[i]:
            for e in range(indptr[i], indptr[i + 1]):
                a_data[e] = 0.0
            a_data[diag_pos[i]] = 1.0
            residual_w[i] = 0.0
            continue
        res = 0.0
        diag = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if j == i:
                continue
            s_i, s_j, d_i, d_j = link_halves(code[e], link_s, link_dir)
            a, da = half_link(s_i, k_node[i, d_i], dk_node[i, d_i])
            b, db = half_link(s_j, k_node[j, d_j], dk_node[j, d_j])
            g = 1.0 / (r_link[e] + (a + b))
            dt = t_k[j] - ti
            res += g * dt
            g2 = g * g
            diag += g - g2 * da * dt
            if fixed[j]:
                a_data[e] = 0.0
            else:
                a_data[e] = -(g + g2 * db * dt)
        residual_w[i] = res
        a_data[diag_pos[i]] = diag


@njit(cache=True, parallel=True)
def conduction_rows(t_k, links, r_link, k_node, dk_node, fixed, residual_w, a_data):
    """``links``: bundles.Links; ``r_link`` [K/W] per CSR entry (the run state's)."""
    indptr, indices, diag_pos = links.indptr, links.indices, links.diag_pos
    code, link_s, link_dir = links.code, links.link_s, links.link_dir
    n = t_k.size
    for c in prange((n + CHUNK_NODES - 1) // CHUNK_NODES):
        _conduction_rows(c * CHUNK_NODES, min(n, (c + 1) * CHUNK_NODES), t_k, indptr, indices, diag_pos, code,
                         link_s, link_dir, r_link, k_node, dk_node, fixed, residual_w, a_data)


@njit(cache=True)
def conduction_rows_serial(t_k, links, r_link, k_node, dk_node, fixed, residual_w, a_data):
    """conduction_rows on one thread, compiled without the parallel passes: a run that never
    threads (a small network, a busy machine) does not wait for them (kernels/__init__.py)."""
    indptr, indices, diag_pos = links.indptr, links.indices, links.diag_pos
    code, link_s, link_dir = links.code, links.link_s, links.link_dir
    _conduction_rows(0, t_k.size, t_k, indptr, indices, diag_pos, code, link_s, link_dir, r_link, k_node,
                     dk_node, fixed, residual_w, a_data)


@njit(cache=True)
def _frozen_rows(lo, hi, t_k, indptr, indices, diag_pos, code, link_s, link_dir, r_link, k_node, fixed,
                 g_diag, residual_w, a_data):
    """Rows lo..hi-1 of a network whose conductances cannot change (constant k, fixed contact
    resistances, nothing else writing off-diagonal entries): A's off-diagonal entries still hold
    -G from the first full evaluation, so the residual reads them back, bit for bit the same
    G (T_j - T_i) (the full rows' dG/dT terms are exactly 0 there), and the diagonal is reset to
    its conduction part g_diag.  Links to fixed nodes, whose entries hold 0, recompute G."""
    for i in range(lo, hi):
        if fixed[i]:
            residual_w[i] = 0.0
            a_data[diag_pos[i]] = 1.0
            continue
        ti = t_k[i]
        res = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if j == i:
                continue
            if fixed[j]:
                s_i, s_j, d_i, d_j = link_halves(code[e], link_s, link_dir)
                a, _ = half_link(s_i, k_node[i, d_i], 0.0)
                b, _ = half_link(s_j, k_node[j, d_j], 0.0)
                res += 1.0 / (r_link[e] + (a + b)) * (t_k[j] - ti)
            else:
                res += -a_data[e] * (t_k[j] - ti)
        residual_w[i] = res
        a_data[diag_pos[i]] = g_diag[i]


@njit(cache=True, parallel=True)
def frozen_conduction_rows(t_k, links, r_link, k_node, fixed, g_diag, residual_w, a_data):
    """Conduction rows on a network whose conductances are fixed (see _frozen_rows); ``g_diag``:
    the conduction part of A's diagonal from the first full evaluation."""
    indptr, indices, diag_pos = links.indptr, links.indices, links.diag_pos
    code, link_s, link_dir = links.code, links.link_s, links.link_dir
    n = t_k.size
    for c in prange((n + CHUNK_NODES - 1) // CHUNK_NODES):
        _frozen_rows(c * CHUNK_NODES, min(n, (c + 1) * CHUNK_NODES), t_k, indptr, indices, diag_pos, code, link_s,
                     link_dir, r_link, k_node, fixed, g_diag, residual_w, a_data)


@njit(cache=True)
def frozen_conduction_rows_serial(t_k, links, r_link, k_node, fixed, g_diag, residual_w, a_data):
    """frozen_conduction_rows on one thread, compiled without the parallel passes."""
    indptr, indices, diag_pos = links.indptr, links.indices, links.diag_pos
    code, link_s, link_dir = links.code, links.link_s, links.link_dir
    _frozen_rows(0, t_k.size, t_k, indptr, indices, diag_pos, code, link_s, link_dir, r_link, k_node,
                 fixed, g_diag, residual_w, a_data)
