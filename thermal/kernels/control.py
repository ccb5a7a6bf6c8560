"""Heaters on their control law, and louvers' temperature-dependent optical properties.

Heater h with rated power P reads its sensor T_s; its fraction on is

    f = clamp((T_off - T_s) / (T_off - T_on), 0, 1)      (the law: proportional, or a steady thermostat)
    f = state[h] in {0, 1}                               (a thermostat in a transient: switched by events)

and each heated node i gets w_i P f (w: its share by area).  A = -dF/dT gets -w_i P df/dT_s at
(i, sensor): P w_i / (T_off - T_on) inside the band, 0 outside (one-sided at the band's ends).

A louvered surface has eps(T), alpha(T) from its table rows at its own node's temperature.  The
surface kernel (radiation.py) takes these values and its diagonal term 4 eps sigma A T^3; what the
derivatives of eps and alpha add to A's diagonal is

    A_ii -= area (alpha' q_solar + eps' q_ir) - eps' sigma area (T^4 - T_sink^4)
"""
from numba import njit

from thermal.constants import SIGMA_W_M2K4
from thermal.kernels.properties import table_value


@njit(cache=True)
def add_heaters(t_k, heaters, switched, fixed, residual_w, a_data, power_w):
    """``heaters``: bundles.Heaters; ``switched[h]`` < 0: the law, else the thermostat's state (0/1).
    Writes each heater's power now into ``power_w``; returns the total delivered to free nodes."""
    for h in range(heaters.power_w.size):
        ts = t_k[heaters.sensor[h]]
        band = heaters.off_k[h] - heaters.on_k[h]
        if switched[h] >= 0.0:
            power_w[h] = heaters.power_w[h] * switched[h]
        else:
            f = (heaters.off_k[h] - ts) / band
            power_w[h] = heaters.power_w[h] * min(1.0, max(0.0, f))
    total = 0.0
    for e in range(heaters.node.size):
        i = heaters.node[e]
        if fixed[i]:
            continue
        h = heaters.heater[e]
        q = heaters.weight[e] * power_w[h]
        residual_w[i] += q
        total += q
        if switched[h] < 0.0 and not fixed[heaters.sensor[h]]:
            ts = t_k[heaters.sensor[h]]
            if heaters.on_k[h] < ts < heaters.off_k[h]:
                a_data[heaters.pos[e]] += heaters.weight[e] * heaters.power_w[h] / (heaters.off_k[h] - heaters.on_k[h])
    return total


@njit(cache=True)
def louver_properties(t_k, surf_node, louvers, tables, eps, alpha, d_eps, d_alpha):
    """Fill eps/alpha of the louvered surfaces (in the surfaces' arrays) and their slopes per louvered
    surface.  ``louvers``: bundles.Louvers."""
    for m in range(louvers.surf.size):
        s = louvers.surf[m]
        t = t_k[surf_node[s]]
        eps[s], d_eps[m] = table_value(t, tables.t_k, tables.value, tables.count, louvers.eps_row[m])
        alpha[s], d_alpha[m] = table_value(t, tables.t_k, tables.value, tables.count, louvers.alpha_row[m])


@njit(cache=True)
def add_louver_slopes(t_k, surfaces, louvers, d_eps, d_alpha, face_q_solar_w_m2, face_q_ir_w_m2, t_sink_k, fixed,
                      diag_pos, a_data):
    ts2 = t_sink_k * t_sink_k
    ts4 = ts2 * ts2
    for m in range(louvers.surf.size):
        s = louvers.surf[m]
        i = surfaces.node[s]
        if fixed[i]:
            continue
        f = surfaces.face[s]
        area = surfaces.area_m2[s]
        t2 = t_k[i] * t_k[i]
        d_f = area * (d_alpha[m] * face_q_solar_w_m2[f] + d_eps[m] * face_q_ir_w_m2[f]) \
            - d_eps[m] * SIGMA_W_M2K4 * area * (t2 * t2 - ts4)
        a_data[diag_pos[i]] -= d_f
