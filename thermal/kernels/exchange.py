"""Radiation exchange between patches (build/radiation.py): what each cell absorbs of the others'
emission.

For patch p with cells s (area a_s) on nodes i(s)::

    e_p = sum_s a_s sigma (T_i(s)^4 - T_sink^4) / A_p        (area-mean excess emissive power)
    g_p = sum_q M_pq e_q,   M_pq = S_qp / A_p                 (absorbed exchange flux, W/m2)
    F_i(s) += a_s g_p

Each cell still emits eps sigma a_s (T^4 - T_sink^4) in add_surfaces; g_p returns the part another
patch (or the patch itself, by reflection) absorbs.  Its Jacobian is dense in patches, so it is not
written into A: the solver applies it as a rank-r correction (solvers/linalg.py).
"""
from numba import njit

from thermal.constants import SIGMA_W_M2K4


@njit(cache=True)
def add_exchange(t_k, surfaces, patch_area_m2, incoming, t_sink_k, fixed, e_patch, g_patch, residual_w):
    """``surfaces``: bundles.Surfaces (a surface's face is its patch); ``incoming``: M (r, r).
    Fills e_patch, g_patch; adds to residual_w; returns the heat absorbed by free nodes [W]."""
    node, area, patch = surfaces.node, surfaces.area_m2, surfaces.face
    ts2 = t_sink_k * t_sink_k
    ts4 = ts2 * ts2
    r = patch_area_m2.size
    for p in range(r):
        e_patch[p] = 0.0
    for s in range(node.size):
        t2 = t_k[node[s]] * t_k[node[s]]
        e_patch[patch[s]] += area[s] * SIGMA_W_M2K4 * (t2 * t2 - ts4)
    for p in range(r):
        e_patch[p] /= patch_area_m2[p]
    for p in range(r):
        acc = 0.0
        for q in range(r):
            acc += incoming[p, q] * e_patch[q]
        g_patch[p] = acc
    absorbed = 0.0
    for s in range(node.size):
        i = node[s]
        if fixed[i]:
            continue
        h = area[s] * g_patch[patch[s]]
        residual_w[i] += h
        absorbed += h
    return absorbed
