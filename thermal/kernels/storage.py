"""Fixed heat loads and, in a backward-Euler step, the heat stored in each node.

Storage uses enthalpy, not C*dT: ``F_i -= m_i * integral_{T_old}^{T} cp dT / dt`` with the exact
integral of the piecewise-linear cp(T), so the energy stored over a step equals what the balance
says it is even when cp changes with temperature.  ``inv_dt_s = 0`` means steady state.
"""
from numba import njit, prange

from .properties import table_integral, table_value


@njit(cache=True, parallel=True)
def add_sources_and_storage(t_k, t_old_k, q_w, rho_v_kg, cp_tab, tab_t, tab_v, tab_n, inv_dt_s, fixed,
                            diag_pos, residual_w, a_data):
    for i in prange(t_k.size):
        if fixed[i]:
            continue
        r = q_w[i]
        if inv_dt_s > 0.0:
            m = rho_v_kg[i]
            row = cp_tab[i]
            r -= m * table_integral(t_old_k[i], t_k[i], tab_t, tab_v, tab_n, row) * inv_dt_s
            cp, _ = table_value(t_k[i], tab_t, tab_v, tab_n, row)
            a_data[diag_pos[i]] += m * cp * inv_dt_s
        residual_w[i] += r
