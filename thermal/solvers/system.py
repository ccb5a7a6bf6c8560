"""The discrete system F(T) = 0 of a network: calls the kernels in order, owns the scratch arrays.

Drivers (steady, transient) ask an :class:`Assembler` for the residual and the matrix
A = -dF/dT at a temperature vector; the CSR pattern is the network's, fixed once, and the values
are overwritten in place each call.  Loads, fluxes and film resistances come from the run state
(run_state.RunState) the assembler was given, never from the immutable network.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from thermal import kernels
from thermal.constants import SIGMA_W_M2K4
from thermal.threads import NODE_KERNELS_PARALLEL_MIN, kernel_threads
from thermal.kernels.bundles import Advection, Heaters, Links, Louvers, PropertyTables, Step, Storage, Surfaces, \
    unsigned
from thermal.build.network import Network
from thermal.solvers.louvers import FollowedOptics
from thermal.solvers.run_state import RunState
from thermal.solvers.two_phase import initial_state

TERMS = ("generated", "absorbed", "radiated", "stored", "conducted_out")


@dataclass
class EnergyBalance:
    """Global energy terms of one state [W] and how well they close."""

    generated_w: float
    absorbed_w: float
    radiated_w: float
    stored_w: float
    conducted_out_w: float
    conducted_gross_w: float = 0.0  # sum of |heat into each boundary node|: the scale of conducted_out_w
    radiated_gross_w: float = 0.0  # sum of eps sigma A (T^4 + T_sink^4): the scale of radiated_w
    advected_gross_w: float = 0.0  # sum over loop terms of m_dot cp T and c T_w: what advection's round-off scales with

    @property
    def error_w(self) -> float:
        return self.generated_w + self.absorbed_w - self.radiated_w - self.stored_w - self.conducted_out_w

    @property
    def scale_w(self) -> float:
        """The size of the heat flows the balance is made of: a relative error needs a scale that is
        not zero when the net flows are (no power, no absorbed flux: the plate sits at the sink and
        radiates nothing net, but exchanges eps sigma A (T^4 + T_sink^4) gross)."""
        return max(abs(self.generated_w) + abs(self.absorbed_w), abs(self.radiated_w), abs(self.stored_w),
                   abs(self.conducted_out_w), self.conducted_gross_w, self.radiated_gross_w, self.advected_gross_w,
                   1e-300)

    @property
    def relative_error(self) -> float:
        return self.error_w / self.scale_w

    def as_array(self) -> np.ndarray:
        return np.array([self.generated_w, self.absorbed_w, self.radiated_w, self.stored_w, self.conducted_out_w])


@functools.cache
def _blas_libraries() -> ThreadpoolController:
    return ThreadpoolController()  # the BLAS libraries loaded by now (numpy's and scipy's OpenBLAS)


def serial_blas(driver):
    """Run a solve driver with the BLAS libraries on one thread.  Our BLAS calls are vector norms
    and dots and small dense solves, too short to share, and OpenBLAS threads spin between calls on
    the cores the Numba kernels need: measured on the 2-core machine, the N = 256 reference transient
    (360 steps) took 59 s with OpenBLAS's default 2 threads against 15.6 s with 1 (21.7 s with the
    Numba kernels on 1 thread but OpenBLAS on 2).  The limit is lifted when the driver returns, so a
    user's own numpy work keeps its threads."""
    @functools.wraps(driver)
    def run(*args, **kwargs):
        with _blas_libraries().limit(limits=1, user_api="blas"):
            return driver(*args, **kwargs)
    return run


@dataclass
class ExchangeJacobian:
    """The radiation exchange's part of A = -dF/dT, kept factored: A_full = A - u @ m @ j with
    u (n, r) the cells' areas on their patches, m (r, r) = S^T / A_p, j (r, n) = d e_p / dT
    (kernels/exchange.py).  Rank r = the number of patches."""

    u: sp.csr_matrix
    m: np.ndarray
    j: sp.csr_matrix

    def matvec(self, x: np.ndarray) -> np.ndarray:
        return self.u @ (self.m @ (self.j @ x))


def surfaces_by_node(surf_node: np.ndarray, n_nodes: int) -> tuple:
    """(ptr, order): node i's surfaces are order[ptr[i]:ptr[i + 1]], in increasing order (a stable
    sort), as kernels.add_surfaces_by_node takes them."""
    order = np.argsort(surf_node, kind="stable").astype(np.uint32)
    ptr = np.zeros(n_nodes + 1, np.uint32 if surf_node.size < 2**32 else np.int64)
    np.cumsum(np.bincount(surf_node, minlength=n_nodes), out=ptr[1:])
    return ptr, order


class Assembler:
    """F(T) and A = -dF/dT of a network in a run state.  Louvered radiation patches take their
    louvers' optics at every evaluation (solvers/louvers.FollowedOptics)."""

    def __init__(self, net: Network, state: RunState | None = None):
        self.net = net
        self.state = RunState.fresh(net) if state is None else state
        # the network's arrays bundled as the kernels take them (kernels/bundles.py)
        self.tables = PropertyTables(net.tab_t, net.tab_v, net.tab_n)
        self.storage = Storage(self.state.rho_v_kg, net.cp_tab, self.tables)
        # index arrays as unsigned views (bundles.unsigned: the kernels' loads skip Numba's negative-index wrap)
        self.diag_pos = unsigned(net.diag_pos)
        self.links = Links(unsigned(net.indptr), unsigned(net.indices), self.diag_pos, net.link_code, net.link_s,
                           net.link_dir)
        # own copies where louvers move the emittance and absorptance of their surfaces with T (the
        # network's, read-only, otherwise: 2 x 16 MB on a 1024^2 plate)
        self.surf_eps, self.surf_alpha = (np.array(net.surf_eps, float), np.array(net.surf_alpha, float)) \
            if net.louver_surf.size else (net.surf_eps, net.surf_alpha)
        self.surfaces = Surfaces(unsigned(net.surf_node), net.surf_area_m2, self.surf_eps, self.surf_alpha,
                                 unsigned(net.surf_face))
        self.louvers = Louvers(net.louver_surf, net.louver_eps_row, net.louver_alpha_row) \
            if net.louver_surf.size else None
        self.d_eps, self.d_alpha = np.zeros(net.louver_surf.size), np.zeros(net.louver_surf.size)
        ht = net.heaters
        self.heaters = Heaters(ht.power_w, ht.on_k, ht.off_k, ht.sensor, ht.node, ht.weight, ht.heater, ht.pos) \
            if ht.count else None
        self.heater_power_w = np.zeros(ht.count)  # each heater's power at the last evaluation
        self._heater_scratch = (np.zeros(net.n_nodes), np.zeros(net.indices.size)) if ht.count else None
        adv = net.advection
        self.advection = Advection(adv.wall, adv.inflow, adv.outflow, adv.pos_w_in, adv.pos_w_out, adv.pos_out_in,
                                   adv.pos_out_w, adv.pos_in_out) if adv.count else None
        n = net.n_nodes
        self.k_node = np.empty((n, 2))
        self.dk_node = np.zeros((n, 2))
        # constant k: k_node once, and dk_node stays the zeros it starts as (never written, so its
        # pages are never made resident: 16 MB of a 1024^2 plate)
        self._k_constant = net.constant_conductivity
        if self._k_constant:
            kernels.node_kernels(1, n).eval_conductivity(np.full(n, 300.0), net.k_tab, self.tables, self.k_node,
                                                         np.empty((n, 2)))
        self.residual_w = np.empty(n)
        self.a_data = np.empty(net.indices.size)
        self.matrix = net.matrix(self.a_data)
        self._energy = np.empty(7)
        self._zeros = np.zeros(n)
        self._scratch_heat = np.empty(n)  # heat_input_norm's (allocated per call it cost 10 ms at 10^6 nodes)
        self.evaluations = 0
        self.threads = kernel_threads(n)
        self.node_kernels = kernels.node_kernels(self.threads, n)  # serial builds on one thread (kernels/__init__)
        # where the node kernels run threaded, the surfaces' scatter does too, node by node: each node's
        # surfaces listed in order (a stable sort: 12 MB at 10^6 nodes with two faces each)
        self._surfaces_by_node = None
        if self.node_kernels is kernels.node_kernels(2, NODE_KERNELS_PARALLEL_MIN) and net.surf_node.size:
            self._surfaces_by_node = surfaces_by_node(net.surf_node, n)
        # Constant k, resistances nobody changes (no heat-pipe film: the run state shares the
        # network's read-only array) and only conduction writing off-diagonal entries (net.symmetric:
        # no heaters, no loops): every G is fixed, so after the first evaluation the conduction rows
        # read -G back from A (kernels/conduction.py).  Measured at N = 1024: conduction rows 20.1 ->
        # 8.8 ms a call, a whole evaluation 44 -> 26 ms.
        self._conductances_fixed = net.symmetric and not self.state.r_link.flags.writeable
        self._g_diag = None  # the conduction part of A's diagonal, once known
        self.low_rank = None
        self.followed = None  # louvers under exchange: the patches' optics follow them (solvers/louvers.py)
        if net.radiation is not None:
            self._setup_exchange()
            if self.louvers is not None:
                self.followed = FollowedOptics(net, self.state)

    def _setup_exchange(self):
        net = self.net
        r = net.radiation.count
        self.patch_area_m2 = np.bincount(net.surf_face, net.surf_area_m2, minlength=r)
        self.incoming = np.ascontiguousarray(net.radiation.exchange_m2.T / self.patch_area_m2[:, None])
        self.e_patch = np.zeros(r)
        self.g_patch = np.zeros(r)
        free = net.fixed[net.surf_node] == 0
        nodes, patches, area = net.surf_node[free], net.surf_face[free], net.surf_area_m2[free]
        u = sp.csr_matrix((area, (nodes, patches)), shape=(net.n_nodes, r))
        # j's pattern is fixed; its values follow T: keep the permutation from surfaces to its entries
        order = sp.csr_matrix((np.arange(1.0, nodes.size + 1), (patches, nodes)), shape=(r, net.n_nodes))
        order.sort_indices()
        self._j_order = order.data.astype(np.int64) - 1
        self._j_nodes = nodes[self._j_order]
        self._j_scale = 4.0 * SIGMA_W_M2K4 * area[self._j_order] / self.patch_area_m2[patches[self._j_order]]
        j = sp.csr_matrix((np.zeros(nodes.size), order.indices, order.indptr), shape=(r, net.n_nodes))
        self._exchange_jacobian = self.low_rank = ExchangeJacobian(u, self.incoming, j)
        self._scratch = np.zeros(net.n_nodes)

    def _with_optics_slopes(self) -> ExchangeJacobian:
        """The exchange's low-rank part with the followed optics' slopes appended (FollowedOptics.slopes):
        A - u m j - U V = A - [u U] diag(m, I) [j; V], so the linear solvers take it unchanged."""
        base = self._exchange_jacobian
        moved = self.followed.slopes(self.e_patch, self.surf_eps, self.surf_alpha, self.d_eps, self.d_alpha,
                                     self.net.fixed)
        if moved is None:
            return base
        u, v = moved
        r, k = base.m.shape[0], v.shape[0]
        m = np.zeros((r + k, r + k))
        m[:r, :r] = base.m
        m[r:, r:] = np.eye(k)
        return ExchangeJacobian(sp.hstack([base.u, u], format="csr"), m, sp.vstack([base.j, v], format="csr"))

    def exchange_residual(self, t_k: np.ndarray) -> np.ndarray:
        """The radiation exchange's part of F alone [W per node] (checks and diagnostics)."""
        out = np.zeros(self.net.n_nodes)
        if self.low_rank is not None:
            self._exchange(t_k, out)
        return out

    def _exchange(self, t_k, residual_w) -> float:
        net = self.net
        absorbed = kernels.add_exchange(t_k, self.surfaces, self.patch_area_m2, self.incoming, net.t_sink_k, net.fixed,
                                        self.e_patch, self.g_patch, residual_w)
        return float(absorbed)

    def initial_state(self, t_initial_k: float) -> np.ndarray:
        return initial_state(self.net, t_initial_k)

    def evaluate(self, t_k: np.ndarray, t_old_k: np.ndarray | None = None, inv_dt_s: float = 0.0,
                 bdf_a: float = 1.0, stored_offset_w: np.ndarray | None = None):
        """Fill ``residual_w`` (F, W) and ``matrix`` (A = -dF/dT, W/K) at ``t_k``; return both.
        ``bdf_a``, ``stored_offset_w``: the BDF step's storage form (kernels/storage.py)."""
        net, st = self.net, self.state
        t_old = t_k if t_old_k is None else t_old_k
        offset = self._zeros if stored_offset_w is None else stored_offset_w
        numba.set_num_threads(self.threads)  # thread-local: also holds for the AMG kernels this run calls
        nk = self.node_kernels
        if self._g_diag is not None:
            nk.frozen_conduction_rows(t_k, self.links, st.r_link, self.k_node, net.fixed, self._g_diag,
                                      self.residual_w, self.a_data)
        else:
            if not self._k_constant:
                nk.eval_conductivity(t_k, net.k_tab, self.tables, self.k_node, self.dk_node)
            nk.conduction_rows(t_k, self.links, st.r_link, self.k_node, self.dk_node, net.fixed, self.residual_w,
                               self.a_data)
            if self._conductances_fixed:
                self._g_diag = self.a_data[net.diag_pos]
        if self.louvers is not None:
            kernels.louver_properties(t_k, net.surf_node, self.louvers, self.tables, self.surf_eps, self.surf_alpha,
                                      self.d_eps, self.d_alpha)
            if self.followed is not None:
                self.followed.follow(self.surf_eps, self.surf_alpha, self.incoming)
        if self._surfaces_by_node is not None:
            kernels.add_surfaces_by_node(t_k, self.surfaces, *self._surfaces_by_node, st.face_q_solar_w_m2,
                                         st.face_q_ir_w_m2, net.t_sink_k, net.fixed, self.diag_pos, self.residual_w,
                                         self.a_data)
        else:
            kernels.add_surfaces(t_k, self.surfaces, st.face_q_solar_w_m2, st.face_q_ir_w_m2, net.t_sink_k, net.fixed,
                                 self.diag_pos, self.residual_w, self.a_data)
        if self.louvers is not None:
            kernels.add_louver_slopes(t_k, self.surfaces, self.louvers, self.d_eps, self.d_alpha,
                                      st.face_q_solar_w_m2, st.face_q_ir_w_m2, net.t_sink_k, net.fixed, self.diag_pos,
                                      self.a_data)
        if self.heaters is not None:
            kernels.add_heaters(t_k, self.heaters, st.heater_switched, net.fixed, self.residual_w, self.a_data,
                                self.heater_power_w)
        if self.advection is not None:
            kernels.add_advection(t_k, self.advection, st.adv_c_w_k, st.adv_m_w_k, st.adv_stagnant, st.adv_phase,
                                  st.adv_sat, net.fixed, self.diag_pos, self.residual_w, self.a_data)
        if self.low_rank is not None:
            self._exchange(t_k, self.residual_w)
            t = t_k[self._j_nodes]
            self._exchange_jacobian.j.data[:] = self._j_scale * t * t * t
            self.low_rank = self._exchange_jacobian if self.followed is None else self._with_optics_slopes()
        nk.add_sources_and_storage(t_k, Step(t_old, inv_dt_s, bdf_a, offset), st.q_w, self.storage, net.fixed,
                                        self.diag_pos, self.residual_w, self.a_data)
        self.evaluations += 1
        return self.residual_w, self.matrix

    def energy(self, t_k: np.ndarray, t_old_k: np.ndarray | None = None, inv_dt_s: float = 0.0,
               bdf_a: float = 1.0, stored_offset_w: np.ndarray | None = None) -> EnergyBalance:
        net, st = self.net, self.state
        t_old = t_k if t_old_k is None else t_old_k
        offset = self._zeros if stored_offset_w is None else stored_offset_w
        if not self._k_constant:
            self.node_kernels.eval_conductivity(t_k, net.k_tab, self.tables, self.k_node, self.dk_node)
        if self.louvers is not None:
            kernels.louver_properties(t_k, net.surf_node, self.louvers, self.tables, self.surf_eps, self.surf_alpha,
                                      self.d_eps, self.d_alpha)
            if self.followed is not None:
                self.followed.follow(self.surf_eps, self.surf_alpha, self.incoming)
        kernels.energy_terms(t_k, Step(t_old, inv_dt_s, bdf_a, offset), st.q_w, net.fixed, self.storage, self.links,
                             st.r_link, self.k_node, self.surfaces, st.face_q_solar_w_m2, st.face_q_ir_w_m2,
                             net.t_sink_k, self._energy)
        if self.low_rank is not None:
            # what other patches absorb of a patch's emission did not leave for space: radiated is
            # the net heat leaving the free nodes by radiation (to space and to fixed-temperature walls)
            self._energy[2] -= self._exchange(t_k, self._scratch)
        if self.heaters is not None:
            self._energy[0] += self.heater_output_w(t_k)
        gross = 0.0
        if self.advection is not None:
            into = self.advected_into_fixed_w(t_k)
            self._energy[4] += into.sum()
            self._energy[5] += np.abs(into).sum()
            # advection moves heat m_dot cp (T_in - T_out) between nodes ~300 K apart from 0 K: each
            # term's round-off is eps m_dot cp T, so a loop carrying little net heat (a pump's
            # milliwatts) is judged against the enthalpy it carries, as emission is against sigma T^4
            adv = self.net.advection
            gross = float(st.adv_m_w_k @ np.abs(t_k[adv.outflow]))
            liquid = st.adv_phase == 0
            gross += float(st.adv_c_w_k[liquid] @ np.abs(t_k[np.maximum(adv.wall[liquid], 0)]))
            if not np.all(liquid):  # two-phase pieces: c is a film conductance; their heat is the scale
                two = np.nonzero(~liquid)[0]
                gross += float(np.abs(kernels.term_heat(t_k, self.advection, st.adv_c_w_k, st.adv_m_w_k,
                                                        st.adv_stagnant, st.adv_phase, st.adv_sat, two)).sum())
        return EnergyBalance(*(float(v) for v in self._energy), advected_gross_w=gross)

    def heater_output_w(self, t_k: np.ndarray) -> float:
        """The heaters' total power into free nodes at ``t_k`` [W]; each heater's in ``heater_power_w``."""
        if self.heaters is None:
            return 0.0
        res, a = self._heater_scratch
        return float(kernels.add_heaters(t_k, self.heaters, self.state.heater_switched, self.net.fixed, res, a,
                                         self.heater_power_w))

    def advected_into_fixed_w(self, t_k: np.ndarray) -> np.ndarray:
        """Heat flowing into fixed-temperature walls from the fluid of each loop piece bonded to one
        [W] (a cold plate held at a temperature): counted with what is conducted out."""
        net, st, adv = self.net, self.state, self.net.advection
        w = adv.wall
        on_fixed = np.nonzero((w >= 0) & (net.fixed[np.maximum(w, 0)] == 1))[0]
        return -kernels.term_heat(t_k, self.advection, st.adv_c_w_k, st.adv_m_w_k, st.adv_stagnant, st.adv_phase,
                                  st.adv_sat, on_fixed)

    def initial_balance(self, t_k: np.ndarray) -> EnergyBalance:
        """Energy terms of an initial state.  No step has been taken, so the rate of storage is what
        the equations give it, C dT/dt = F(T0): the net heat flowing in; the row closes by definition."""
        first = self.energy(t_k)
        first.stored_w = first.generated_w + first.absorbed_w - first.radiated_w - first.conducted_out_w
        return first

    def heat_input_norm(self) -> float:
        """||per-node heat input||_2 [W]: the scale of the residual test."""
        net, st = self.net, self.state
        q = self._scratch_heat
        kernels.heat_input(st.q_w, net.fixed, self.surfaces, st.face_q_solar_w_m2, st.face_q_ir_w_m2, q)
        if self.heaters is not None:  # rated powers: the scale of what the heaters may give
            ht = self.heaters
            q = q + np.bincount(ht.node, ht.weight * ht.power_w[ht.heater], minlength=net.n_nodes)
        return float(np.linalg.norm(q))
