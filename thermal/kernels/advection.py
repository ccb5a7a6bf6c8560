"""Advection in pumped loops: rows of the residual and of A = -dF/dT for each advection term.

Term k (build/loops.py) couples wall w, upstream fluid node i and its own fluid node o::

    flowing  (stagnant[k] = 0):  Q = c (T_w - T_i)   heat the fluid takes from the wall
                                 F_o += m (T_i - T_o)  carried from upstream (m = m_dot cp)
    stagnant (stagnant[k] = 1):  Q = c (T_w - T_o)   no flow: the still fluid conducts with its wall
                                 F_o += m (T_i - T_o), F_i -= m (T_i - T_o)  and along itself
                                 (m = k_fluid A / length: symmetric conduction)
    F_w -= Q
    F_o += Q

with c = m_dot cp (1 - exp(-NTU)) (or the stagnant film conductance) and m = m_dot cp [W/K], from
the run state.  Summed over a closed loop the m terms cancel (mass is conserved at every manifold),
so advection moves energy without making or losing any.  The coefficients are frozen within a
Newton solve (the loop's outer update changes them), so A gets exactly dF/dT of these lines.
Rows of fixed nodes are left as the conduction kernel wrote them (identity), and entries in the
columns of fixed nodes are skipped, as there.  Runs serially: terms of one node share its row.
"""
from numba import njit


@njit(cache=True)
def add_advection(t_k, terms, c_w_k, m_w_k, stagnant, fixed, diag_pos, residual_w, a_data):
    """``terms``: bundles.Advection; ``c_w_k``, ``m_w_k``, ``stagnant``: per term (the run state's)."""
    wall, inflow, outflow = terms.wall, terms.inflow, terms.outflow
    for k in range(wall.size):
        w, i, o = wall[k], inflow[k], outflow[k]
        c, m = c_w_k[k], m_w_k[k]
        if not fixed[o]:
            residual_w[o] += m * (t_k[i] - t_k[o])
            a_data[diag_pos[o]] += m
            if not fixed[i]:
                a_data[terms.pos_out_in[k]] -= m
        if stagnant[k] and not fixed[i]:
            residual_w[i] -= m * (t_k[i] - t_k[o])
            a_data[diag_pos[i]] += m
            if not fixed[o]:
                a_data[terms.pos_in_out[k]] -= m
        if w < 0:
            continue
        ref = o if stagnant[k] else i
        q = c * (t_k[w] - t_k[ref])
        if not fixed[w]:
            residual_w[w] -= q
            a_data[diag_pos[w]] += c
            if not fixed[ref]:
                a_data[terms.pos_w_out[k] if stagnant[k] else terms.pos_w_in[k]] -= c
        if not fixed[o]:
            residual_w[o] += q
            if not fixed[w]:
                a_data[terms.pos_out_w[k]] -= c
            if stagnant[k]:
                a_data[diag_pos[o]] += c
            elif not fixed[i]:
                a_data[terms.pos_out_in[k]] += c
