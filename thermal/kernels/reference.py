"""Plain-numpy twins of the Numba kernels: the test oracle, and the maths written out.

Each function takes the arrays its kernel takes (unbundled: kernels/bundles.py names the fields) and
returns what the kernel writes.  They are
vectorised and allocate freely: clarity over speed.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from thermal.constants import SIGMA_W_M2K4



def table(t, tab_t, tab_v, tab_n, rows):
    """Value and derivative of table rows (array) at temperatures t (array)."""
    t = np.asarray(t, float)
    val = np.empty_like(t)
    der = np.zeros_like(t)
    for idx in np.ndindex(t.shape):
        row = rows[idx]
        n = tab_n[row]
        xs, ys = tab_t[row, :n], tab_v[row, :n]
        val[idx] = np.interp(t[idx], xs, ys)
        if n > 1 and xs[0] < t[idx] < xs[-1]:
            seg = np.searchsorted(xs, t[idx], side="right") - 1
            der[idx] = (ys[seg + 1] - ys[seg]) / (xs[seg + 1] - xs[seg])
    return val, der


def table_integral(t_from, t_to, tab_t, tab_v, tab_n, rows):
    """Integral of each row's table between t_from and t_to (trapezoid on a fine grid of breakpoints)."""
    out = np.empty(np.shape(t_from))
    for idx in np.ndindex(out.shape):
        row = rows[idx]
        n = tab_n[row]
        a, b = t_from[idx], t_to[idx]
        lo, hi = min(a, b), max(a, b)
        pts = np.unique(np.concatenate([[lo, hi], tab_t[row, :n][(tab_t[row, :n] > lo) & (tab_t[row, :n] < hi)]]))
        vals = np.interp(pts, tab_t[row, :n], tab_v[row, :n])
        integral = np.sum(0.5 * (vals[1:] + vals[:-1]) * np.diff(pts))  # exact: linear between points
        out[idx] = integral if b >= a else -integral
    return out


def conductivity(t_k, k_tab, tab_t, tab_v, tab_n):
    rows = np.asarray(k_tab)
    tt = np.repeat(np.asarray(t_k)[:, None], 2, axis=1)
    return table(tt, tab_t, tab_v, tab_n, rows)


def link_conductance(t_k, rows, cols, s_self, s_other, dir_self, dir_other, r_link, k_node):
    """G of each (row, col) entry: 1 / (r + s_self/k_row + s_other/k_col)."""
    a = np.where(s_self > 0, s_self / k_node[rows, dir_self], 0.0)
    b = np.where(s_other > 0, s_other / k_node[cols, dir_other], 0.0)
    return 1.0 / (r_link + (a + b)), a, b


def conduction(t_k, indptr, indices, diag_pos, s_self, s_other, dir_self, dir_other, r_link, k_node, dk_node,
               fixed):
    """(residual, a_data) of the conduction kernel."""
    n = t_k.size
    rows = np.repeat(np.arange(n), np.diff(indptr))
    cols = indices
    off = rows != cols
    g, a, b = link_conductance(t_k, rows[off], cols[off], s_self[off], s_other[off], dir_self[off],
                               dir_other[off], r_link[off], k_node)
    dt = t_k[cols[off]] - t_k[rows[off]]
    da = a * dk_node[rows[off], dir_self[off]] / k_node[rows[off], dir_self[off]]
    db = np.where(s_other[off] > 0, b * dk_node[cols[off], dir_other[off]] / k_node[cols[off], dir_other[off]], 0)
    residual = np.zeros(n)
    np.add.at(residual, rows[off], g * dt)
    a_data = np.zeros(indices.size)
    a_data[off] = -(g + g * g * db * dt)
    diag = np.zeros(n)
    np.add.at(diag, rows[off], g - g * g * da * dt)
    a_data[diag_pos] = diag
    fixed = fixed.astype(bool)
    a_data[fixed[cols] & off] = 0.0
    a_data[fixed[rows]] = 0.0
    a_data[diag_pos[fixed]] = 1.0
    residual[fixed] = 0.0
    return residual, a_data


def surfaces(t_k, surf_node, surf_area_m2, surf_eps, surf_alpha, surf_face, face_q_solar_w_m2, face_q_ir_w_m2,
             t_sink_k, fixed, n):
    """(residual, diagonal) contributions of radiating surfaces."""
    live = ~fixed.astype(bool)[surf_node]
    node = surf_node[live]
    area, eps, alpha, face = surf_area_m2[live], surf_eps[live], surf_alpha[live], surf_face[live]
    t = t_k[node]
    absorbed = area * (alpha * face_q_solar_w_m2[face] + eps * face_q_ir_w_m2[face])
    emitted = eps * SIGMA_W_M2K4 * area * (t**4 - t_sink_k**4)
    residual = np.bincount(node, absorbed - emitted, minlength=n)
    diag = np.bincount(node, 4 * eps * SIGMA_W_M2K4 * area * t**3, minlength=n)
    return residual, diag


def heat_input(q_w, fixed, surf_node, surf_area_m2, surf_eps, surf_alpha, surf_face, face_q_solar_w_m2,
               face_q_ir_w_m2, n):
    """Each node's heat input [W] (kernels.energy.heat_input)."""
    q = np.abs(q_w) * (fixed == 0)
    absorbed = surf_area_m2 * (surf_alpha * face_q_solar_w_m2[surf_face] + surf_eps * face_q_ir_w_m2[surf_face])
    return q + np.bincount(surf_node, absorbed, minlength=n)


def sources_and_storage(t_k, t_old_k, q_w, rho_v_kg, cp_tab, tab_t, tab_v, tab_n, inv_dt_s, fixed, bdf_a=1.0,
                        stored_offset_w=None):
    """(residual, diagonal) contributions of fixed loads and BDF storage (see kernels/storage.py)."""
    offset = np.zeros_like(t_k) if stored_offset_w is None else stored_offset_w
    free = ~fixed.astype(bool)
    residual = np.where(free, q_w, 0.0)
    diag = np.zeros_like(t_k)
    if inv_dt_s > 0:
        stored = bdf_a * rho_v_kg * table_integral(t_old_k, t_k, tab_t, tab_v, tab_n, cp_tab) * inv_dt_s - offset
        cp, _ = table(t_k, tab_t, tab_v, tab_n, cp_tab)
        residual -= np.where(free, stored, 0.0)
        diag += np.where(free, bdf_a * rho_v_kg * cp * inv_dt_s, 0.0)
    return residual, diag


def energy(net, t_k, t_old_k, inv_dt_s, k_node, bdf_a=1.0, stored_offset_w=None):
    """[generated, absorbed, radiated, stored, conducted_out, conducted gross, radiated gross] in W
    (see kernels.energy)."""
    free = ~net.fixed.astype(bool)
    live = free[net.surf_node]
    f = net.surf_face[live]
    area, eps, alpha = net.surf_area_m2[live], net.surf_eps[live], net.surf_alpha[live]
    t = t_k[net.surf_node[live]]
    absorbed = np.sum(area * (alpha * net.face_q_solar_w_m2[f] + eps * net.face_q_ir_w_m2[f]))
    radiated = np.sum(eps * SIGMA_W_M2K4 * area * (t**4 - net.t_sink_k**4))
    radiated_gross = np.sum(eps * SIGMA_W_M2K4 * area * (t**4 + net.t_sink_k**4))
    stored = 0.0
    if inv_dt_s > 0:
        offset = np.zeros_like(t_k) if stored_offset_w is None else stored_offset_w
        stored = np.sum((bdf_a * net.rho_v_kg * table_integral(t_old_k, t_k, net.tab_t, net.tab_v, net.tab_n,
                                                                net.cp_tab) * inv_dt_s - offset)[free])
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    cols = net.indices
    sel = (rows != cols) & ~free[rows] & free[cols]
    g, _, _ = link_conductance(t_k, rows[sel], cols[sel], net.s_self[sel], net.s_other[sel], net.dir_self[sel],
                               net.dir_other[sel], net.r_link[sel], k_node)
    into = g * (t_k[cols[sel]] - t_k[rows[sel]])
    gross = np.sum(np.abs(np.bincount(rows[sel], into, minlength=net.n_nodes)))
    return np.array([np.sum(net.q_w[free]), absorbed, radiated, stored, np.sum(into), gross, radiated_gross])


def saturation_map(theta, sat):
    """(T, dT/dtheta) of kernels/advection.saturation_map, written as a sum of rounded ramps."""
    t_sat, th_f, th_g, s_l, s_v, d, s_2 = sat

    def ramp(z):
        inner = (z + d) ** 2 / (4 * d)
        return (np.where(z <= -d, 0.0, np.where(z >= d, z, inner)),
                np.where(z <= -d, 0.0, np.where(z >= d, 1.0, (z + d) / (2 * d))))

    r1, g1 = ramp(theta - th_f)
    r2, g2 = ramp(theta - th_g)
    return (t_sat + s_l * (theta - th_f - r1) + s_2 * (r1 - r2) + s_v * r2,
            s_l * (1 - g1) + s_2 * (g1 - g2) + s_v * g2)


def uniform_wall_heat(theta_in, t_w, g, m, t_sat, th_f, th_g, s_l, s_v, rest=1.0):
    """Heat into fluid entering a piece at ``theta_in`` along a wall at ``t_w`` (recursive: each call
    crosses at most one phase boundary and hands the rest of the piece on)."""
    if rest <= 0.0:
        return 0.0
    if th_f <= theta_in <= th_g:  # boiling or condensing at t_sat: the enthalpy moves linearly
        rate = g * (t_w - t_sat)  # W per unit of the piece
        if rate == 0.0:
            return 0.0
        edge = th_g if rate > 0 else th_f
        frac = m * (edge - theta_in) / rate
        if frac >= rest:
            return rate * rest
        return m * (edge - theta_in) + _single_phase_from_edge(rate > 0, t_w, g, m, t_sat, s_l, s_v, rest - frac)
    liquid = theta_in < th_f
    scale, edge = (s_l, th_f) if liquid else (s_v, th_g)
    mc = m / scale  # m_dot cp of the phase
    t = t_sat + scale * (theta_in - edge)
    crossing = (liquid and t_w > t_sat) or (not liquid and t_w < t_sat)
    if crossing:
        frac = mc / g * np.log((t_w - t) / (t_w - t_sat))
        if frac < rest:
            return mc * (t_sat - t) + uniform_wall_heat(edge, t_w, g, m, t_sat, th_f, th_g, s_l, s_v, rest - frac)
    return mc * (t_w - t) * (1.0 - np.exp(-g * rest / mc))


def _single_phase_from_edge(to_vapour, t_w, g, m, t_sat, s_l, s_v, rest):
    """The rest of a piece after the fluid left the two-phase range at ``edge``."""
    scale = s_v if to_vapour else s_l
    mc = m / scale
    return mc * (t_w - t_sat) * (1.0 - np.exp(-g * rest / mc))


def advection(t_k, wall, inflow, outflow, c_w_k, m_w_k, stagnant, fixed, phase=None, sat=None):
    """(F, A) contributions of the advection terms, A = -dF/dT dense (free rows and columns only)."""
    n = t_k.size
    phase = np.zeros(wall.size, np.uint8) if phase is None else phase
    f = np.zeros(n)
    a = np.zeros((n, n))
    free = fixed == 0
    for k, (w, i, o, c, m, still) in enumerate(zip(wall, inflow, outflow, c_w_k, m_w_k, stagnant)):
        f[o] += m * (t_k[i] - t_k[o])
        a[o, o] += m
        a[o, i] -= m
        if still:  # still fluid conducts along itself: the same flow back
            f[i] -= m * (t_k[i] - t_k[o])
            a[i, i] += m
            a[i, o] -= m
        if w >= 0 and phase[k] and not still:  # two-phase, flowing: the piece's exact heat
            assert sat[k][6] == 0.0, "the twin covers the physical map (T = T_sat through boiling)"
            q = uniform_wall_heat(t_k[i], t_k[w], c, m, *sat[k][:5])
            h = 1e-3
            dth = (uniform_wall_heat(t_k[i] + h, t_k[w], c, m, *sat[k][:5])
                   - uniform_wall_heat(t_k[i] - h, t_k[w], c, m, *sat[k][:5])) / (2 * h) - 1e-6 * m  # JACOBIAN_FLOOR
            dtw = (uniform_wall_heat(t_k[i], t_k[w] + h, c, m, *sat[k][:5])
                   - uniform_wall_heat(t_k[i], t_k[w] - h, c, m, *sat[k][:5])) / (2 * h)
            f[w] -= q
            f[o] += q
            a[w, w] += dtw
            a[w, i] += dth
            a[o, w] -= dtw
            a[o, i] -= dth
        elif w >= 0:
            ref = o if still else i
            t_ref, slope = saturation_map(t_k[ref], sat[k]) if phase[k] else (t_k[ref], 1.0)
            q = c * (t_k[w] - t_ref)
            f[w] -= q
            f[o] += q
            a[w, w] += c
            a[w, ref] -= c * slope
            a[o, w] -= c
            a[o, ref] += c * slope
    f[~free] = 0.0
    a[~free, :] = 0.0
    a[:, ~free] = 0.0
    return f, a


def stored_heat(t_from_k, t_to_k, rho_v_kg, cp_tab, tab_t, tab_v, tab_n):
    return rho_v_kg * table_integral(t_from_k, t_to_k, tab_t, tab_v, tab_n, cp_tab)


def heat_capacity(t_k, rho_v_kg, cp_tab, tab_t, tab_v, tab_n):
    cp, _ = table(t_k, tab_t, tab_v, tab_n, cp_tab)
    return rho_v_kg * cp


# ---------------------------------------------------------------------------------------------
# AMG (kernels/amg.py): the same V-cycle and PCG written with scipy matrices


def gauss_seidel(a, x, b, forward: bool) -> np.ndarray:
    """One Gauss-Seidel sweep as a triangular solve: forward (D + L) x' = b - U x, backward
    (D + U) x' = b - L x."""
    a = sp.csr_matrix(a)
    lower, upper = sp.tril(a, format="csr"), sp.triu(a, format="csr")
    if forward:
        return spla.spsolve_triangular(lower, b - sp.triu(a, 1) @ x, lower=True)
    return spla.spsolve_triangular(upper, b - sp.tril(a, -1) @ x, lower=False)


def hybrid_gauss_seidel(a, x, b, forward: bool, n_blocks: int) -> np.ndarray:
    """Gauss-Seidel within blocks of contiguous rows (block k: rows n k / n_blocks up to
    n (k + 1) / n_blocks), Jacobi between them: the triangular solve of the block-diagonal part, the
    other blocks' terms taken from x."""
    a = sp.coo_matrix(a)
    n = a.shape[0]
    block = np.searchsorted(n * np.arange(1, n_blocks + 1) // n_blocks, np.arange(n), side="right")
    inside = block[a.row] == block[a.col]
    own = sp.csr_matrix((a.data * inside, (a.row, a.col)), shape=a.shape)
    between = sp.csr_matrix((a.data * ~inside, (a.row, a.col)), shape=a.shape)
    return gauss_seidel(own, x, b - between @ x, forward)


def vcycle(a0, levels_a, levels_p, levels_r, coarse_inv, b, hybrid_rows=None, n_blocks=16) -> np.ndarray:
    """x = V(b): forward Gauss-Seidel down, exact coarse solve, prolongation and backward
    Gauss-Seidel up; ``a0`` replaces the finest level's operator (the current matrix).  Levels of
    at least ``hybrid_rows`` rows are smoothed by ``hybrid_gauss_seidel``."""
    ops = [sp.csr_matrix(a0)] + [sp.csr_matrix(m) for m in levels_a[1:]]

    def sweep(op, x, rhs, forward):
        if hybrid_rows is not None and op.shape[0] >= hybrid_rows:
            return hybrid_gauss_seidel(op, x, rhs, forward, n_blocks)
        return gauss_seidel(op, x, rhs, forward)

    rhs, xs = [np.asarray(b, float)], []
    for lv in range(len(ops)):
        x = sweep(ops[lv], np.zeros_like(rhs[lv]), rhs[lv], True)
        xs.append(x)
        rhs.append(levels_r[lv] @ (rhs[lv] - ops[lv] @ x))
    x = coarse_inv @ rhs[-1]
    for lv in range(len(ops) - 1, -1, -1):
        x = sweep(ops[lv], xs[lv] + levels_p[lv] @ x, rhs[lv], False)
    return x


def pcg(a, b, x0, precondition, rtol: float, maxiter: int):
    """Preconditioned conjugate gradients to ||b - A x|| <= rtol ||b||: (x, iterations or -1)."""
    x = np.array(x0, float)
    bnorm = np.linalg.norm(b)
    if bnorm == 0.0:
        return np.zeros_like(x), 0
    r = b - a @ x
    if np.linalg.norm(r) <= rtol * bnorm:
        return x, 0
    z = precondition(r)
    p, rz = z.copy(), r @ z
    for it in range(1, maxiter + 1):
        q = a @ p
        alpha = rz / (p @ q)
        x += alpha * p
        r -= alpha * q
        if np.linalg.norm(r) <= rtol * bnorm:
            return x, it
        z = precondition(r)
        rz_new = r @ z
        p = z + (rz_new / rz) * p
        rz = rz_new
    return x, -1


def heaters(t_k, power_w, on_k, off_k, sensor, node, weight, heater, switched, fixed, n):
    """(residual contribution, {(node, sensor): A entry}, power per heater) of the heaters (see
    kernels/control.py)."""
    ts = t_k[sensor]
    law = switched < 0
    frac = np.where(law, np.clip((off_k - ts) / (off_k - on_k), 0.0, 1.0), switched)
    power = power_w * frac
    free = ~fixed.astype(bool)[node]
    residual = np.bincount(node[free], weight[free] * power[heater[free]], minlength=n)
    inside = law & (on_k < ts) & (ts < off_k)
    entries = {}
    for e in np.nonzero(free & inside[heater])[0]:
        h = heater[e]
        key = (int(node[e]), int(sensor[h]))
        entries[key] = entries.get(key, 0.0) + weight[e] * power_w[h] / (off_k[h] - on_k[h])
    return residual, entries, power


def louvers(t_k, surf_node, louver_surf, eps_row, alpha_row, tab_t, tab_v, tab_n):
    """(eps, d eps/dT, alpha, d alpha/dT) of the louvered surfaces at their nodes' temperatures."""
    t = t_k[surf_node[louver_surf]]
    eps, d_eps = table(t, tab_t, tab_v, tab_n, eps_row)
    alpha, d_alpha = table(t, tab_t, tab_v, tab_n, alpha_row)
    return eps, d_eps, alpha, d_alpha
