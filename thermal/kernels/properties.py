"""Temperature-dependent properties from piecewise-linear tables.

A table row holds ``n`` points (t_0 < ... < t_{n-1}); the value is linear between points and held
constant beyond the ends, so its derivative is the segment slope inside and 0 outside.
"""
from numba import njit, prange


@njit(cache=True, inline="always")
def table_value(t, tab_t, tab_v, tab_n, row):
    """(value, d value/dT) of table ``row`` at temperature t [K]."""
    n = tab_n[row]
    if n == 1 or t <= tab_t[row, 0]:
        return tab_v[row, 0], 0.0
    if t >= tab_t[row, n - 1]:
        return tab_v[row, n - 1], 0.0
    lo = 0
    hi = n - 1
    while hi - lo > 1:  # bisection: tables are short, this is a handful of compares
        mid = (lo + hi) // 2
        if tab_t[row, mid] <= t:
            lo = mid
        else:
            hi = mid
    slope = (tab_v[row, hi] - tab_v[row, lo]) / (tab_t[row, hi] - tab_t[row, lo])
    return tab_v[row, lo] + slope * (t - tab_t[row, lo]), slope


@njit(cache=True, inline="always")
def table_integral(t_from, t_to, tab_t, tab_v, tab_n, row):
    """Integral of the table from t_from to t_to; exact for the piecewise-linear table (constant
    beyond its ends).

    Trapezoids between the breakpoints that lie inside the interval, each exact on its linear piece:
    a bisection finds the first one, and a time step usually crosses none.  (The antiderivative at
    both ends, walked from the table's first point, cost two passes over the table per node and
    call, and lost digits to the difference of two large integrals.)
    """
    n = tab_n[row]
    if n == 1:
        return tab_v[row, 0] * (t_to - t_from)
    sign = 1.0
    lo_t, hi_t = t_from, t_to
    if lo_t > hi_t:
        lo_t, hi_t, sign = hi_t, lo_t, -1.0
    k_lo, k_hi = 0, n  # the first breakpoint strictly above lo_t
    while k_lo < k_hi:
        mid = (k_lo + k_hi) // 2
        if tab_t[row, mid] <= lo_t:
            k_lo = mid + 1
        else:
            k_hi = mid
    x = lo_t
    vx, _ = table_value(x, tab_t, tab_v, tab_n, row)
    total = 0.0
    k = k_lo
    while k < n and tab_t[row, k] < hi_t:
        total += 0.5 * (vx + tab_v[row, k]) * (tab_t[row, k] - x)
        x, vx = tab_t[row, k], tab_v[row, k]
        k += 1
    v_end, _ = table_value(hi_t, tab_t, tab_v, tab_n, row)
    total += 0.5 * (vx + v_end) * (hi_t - x)
    return sign * total


CHUNK_NODES = 1024  # nodes per call of the shared body (as in kernels/storage.py)


@njit(cache=True)
def _conductivity_rows(lo, hi, t_k, k_tab, tab_t, tab_v, tab_n, k_out, dk_out):
    """Nodes lo..hi-1: the body the serial and parallel builds share (a block per call: a call per
    node cost more than its two table look-ups; storage.py has the measurement)."""
    for i in range(lo, hi):
        for d in range(2):
            v, dv = table_value(t_k[i], tab_t, tab_v, tab_n, k_tab[i, d])
            k_out[i, d] = v
            dk_out[i, d] = dv


@njit(cache=True, parallel=True)
def eval_conductivity(t_k, k_tab, tables, k_out, dk_out):
    """k_out[i, d], dk_out[i, d]: conductivity [W/m/K] and dk/dT of node i in direction d
    (``tables``: bundles.PropertyTables, ``k_tab[i, d]`` its row)."""
    tab_t, tab_v, tab_n = tables.t_k, tables.value, tables.count
    n = t_k.size
    for c in prange((n + CHUNK_NODES - 1) // CHUNK_NODES):
        _conductivity_rows(c * CHUNK_NODES, min(n, (c + 1) * CHUNK_NODES), t_k, k_tab, tab_t, tab_v, tab_n, k_out,
                           dk_out)


@njit(cache=True)
def eval_conductivity_serial(t_k, k_tab, tables, k_out, dk_out):
    """eval_conductivity on one thread, without the parallel passes' compile time."""
    tab_t, tab_v, tab_n = tables.t_k, tables.value, tables.count
    _conductivity_rows(0, t_k.size, t_k, k_tab, tab_t, tab_v, tab_n, k_out, dk_out)
