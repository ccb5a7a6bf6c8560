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

Two-phase loops (``phase[k] = 1``): the fluid nodes hold an enthalpy in kelvin,
theta = T_ref + (h - h_f,ref) / cp_ref, so the m terms (m = m_dot cp_ref) carry m_dot h exactly.  The
wall exchanges heat with the fluid's temperature T(theta) (``saturation_map``): the liquid's below
saturation, T_sat through the two-phase range, the vapour's above; ``sat[k]`` holds the map of the
term's reference node (its inflow, or itself when still).  A flowing piece's heat is the exact march
through its regimes at its wall's temperature (``uniform_wall_heat``; c is then the film
conductance), which never carries the fluid past the wall's temperature; its Jacobian entries come
from central differences of that function.
"""
import numpy as np
from numba import njit


SAT_COLUMNS = 7  # t_sat_k, theta_f, theta_g, cp_ref/cp_l, cp_ref/cp_v, corner half-width, two-phase slope
# (the last is 0: T = T_sat through boiling; > 0 only on the steady solver's homotopy path, solvers/loops.py)


@njit(cache=True)
def _ramp(z, d):
    """max(z, 0) with its corner rounded over |z| < d (C1), and its slope."""
    if z <= -d:
        return 0.0, 0.0
    if z >= d:
        return z, 1.0
    return (z + d) * (z + d) / (4.0 * d), (z + d) / (2.0 * d)


@njit(cache=True)
def saturation_map(theta, t_sat, th_f, th_g, s_l, s_v, d, s_2=0.0):
    """(T, dT/dtheta) of a two-phase loop's fluid at enthalpy ``theta`` (see the module's text):
    slope s_l below theta_f, s_2 (0: T_sat) up to theta_g, s_v above; continuous."""
    r1, g1 = _ramp(theta - th_f, d)
    r2, g2 = _ramp(theta - th_g, d)
    return (t_sat + s_l * (theta - th_f - r1) + s_2 * (r1 - r2) + s_v * r2,
            s_l * (1.0 - g1) + s_2 * (g1 - g2) + s_v * g2)


@njit(cache=True)
def fluid_temperature(theta, phase, sat):
    """Temperatures of fluid nodes holding ``theta`` (per node: its phase flag and saturation map)."""
    out = np.empty(theta.size)
    for j in range(theta.size):
        out[j] = theta[j]
        if phase[j]:
            out[j] = saturation_map(theta[j], sat[j, 0], sat[j, 1], sat[j, 2], sat[j, 3], sat[j, 4], sat[j, 5],
                                    sat[j, 6])[0]
    return out


@njit(cache=True)
def uniform_wall_heat(theta_in, t_wall, g_w_k, m_w_k, t_sat, th_f, th_g, s_l, s_v, s_2=0.0):
    """Heat [W] a piece at one wall temperature gives fluid entering at enthalpy ``theta_in`` (m =
    m_dot cp_ref, g the film conductance): exponential approach in the liquid and the vapour (their
    NTU with their own cp), a linear change of quality at T_sat in between (an exponential too when
    the two-phase slope s_2 > 0); the regimes are marched through in order, so a piece where the
    fluid starts or stops boiling gets its heat exactly."""
    t_top = t_sat + s_2 * (th_g - th_f)  # the temperature where the vapour starts
    th, s = theta_in, 1.0
    regime = 0 if th < th_f else (2 if th > th_g else 1)
    for _ in range(4):
        if s <= 0.0:
            break
        if regime == 1 and s_2 == 0.0:
            drive = t_wall - t_sat
            if drive == 0.0:
                break
            edge = th_g if drive > 0.0 else th_f
            need = (edge - th) * m_w_k / (g_w_k * drive)
            if need >= s:
                th += g_w_k * drive * s / m_w_k
                break
            th, s = edge, s - need
            regime = 2 if drive > 0.0 else 0
            continue
        # an exponential approach to the wall in this regime, up to its edge in the wall's direction
        if regime == 0:
            scale, th0, t0 = s_l, th_f, t_sat
        elif regime == 1:
            scale, th0, t0 = s_2, th_f, t_sat
        else:
            scale, th0, t0 = s_v, th_g, t_top
        t = t0 + scale * (th - th0)
        ntu = g_w_k * scale / m_w_k  # per unit length fraction: m_dot cp = m / scale
        up = t_wall > t
        if up and regime < 2:
            t_edge, th_edge, nxt = (t_sat, th_f, 1) if regime == 0 else (t_top, th_g, 2)
        elif not up and regime > 0:
            t_edge, th_edge, nxt = (t_sat, th_f, 0) if regime == 1 else (t_top, th_g, 1)
        else:
            t_edge, th_edge, nxt = t_wall, th, -1
        if nxt >= 0 and (t_wall - t_edge) * (t_wall - t) > 0.0 and t_wall != t:
            need = np.log((t_wall - t) / (t_wall - t_edge)) / ntu
            if need < s:
                th, s = th_edge, s - need
                regime = nxt
                continue
        t_end = t_wall - (t_wall - t) * np.exp(-ntu * s)
        th = th0 + (t_end - t0) / scale
        break
    return m_w_k * (th - theta_in)


SLOPE_STEP_K = 1e-4  # central differences of the two-phase piece heat (round-off ~1e-9 relative)
# Boiling at T_sat, a piece's heat does not depend on the enthalpy it receives (dQ/dtheta_in = 0); in a
# loop that is two-phase all round the enthalpy level is then undetermined and the Newton matrix
# singular (the advection terms alone form a singular circulant).  A loop with a subcooled or
# superheated stretch has a unique answer, which this floor on |dQ/dtheta_in| in the Jacobian (not in
# F) does not change; Newton keeps a nonsingular matrix on the way there (convergence rate ~1e-6).
JACOBIAN_FLOOR = 1e-6


@njit(cache=True)
def wall_heat_slopes(theta_in, t_wall, g_w_k, m_w_k, row):
    """(Q, dQ/dtheta_in, dQ/dT_wall) of ``uniform_wall_heat`` with the saturation map ``row``."""
    t_sat, th_f, th_g, s_l, s_v, s_2 = row[0], row[1], row[2], row[3], row[4], row[6]
    q = uniform_wall_heat(theta_in, t_wall, g_w_k, m_w_k, t_sat, th_f, th_g, s_l, s_v, s_2)
    h = SLOPE_STEP_K
    dth = (uniform_wall_heat(theta_in + h, t_wall, g_w_k, m_w_k, t_sat, th_f, th_g, s_l, s_v, s_2)
           - uniform_wall_heat(theta_in - h, t_wall, g_w_k, m_w_k, t_sat, th_f, th_g, s_l, s_v, s_2)) / (2 * h)
    dtw = (uniform_wall_heat(theta_in, t_wall + h, g_w_k, m_w_k, t_sat, th_f, th_g, s_l, s_v, s_2)
           - uniform_wall_heat(theta_in, t_wall - h, g_w_k, m_w_k, t_sat, th_f, th_g, s_l, s_v, s_2)) / (2 * h)
    return q, dth, dtw


@njit(cache=True)
def term_heat(t_k, terms, c_w_k, m_w_k, stagnant, phase, sat, selected):
    """Heat [W] each selected term's wall gives its fluid (as add_advection computes it)."""
    out = np.zeros(selected.size)
    for j in range(selected.size):
        k = selected[j]
        w, i, o = terms.wall[k], terms.inflow[k], terms.outflow[k]
        if w < 0:
            continue
        if phase[k] and not stagnant[k]:
            out[j] = wall_heat_slopes(t_k[i], t_k[w], c_w_k[k], m_w_k[k], sat[k])[0]
            continue
        ref = o if stagnant[k] else i
        t_ref = t_k[ref]
        if phase[k]:
            t_ref = saturation_map(t_k[ref], sat[k, 0], sat[k, 1], sat[k, 2], sat[k, 3], sat[k, 4], sat[k, 5],
                                   sat[k, 6])[0]
        out[j] = c_w_k[k] * (t_k[w] - t_ref)
    return out


@njit(cache=True)
def add_advection(t_k, terms, c_w_k, m_w_k, stagnant, phase, sat, fixed, diag_pos, residual_w, a_data):
    """``terms``: bundles.Advection; ``c_w_k``, ``m_w_k``, ``stagnant``, ``phase``, ``sat``: per term
    (the run state's)."""
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
        if phase[k] and not stagnant[k]:
            # two-phase, flowing: the exact heat of a piece at one wall temperature (c holds the film
            # conductance), its slopes by central differences (it is monotone and piecewise smooth)
            q, dq_dth, dq_dtw = wall_heat_slopes(t_k[i], t_k[w], c, m, sat[k])
            dq_dth -= JACOBIAN_FLOOR * m
            if not fixed[w]:
                residual_w[w] -= q
                a_data[diag_pos[w]] += dq_dtw
                if not fixed[i]:
                    a_data[terms.pos_w_in[k]] += dq_dth
            if not fixed[o]:
                residual_w[o] += q
                if not fixed[w]:
                    a_data[terms.pos_out_w[k]] -= dq_dtw
                if not fixed[i]:
                    a_data[terms.pos_out_in[k]] -= dq_dth
            continue
        ref = o if stagnant[k] else i
        t_ref, slope = t_k[ref], 1.0
        if phase[k]:
            t_ref, slope = saturation_map(t_k[ref], sat[k, 0], sat[k, 1], sat[k, 2], sat[k, 3], sat[k, 4],
                                          sat[k, 5], sat[k, 6])
        q = c * (t_k[w] - t_ref)
        if not fixed[w]:
            residual_w[w] -= q
            a_data[diag_pos[w]] += c
            if not fixed[ref]:
                a_data[terms.pos_w_out[k] if stagnant[k] else terms.pos_w_in[k]] -= c * slope
        if not fixed[o]:
            residual_w[o] += q
            if not fixed[w]:
                a_data[terms.pos_out_w[k]] -= c
            if stagnant[k]:
                a_data[diag_pos[o]] += c * slope
            elif not fixed[i]:
                a_data[terms.pos_out_in[k]] += c * slope
