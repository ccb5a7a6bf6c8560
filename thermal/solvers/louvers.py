"""Louvers under surface-to-surface exchange: the radiation patches' emittance and absorptance
follow the louvers' opening.

A louver's effective emittance and absorptance move with its plate's temperature.  Each cell's own
emission and absorption follow them inside Newton (kernels/control.py, with their slopes); the
exchange between patches (build/radiation.py: radiosity, reflections) is built for one emittance
and absorptance per patch, the area means of its cells' (``patch_means``).  ``FollowedOptics``
rebuilds those operators at every evaluation whose patch optics moved and gives Newton their
slopes, so steady, transient and orbit-periodic solves converge to states whose patch optics are
those of their own temperatures.  (Until 2026-12-02 a steady solve found them by fixed-point
passes, each a whole steady solve: 10 for the validation case `louvered_exchange`, 7 for a
conducting 2 x 2-patch plate; both now take one solve of 7 Newton iterations.)
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from thermal.build.environment import electrical_w
from thermal.build.radiation import with_optics
from thermal.kernels import louver_properties
from thermal.kernels.bundles import Louvers, PropertyTables

SLOPE_STEP = 1e-7  # step in eps and alpha of the operators' forward differences


def louvered_patch_optics(net, t_k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each patch's (eps, alpha) with its louvered surfaces at ``t_k``: the area mean of theirs
    (what the patch emits and absorbs as a whole); patches without louvers keep their own."""
    eps, alpha = np.array(net.surf_eps, float), np.array(net.surf_alpha, float)
    m = net.louver_surf.size
    louver_properties(t_k, net.surf_node, Louvers(net.louver_surf, net.louver_eps_row, net.louver_alpha_row),
                      PropertyTables(net.tab_t, net.tab_v, net.tab_n), eps, alpha, np.zeros(m), np.zeros(m))
    return patch_means(net, eps, alpha)


def patch_means(net, surf_eps: np.ndarray, surf_alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(eps, alpha) of each radiation patch: the area mean of its louvered surfaces' values, the
    patch's own where it has no louver."""
    r = net.radiation.count
    patch, area = net.surf_face[net.louver_surf], net.surf_area_m2[net.louver_surf]
    total = np.bincount(patch, area, minlength=r)
    has = total > 0.0
    out_eps, out_alpha = np.array(net.radiation.eps), np.array(net.radiation.alpha)
    out_eps[has] = np.bincount(patch, area * surf_eps[net.louver_surf], minlength=r)[has] / total[has]
    out_alpha[has] = np.bincount(patch, area * surf_alpha[net.louver_surf], minlength=r)[has] / total[has]
    return out_eps, out_alpha


class FollowedOptics:
    """The patches' optics follow their louvers at every evaluation.

    F(T) is evaluated with the exchange and reflection operators of the patch optics at T (the area
    means of the cells' louver values), rebuilt from the same view factors whenever they move, and
    the incident fluxes with the reflections at those optics (the environment writes what arrives
    directly into the run state; the arrays' electrical power follows what reaches their fronts).
    Newton's matrix gets the operators' slopes too (``slopes``): with only the exchange at fixed
    optics it converged linearly and stopped with the balance at 1e-10-1e-9 of the heat instead of
    round-off.  A louver at a stop (no slope) adds nothing.
    """

    def __init__(self, net, state):
        self.net, self.state = net, state
        self.model = net.radiation  # the operators in use (the network's: louvers closed)
        self.patch_area_m2 = np.bincount(net.surf_face, net.surf_area_m2, minlength=net.radiation.count)
        self.louvered = np.unique(net.surf_face[net.louver_surf])  # patches with louvered surfaces
        self._fluxes_for = None  # (model, direct solar, direct IR, solar, IR) the state's fluxes were made from
        self._slopes = None  # per louvered patch: d(S^T/A)/d eps, d R_ir/d eps, d R_solar/d alpha
        self.rebuilds = 0

    def follow(self, surf_eps: np.ndarray, surf_alpha: np.ndarray, incoming: np.ndarray) -> None:
        """Bring the operators (``incoming``, the assembler's S^T / A_p, written in place) and the
        state's incident fluxes and arrays' power to the optics of these surface values."""
        eps, alpha = patch_means(self.net, surf_eps, surf_alpha)
        if not (np.array_equal(eps, self.model.eps) and np.array_equal(alpha, self.model.alpha)):
            self.model = with_optics(self.net.radiation, eps, alpha)
            np.copyto(incoming, self.model.exchange_m2.T / self.patch_area_m2[:, None])
            self._slopes = None
            self.rebuilds += 1
        st = self.state
        seen = self._fluxes_for  # the environment rewrites direct and incident fluxes at each step
        if seen is not None and seen[0] is self.model and all(
                np.array_equal(a, b) for a, b in zip(seen[1:], (st.face_q_solar_direct_w_m2, st.face_q_ir_direct_w_m2,
                                                                st.face_q_solar_w_m2, st.face_q_ir_w_m2))):
            return
        qs, qir = st.face_q_solar_direct_w_m2, st.face_q_ir_direct_w_m2
        before = electrical_w(self.net.solar_arrays, st.face_q_solar_w_m2)
        st.face_q_solar_w_m2[:] = qs + self.model.reflect_solar @ qs
        st.face_q_ir_w_m2[:] = qir + self.model.reflect_ir @ qir
        # the arrays convert what reaches their fronts, reflections included: their load follows
        for a, p_old, p_new in zip(self.net.solar_arrays, before, electrical_w(self.net.solar_arrays,
                                                                               st.face_q_solar_w_m2)):
            st.q_w[a.node] += p_old - p_new
        self._fluxes_for = (self.model, qs.copy(), qir.copy(), st.face_q_solar_w_m2.copy(), st.face_q_ir_w_m2.copy())

    def _operator_slopes(self):
        """Forward differences of the rebuilt operators in each louvered patch's eps and alpha (they
        are smooth rational functions of the optics: a relative step of 1e-7 leaves ~1e-7 of the
        slope, which Newton does not notice)."""
        if self._slopes is None:
            base, model, out = self.net.radiation, self.model, []
            for p in self.louvered:
                h_e = SLOPE_STEP if model.eps[p] + SLOPE_STEP <= 1.0 else -SLOPE_STEP
                h_a = SLOPE_STEP if model.alpha[p] + SLOPE_STEP <= 1.0 else -SLOPE_STEP
                eps, alpha = np.array(model.eps), np.array(model.alpha)
                eps[p] += h_e
                alpha[p] += h_a
                by_eps, by_alpha = with_optics(base, eps, model.alpha), with_optics(base, model.eps, alpha)
                out.append(((by_eps.exchange_m2 - model.exchange_m2).T / (self.patch_area_m2[:, None] * h_e),
                            (by_eps.reflect_ir - model.reflect_ir) / h_e,
                            (by_alpha.reflect_solar - model.reflect_solar) / h_a))
            self._slopes = out
        return self._slopes

    def slopes(self, e_patch, surf_eps, surf_alpha, d_eps, d_alpha, fixed):
        """(U, V), with dF/dT = ... + U V the part that comes from the optics moving the operators
        (two columns per louvered patch: its eps, through the exchange and the reflected infrared,
        and its alpha, through the reflected sunlight), or None when no louvered surface has a slope."""
        net, st = self.net, self.state
        lv = net.louver_surf
        patch_of = net.surf_face[lv]
        if not (np.any(d_eps) or np.any(d_alpha)):
            return None
        n, k = net.n_nodes, self.louvered.size
        node, face, area = net.surf_node, net.surf_face, net.surf_area_m2
        free = fixed[node] == 0
        rows, cols, vals = [], [], []
        for c, (dm, dr_ir, dr_solar) in enumerate(self._operator_slopes()):
            w = dm @ e_patch
            w_ir = dr_ir @ st.face_q_ir_direct_w_m2
            w_solar = dr_solar @ st.face_q_solar_direct_w_m2
            rows += [node[free], node[free]]
            cols += [np.full(int(free.sum()), 2 * c), np.full(int(free.sum()), 2 * c + 1)]
            vals += [(area * (w[face] + surf_eps * w_ir[face]))[free], (area * surf_alpha * w_solar[face])[free]]
            for a in net.solar_arrays:  # an array's electrical power follows the sunlight on its front
                rows.append(np.array([a.node]))
                cols.append(np.array([2 * c + 1]))
                vals.append(np.array([-a.efficiency * float(a.front_area_m2 @ w_solar[a.front_faces])]))
        u = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, 2 * k))
        which = np.searchsorted(self.louvered, patch_of)
        share = area[lv] / self.patch_area_m2[patch_of]
        v = sp.csr_matrix((np.concatenate([share * d_eps, share * d_alpha]),
                           (np.concatenate([2 * which, 2 * which + 1]), np.concatenate([node[lv], node[lv]]))),
                          shape=(2 * k, n))
        return u, v
