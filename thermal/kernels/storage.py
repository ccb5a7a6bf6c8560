"""Fixed heat loads and, in an implicit step, the rate of heat stored in each node.

Storage uses enthalpy, not C*dT.  A BDF step of size h from T_n stores, per node,

    stored_i = a m_i integral_{T_n}^{T} cp dT / h - offset_i

with the exact integral of the piecewise-linear cp(T).  Backward Euler: a = 1, offset = 0.
Variable-step BDF2 with w = h_n / h_{n-1}: a = (1 + 2w)/(1 + w) and
offset_i = w^2/(1 + w) m_i integral_{T_{n-1}}^{T_n} cp dT / h (known before the step).
``inv_dt_s = 0`` means steady state.
"""
from numba import njit, prange

from thermal.kernels.properties import table_integral, table_value


CHUNK_NODES = 1024  # nodes per call of a kernel's shared body (see _sources_and_storage_rows)


@njit(cache=True)
def _sources_and_storage_rows(lo, hi, t_k, t_old_k, inv_dt_s, bdf_a, stored_offset_w, q_w, rho_v_kg, cp_tab, tab_t,
                              tab_v, tab_n, fixed, diag_pos, residual_w, a_data):
    """The body the serial and parallel builds share, for nodes lo..hi-1.  It takes a block of nodes,
    not one: called once per node (inlined or not) it cost ~130 ns per node in argument passing
    and reference counts of its 14 arrays, 150x the work of a steady call (measured: 610 against
    3.3 us for the flagship's 4 484-node unit).  Arrays, not the bundles: a parallel loop's body
    cannot take a record argument."""
    for i in range(lo, hi):
        if fixed[i]:
            continue
        r = q_w[i]
        if inv_dt_s > 0.0:
            m = rho_v_kg[i]
            row = cp_tab[i]
            r -= bdf_a * m * table_integral(t_old_k[i], t_k[i], tab_t, tab_v, tab_n, row) * inv_dt_s - stored_offset_w[i]
            cp, _ = table_value(t_k[i], tab_t, tab_v, tab_n, row)
            a_data[diag_pos[i]] += bdf_a * m * cp * inv_dt_s
        residual_w[i] += r


@njit(cache=True, parallel=True)
def add_sources_and_storage(t_k, step, q_w, storage, fixed, diag_pos, residual_w, a_data):
    """``step``: bundles.Step; ``q_w`` fixed loads [W] (the run state's); ``storage``: bundles.Storage."""
    t_old_k, inv_dt_s, bdf_a, stored_offset_w = step.t_old_k, step.inv_dt_s, step.bdf_a, step.stored_offset_w
    rho_v_kg, cp_tab = storage.rho_v_kg, storage.cp_tab
    tab_t, tab_v, tab_n = storage.tables.t_k, storage.tables.value, storage.tables.count
    n = t_k.size
    for c in prange((n + CHUNK_NODES - 1) // CHUNK_NODES):
        _sources_and_storage_rows(c * CHUNK_NODES, min(n, (c + 1) * CHUNK_NODES), t_k, t_old_k, inv_dt_s, bdf_a,
                                  stored_offset_w, q_w, rho_v_kg, cp_tab, tab_t, tab_v, tab_n, fixed, diag_pos,
                                  residual_w, a_data)


@njit(cache=True)
def add_sources_and_storage_serial(t_k, step, q_w, storage, fixed, diag_pos, residual_w, a_data):
    """add_sources_and_storage on one thread, without the parallel passes' compile time."""
    t_old_k, inv_dt_s, bdf_a, stored_offset_w = step.t_old_k, step.inv_dt_s, step.bdf_a, step.stored_offset_w
    rho_v_kg, cp_tab = storage.rho_v_kg, storage.cp_tab
    tab_t, tab_v, tab_n = storage.tables.t_k, storage.tables.value, storage.tables.count
    _sources_and_storage_rows(0, t_k.size, t_k, t_old_k, inv_dt_s, bdf_a, stored_offset_w, q_w, rho_v_kg, cp_tab, tab_t,
                              tab_v, tab_n, fixed, diag_pos, residual_w, a_data)


@njit(cache=True, parallel=True)
def stored_heat(t_from_k, t_to_k, storage, out_j):
    """out_j[i] = m_i * integral_{T_from}^{T_to} cp dT [J] (exact for the piecewise-linear table)."""
    rho_v_kg, cp_tab = storage.rho_v_kg, storage.cp_tab
    tab_t, tab_v, tab_n = storage.tables.t_k, storage.tables.value, storage.tables.count
    for i in prange(t_to_k.size):
        out_j[i] = rho_v_kg[i] * table_integral(t_from_k[i], t_to_k[i], tab_t, tab_v, tab_n, cp_tab[i])


@njit(cache=True)
def stored_heat_serial(t_from_k, t_to_k, storage, out_j):
    """stored_heat on one thread, without the parallel passes' compile time."""
    rho_v_kg, cp_tab = storage.rho_v_kg, storage.cp_tab
    tab_t, tab_v, tab_n = storage.tables.t_k, storage.tables.value, storage.tables.count
    for i in range(t_to_k.size):
        out_j[i] = rho_v_kg[i] * table_integral(t_from_k[i], t_to_k[i], tab_t, tab_v, tab_n, cp_tab[i])


@njit(cache=True, parallel=True)
def heat_capacity(t_k, storage, out_j_per_k):
    """out[i] = m_i cp_i(T_i) [J/K]."""
    rho_v_kg, cp_tab = storage.rho_v_kg, storage.cp_tab
    tab_t, tab_v, tab_n = storage.tables.t_k, storage.tables.value, storage.tables.count
    for i in prange(t_k.size):
        cp, _ = table_value(t_k[i], tab_t, tab_v, tab_n, cp_tab[i])
        out_j_per_k[i] = rho_v_kg[i] * cp


@njit(cache=True)
def heat_capacity_serial(t_k, storage, out_j_per_k):
    """heat_capacity on one thread, without the parallel passes' compile time."""
    rho_v_kg, cp_tab = storage.rho_v_kg, storage.cp_tab
    tab_t, tab_v, tab_n = storage.tables.t_k, storage.tables.value, storage.tables.count
    for i in range(t_k.size):
        cp, _ = table_value(t_k[i], tab_t, tab_v, tab_n, cp_tab[i])
        out_j_per_k[i] = rho_v_kg[i] * cp
