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
def _antiderivative(t, tab_t, tab_v, tab_n, row):
    """Integral of the table from its first point to t (negative below it)."""
    n = tab_n[row]
    t0 = tab_t[row, 0]
    if n == 1 or t <= t0:
        return tab_v[row, 0] * (t - t0)
    total = 0.0
    for s in range(n - 1):
        a = tab_t[row, s]
        b = tab_t[row, s + 1]
        if t <= a:
            break
        hi = t if t < b else b
        va = tab_v[row, s]
        slope = (tab_v[row, s + 1] - va) / (b - a)
        total += (hi - a) * (va + 0.5 * slope * (hi - a))
    if t > tab_t[row, n - 1]:
        total += tab_v[row, n - 1] * (t - tab_t[row, n - 1])
    return total


@njit(cache=True, inline="always")
def table_integral(t_from, t_to, tab_t, tab_v, tab_n, row):
    """Integral of the table from t_from to t_to; exact for the piecewise-linear table.

    A constant table is integrated as v*(t_to - t_from) directly, without an antiderivative whose
    difference would lose digits for small steps.
    """
    if tab_n[row] == 1:
        return tab_v[row, 0] * (t_to - t_from)
    return _antiderivative(t_to, tab_t, tab_v, tab_n, row) - _antiderivative(t_from, tab_t, tab_v, tab_n, row)


@njit(cache=True, inline="always")
def _conductivity_of(i, t_k, k_tab, tab_t, tab_v, tab_n, k_out, dk_out):
    for d in range(2):
        v, dv = table_value(t_k[i], tab_t, tab_v, tab_n, k_tab[i, d])
        k_out[i, d] = v
        dk_out[i, d] = dv


@njit(cache=True, parallel=True)
def eval_conductivity(t_k, k_tab, tables, k_out, dk_out):
    """k_out[i, d], dk_out[i, d]: conductivity [W/m/K] and dk/dT of node i in direction d
    (``tables``: bundles.PropertyTables, ``k_tab[i, d]`` its row)."""
    tab_t, tab_v, tab_n = tables.t_k, tables.value, tables.count
    for i in prange(t_k.size):
        _conductivity_of(i, t_k, k_tab, tab_t, tab_v, tab_n, k_out, dk_out)


@njit(cache=True)
def eval_conductivity_serial(t_k, k_tab, tables, k_out, dk_out):
    """eval_conductivity on one thread, without the parallel passes' compile time."""
    tab_t, tab_v, tab_n = tables.t_k, tables.value, tables.count
    for i in range(t_k.size):
        _conductivity_of(i, t_k, k_tab, tab_t, tab_v, tab_n, k_out, dk_out)
