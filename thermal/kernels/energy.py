"""Global energy balance of a state: each term summed over the free (non-boundary) nodes.

out[0] generated  = sum q_i
out[1] absorbed   = sum A (alpha q_solar + eps q_ir)
out[2] radiated   = sum eps sigma A (T^4 - T_sink^4)
out[3] stored     = sum a m_i integral_{T_old}^{T} cp dT / dt - offset_i   (see storage.py; 0 in steady state)
out[4] conducted_out = heat conducted into boundary (fixed-temperature) nodes (net)
out[5] sum over boundary nodes of |heat conducted into each| (the scale of out[4])
out[6] gross radiative exchange = sum eps sigma A (T^4 + T_sink^4): the scale of out[2], which is a
       difference of two such terms (a plate with no heat input sits at the sink: out[2] ~ 0)
All in W.  generated + absorbed - radiated - stored - conducted_out = sum of free residuals, which a
converged solve drives to round-off.
"""
from numba import njit

from thermal.kernels.conduction import half_link, link_halves
from thermal.kernels.properties import table_integral
from thermal.constants import SIGMA_W_M2K4
from thermal.kernels.radiation import surface_exchange


@njit(cache=True)
def energy_terms(t_k, step, q_w, fixed, storage, links, r_link, k_node, surfaces, face_q_solar_w_m2,
                 face_q_ir_w_m2, t_sink_k, out):
    """Bundles as in the other kernels (bundles.py); ``q_w``, ``r_link`` and the face fluxes are the
    run state's."""
    t_old_k, inv_dt_s, bdf_a, stored_offset_w = step.t_old_k, step.inv_dt_s, step.bdf_a, step.stored_offset_w
    rho_v_kg, cp_tab = storage.rho_v_kg, storage.cp_tab
    tab_t, tab_v, tab_n = storage.tables.t_k, storage.tables.value, storage.tables.count
    indptr, indices, code, link_s, link_dir = links.indptr, links.indices, links.code, links.link_s, links.link_dir
    surf_node, surf_area_m2, surf_eps = surfaces.node, surfaces.area_m2, surfaces.eps
    surf_alpha, surf_face = surfaces.alpha, surfaces.face
    for m in range(7):
        out[m] = 0.0
    ts2 = t_sink_k * t_sink_k
    ts4 = ts2 * ts2
    for i in range(t_k.size):
        if fixed[i]:
            into = 0.0
            for e in range(indptr[i], indptr[i + 1]):
                j = indices[e]
                if j == i or fixed[j]:
                    continue
                s_i, s_j, d_i, d_j = link_halves(code[e], link_s, link_dir)
                a, _ = half_link(s_i, k_node[i, d_i], k_node[i, d_i])
                b, _ = half_link(s_j, k_node[j, d_j], k_node[j, d_j])
                into += (t_k[j] - t_k[i]) / (r_link[e] + (a + b))
            out[4] += into
            out[5] += abs(into)
            continue
        out[0] += q_w[i]
        if inv_dt_s > 0.0:
            out[3] += bdf_a * rho_v_kg[i] * table_integral(t_old_k[i], t_k[i], tab_t, tab_v, tab_n, cp_tab[i]) \
                * inv_dt_s - stored_offset_w[i]
    for s in range(surf_node.size):
        i = surf_node[s]
        if fixed[i]:
            continue
        f = surf_face[s]
        absorbed, emitted, _ = surface_exchange(t_k[i], surf_area_m2[s], surf_eps[s], surf_alpha[s],
                                                face_q_solar_w_m2[f], face_q_ir_w_m2[f], ts4)
        out[1] += absorbed
        out[2] += emitted
        out[6] += surf_eps[s] * SIGMA_W_M2K4 * surf_area_m2[s] * (t_k[i] * t_k[i] * t_k[i] * t_k[i] + ts4)


@njit(cache=True)
def heat_input(q_w, fixed, surfaces, face_q_solar_w_m2, face_q_ir_w_m2, out):
    """Each node's heat input [W] into ``out``: |q| of the free nodes plus what every surface absorbs
    (the scale of the residual test: Newton stops at ||F|| <= tol ||heat input||).  Serial: surfaces
    scatter onto nodes (a thin plate's two faces share one)."""
    surf_node, surf_area_m2, surf_eps = surfaces.node, surfaces.area_m2, surfaces.eps
    surf_alpha, surf_face = surfaces.alpha, surfaces.face
    for i in range(q_w.size):
        out[i] = 0.0 if fixed[i] else abs(q_w[i])
    for s in range(surf_node.size):
        f = surf_face[s]
        out[surf_node[s]] += surf_area_m2[s] * (surf_alpha[s] * face_q_solar_w_m2[f] + surf_eps[s] * face_q_ir_w_m2[f])
