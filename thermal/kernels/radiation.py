"""Radiating surfaces: absorbed environmental flux and emission to the sink.

For surface s on node i with area A, emittance eps and solar absorptance alpha::

    F_i += A (alpha q_solar[f] + eps q_ir[f]) - eps sigma A (T_i^4 - T_sink^4)
    A_ii += 4 eps sigma A T_i^3

Earth infrared is absorbed with eps (Kirchhoff, grey body in the infrared), sunlight and albedo
with alpha.  A node may carry several surfaces (a thin plate radiates from both faces), so this
loop scatters and runs serially.
"""
from numba import njit, prange

from thermal.constants import SIGMA_W_M2K4



@njit(cache=True, inline="always")
def surface_exchange(t, area_m2, eps, alpha, q_solar_w_m2, q_ir_w_m2, t_sink4):
    """(absorbed W, emitted W, d emitted / dT W/K) of one surface at temperature t."""
    k = eps * SIGMA_W_M2K4 * area_m2
    t2 = t * t
    return area_m2 * (alpha * q_solar_w_m2 + eps * q_ir_w_m2), k * (t2 * t2 - t_sink4), 4.0 * k * t2 * t


@njit(cache=True)
def add_surfaces(t_k, surfaces, face_q_solar_w_m2, face_q_ir_w_m2, t_sink_k, fixed, diag_pos, residual_w, a_data):
    """``surfaces``: bundles.Surfaces; incident fluxes per face [W/m2] (the run state's)."""
    surf_node, surf_area_m2, surf_eps = surfaces.node, surfaces.area_m2, surfaces.eps
    surf_alpha, surf_face = surfaces.alpha, surfaces.face
    ts2 = t_sink_k * t_sink_k
    ts4 = ts2 * ts2
    for s in range(surf_node.size):
        i = surf_node[s]
        if fixed[i]:
            continue
        f = surf_face[s]
        absorbed, emitted, d_emitted = surface_exchange(t_k[i], surf_area_m2[s], surf_eps[s], surf_alpha[s],
                                                        face_q_solar_w_m2[f], face_q_ir_w_m2[f], ts4)
        residual_w[i] += absorbed - emitted
        a_data[diag_pos[i]] += d_emitted


@njit(cache=True, parallel=True)
def add_surfaces_by_node(t_k, surfaces, by_node_ptr, by_node, face_q_solar_w_m2, face_q_ir_w_m2, t_sink_k, fixed,
                         diag_pos, residual_w, a_data):
    """``add_surfaces`` node by node, the nodes split over threads: ``by_node[by_node_ptr[i]:by_node_ptr[i + 1]]``
    are node i's surfaces in increasing order (a stable sort), so each node adds its surfaces' terms
    in the serial loop's order and the result is the same bit for bit.  Measured at 10^6 nodes
    (2 10^6 surfaces), 2 threads: 13 -> ~6 ms."""
    surf_area_m2, surf_eps = surfaces.area_m2, surfaces.eps
    surf_alpha, surf_face = surfaces.alpha, surfaces.face
    ts2 = t_sink_k * t_sink_k
    ts4 = ts2 * ts2
    for i in prange(t_k.size):
        first, last = by_node_ptr[i], by_node_ptr[i + 1]
        if fixed[i] or first == last:
            continue
        res = residual_w[i]
        diag = a_data[diag_pos[i]]
        for k in range(first, last):
            s = by_node[k]
            f = surf_face[s]
            absorbed, emitted, d_emitted = surface_exchange(t_k[i], surf_area_m2[s], surf_eps[s], surf_alpha[s],
                                                            face_q_solar_w_m2[f], face_q_ir_w_m2[f], ts4)
            res += absorbed - emitted
            diag += d_emitted
        residual_w[i] = res
        a_data[diag_pos[i]] = diag
