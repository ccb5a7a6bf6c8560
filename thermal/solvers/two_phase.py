"""Two-phase pumped loops in a run: the homogeneous equilibrium model on the loop's fluid nodes.

The fluid nodes of a two-phase loop hold theta = T_acc + (h - h_f(T_acc)) / cp_ref [K] (an enthalpy
in kelvin; equal to the temperature in liquid at the accumulator's saturation), so advection
carries m_dot h exactly and a manifold mixes enthalpies.  Each update (the same outer fixed point
and per-step evaluation as liquid loops, solvers/loops.py):

1. the pressure at every node, lagged from the last update (the accumulator holds the pump's suction
   manifold at p_sat(T_acc)), gives each node's saturation map theta -> T (kernels/advection.py):
   the quality x = (theta - theta_f) / (theta_g - theta_f);
2. the hydraulic network (solvers/hydraulics.py) balances the branches with each piece's
   two-phase gradient (Mueller-Steinhagen & Heck) and the homogeneous acceleration at the pieces'
   qualities; the pressure along each branch follows, and with it the next maps;
3. each piece's film: single-phase (Gnielinski, developing) in liquid and in vapour, Gungor-Winterton
   boiling or Shah condensation between (physics/two_phase.py);
4. in Newton, each piece's heat is an exact march through the piece at its wall's temperature
   (liquid exponential, linear quality at T_sat, vapour exponential: kernels.uniform_wall_heat), so
   a piece where the fluid starts or stops boiling gets its heat right and no piece carries the
   fluid past its wall's temperature.

Approximations, stated: in transients each fluid node holds the homogeneous mixture's mass at its
quality (taken at the step's start, like the flows), the accumulator taking up or giving back what
the vapour displaces, with its enthalpy; the flow is the same all along a branch (no mass stored in
the pipes' mixture changes it); superheated vapour takes the saturated vapour's properties; pressure waves and flow instabilities are not modelled (quasi-steady flow).
"""
from __future__ import annotations

import numpy as np

from thermal import kernels
from thermal.physics.channel_flow import NU_STAGNANT, piece_film_w_k, reynolds
from thermal.physics.two_phase import gungor_winterton_w_m2k, homogeneous_volume_m3_kg, msh_gradient_pa_m, \
    saturation_table, shah_condensation_w_m2k
from thermal.solvers.hydraulics import STAGNANT_FRACTION, solve_hydraulics

START_SUBCOOLING_K = 1.0  # first guesses start this far below saturation, off the map's corner
BLEND_X, BLEND_K = 0.05, 0.5  # film blending widths (quality; wall superheat) between correlations
CORNER = 1e-4  # half-width of the rounded corners of the saturation map, in units of h_fg


class LoopFluid:
    """The saturation side of one two-phase loop: maps, qualities and temperatures of its nodes."""

    def __init__(self, ln, homotopy: float = 0.0):
        self.ln = ln
        self.ln_slope = homotopy
        loop = ln.loop
        self.sat = saturation_table(loop.fluid)
        self.t_ref = loop.accumulator.saturation_temperature_k
        self.cp_ref = ln.cp_ref_j_kgk
        self.hf_ref = float(self.sat.at(self.t_ref, "h_f"))
        self.p_acc = float(self.sat.p_sat(self.t_ref))
        self.fluid = np.concatenate([bn.fluid for bn in ln.branches])
        self.manifolds = np.array(list(ln.manifold.values()), np.int64)
        self.nodes = np.concatenate([self.fluid, self.manifolds])  # local order: fluid nodes, then manifolds
        self.order = np.argsort(self.nodes)

    def local(self, node_ids):
        """Local index of global node ids."""
        return self.order[np.searchsorted(self.nodes[self.order], node_ids)]

    def maps(self, p_pa):
        """(n, 6) saturation maps at pressures ``p_pa`` (kernels/advection.SAT_COLUMNS)."""
        sat = self.sat
        t_sat = sat.t_sat(p_pa)
        th_f = self.t_ref + (sat.at(t_sat, "h_f") - self.hf_ref) / self.cp_ref
        th_g = self.t_ref + (sat.at(t_sat, "h_g") - self.hf_ref) / self.cp_ref
        s_l = self.cp_ref / sat.at(t_sat, "cp_f")
        return np.column_stack([t_sat, th_f, th_g, s_l, self.cp_ref / sat.at(t_sat, "cp_g"), CORNER * (th_g - th_f),
                                self.ln_slope * s_l])

    def state(self, theta, maps):
        """(T, x): temperature and thermodynamic quality (< 0 subcooled, > 1 superheated)."""
        t = kernels.fluid_temperature(np.asarray(theta, float), np.ones(theta.size, np.uint8), maps)
        return t, (theta - maps[:, 1]) / (maps[:, 2] - maps[:, 1])

    def pressures(self, ls):
        """Pressures of the fluid nodes and manifolds (local order) that the maps in use are at."""
        n = self.nodes.size
        if ls.pressure_pa.size + ls.manifold_pressure_pa.size != n:
            return np.full(n, self.p_acc)
        return np.concatenate([ls.pressure_pa, ls.manifold_pressure_pa])


def update_two_phase_loop(net, state, ln, ls, t_k) -> None:
    """Flows, pressures, films and advection coefficients of a two-phase loop at enthalpies ``t_k``."""
    fl = LoopFluid(ln, ls.homotopy)
    loop, sat = ln.loop, fl.sat
    p_now = ls.next_pressure_pa if ls.next_pressure_pa.size == fl.nodes.size else np.full(fl.nodes.size, fl.p_acc)
    nf = fl.fluid.size
    ls.pressure_pa, ls.manifold_pressure_pa = p_now[:nf].copy(), p_now[nf:].copy()
    maps = fl.maps(p_now)
    theta = t_k[fl.nodes]
    t_node, x_node = fl.state(theta, maps)
    _mixture_masses(net, state, fl, t_node[:nf], x_node[:nf], maps[:nf, 0])
    pieces = [_Pieces(fl, ln, bn, t_k, t_node, x_node, maps) for bn in ln.branches]

    def branch_dp(b, m_dot):
        return pieces[b].pressure_drop(loop.branches[b], m_dot)[0]

    pump_b = [b.name for b in loop.branches].index(loop.pump.branch)
    src = fl.local(ln.manifold[loop.branch(loop.pump.branch).source])
    rho_pump = float(sat.at(min(t_node[src], maps[src, 0]), "rho_f"))
    guess = ls.mass_flow_kg_s if np.any(ls.mass_flow_kg_s > 0) else None
    hyd = solve_hydraulics(loop, branch_dp, rho_pump, None, guess)
    ls.mass_flow_kg_s, ls.branch_dp_pa, ls.pump_head_pa = hyd.mass_flow_kg_s, hyd.branch_dp_pa, hyd.pump_head_pa
    ls.valve_dp_pa, ls.hydraulic_iterations, ls.cp_j_kgk = 0.0, hyd.iterations, fl.cp_ref
    ls.next_pressure_pa = np.concatenate(_pressures(fl, ln, pieces, hyd))
    m_pump = hyd.mass_flow_kg_s[pump_b]
    heat = []
    for b, (br, bn, pc) in enumerate(zip(loop.branches, ln.branches, pieces)):
        heat.append(pc.coefficients(state, br, bn, float(hyd.mass_flow_kg_s[b]), STAGNANT_FRACTION * m_pump,
                                    ls.piece_heat_w))
        state.adv_phase[bn.terms] = 1
        last = ln.inflow_terms[br.name]
        state.adv_phase[last] = 1
        m_dot = float(hyd.mass_flow_kg_s[b])
        if m_dot > STAGNANT_FRACTION * m_pump:
            state.adv_m_w_k[last], state.adv_stagnant[last] = m_dot * fl.cp_ref, 0
            state.adv_sat[last] = maps[fl.local(bn.fluid[-1])]
        else:  # the last piece's fluid to the target manifold: half a piece of still liquid
            k = float(sat.at(t_node[fl.local(bn.fluid[-1])], "k_f"))
            state.adv_m_w_k[last] = k * br.flow_area_m2 / max(0.5 * pc.ds[-1], 1e-3 * br.inner_diameter_m)
            state.adv_stagnant[last] = 1
            state.adv_sat[last] = maps[fl.local(ln.manifold[br.target])]
    ls.piece_heat_w = np.concatenate(heat)
    ls.pump_power_w = m_pump / rho_pump * ls.pump_head_pa / loop.pump.efficiency
    state.q_w[ln.pump_node] = net.q_w[ln.pump_node] + ls.pump_power_w


def _mixture_masses(net, state, fl, t_k, x, t_sat_k) -> None:
    """The heat capacity of a fluid node follows its quality: its volume (the network's mass of
    saturated liquid at the accumulator's set-point) holds the homogeneous mixture's density.  The
    mass a node gains or loses is the accumulator's (its enthalpy goes with it), so a step stores
    m(x) d(h) with m taken at the step's start, as the flows are."""
    sat = fl.sat
    volume = net.rho_v_kg[fl.fluid] / float(sat.at(fl.t_ref, "rho_f"))
    t_props = np.minimum(t_k, t_sat_k)
    state.rho_v_kg[fl.fluid] = volume / homogeneous_volume_m3_kg(x, sat.at(t_props, "rho_f"), sat.at(t_props, "rho_g"))


class _Pieces:
    """One branch's pieces at the lagged state: inflow and own node, pressure-drop and film inputs."""

    def __init__(self, fl, ln, bn, t_k, t_node, x_node, maps):
        self.fl = fl
        source = ln.manifold[ln.loop.branch(bn.name).source]
        self.inflow = fl.local(np.concatenate([[source], bn.fluid[:-1]]))
        self.own = fl.local(bn.fluid)
        self.theta_in = t_k[fl.nodes[self.inflow]]
        self.t_wall = t_k[np.maximum(bn.wall, 0)]
        self.maps_in = maps[self.inflow]
        self.maps_own = maps[self.own]
        self.x = 0.5 * (x_node[self.inflow] + x_node[self.own])
        t_sat = maps[self.own, 0]
        # subcooled liquid: the saturated liquid's properties at its own temperature; else at T_sat
        self.t_props = np.minimum(0.5 * (t_node[self.inflow] + t_node[self.own]), t_sat)
        self.t_sat = t_sat
        self.v_in = homogeneous_volume_m3_kg(x_node[self.inflow], *self._rho())
        self.v_out = homogeneous_volume_m3_kg(x_node[self.own], *self._rho())
        self.ds = bn.x1_m - bn.x0_m
        self.grad = np.zeros(self.ds.size)

    def _rho(self):
        sat = self.fl.sat
        return sat.at(self.t_props, "rho_f"), sat.at(self.t_props, "rho_g")

    def pressure_drop(self, br, m_dot):
        """(total [Pa], per-piece drop [Pa]) at mass flow ``m_dot``, odd in it."""
        sat, t, d = self.fl.sat, self.t_props, br.inner_diameter_m
        g = abs(m_dot) / br.flow_area_m2
        if g == 0.0:
            return 0.0, np.zeros(self.ds.size)
        grad = msh_gradient_pa_m(g, self.x, d, sat.at(t, "rho_f"), sat.at(t, "rho_g"), sat.at(t, "mu_f"),
                                 sat.at(t, "mu_g"), br.roughness_m / d)
        per_piece = grad * self.ds + g * g * (self.v_out - self.v_in)  # friction + homogeneous acceleration
        per_piece[-1] += 0.5 * br.fittings_k * g * g * float(np.mean(0.5 * (self.v_in + self.v_out)))
        total = float(per_piece.sum())
        return (total, per_piece) if m_dot > 0 else (-total, -per_piece)

    def film_w_k(self, br, m_dot, piece_heat_w):
        """Film conductance h pi d ds of each piece [W/K] by its regime."""
        sat, t, d, ds = self.fl.sat, self.t_props, br.inner_diameter_m, self.ds
        if br.film_w_m2k is not None:
            return br.film_w_m2k * np.pi * d * ds
        g = m_dot / br.flow_area_m2
        mu_f, cp_f, k_f = sat.at(t, "mu_f"), sat.at(t, "cp_f"), sat.at(t, "k_f")
        mu_g, cp_g, k_g = sat.at(t, "mu_g"), sat.at(t, "cp_g"), sat.at(t, "k_g")
        x0, x1 = np.cumsum(ds) - ds, np.cumsum(ds)
        liquid = piece_film_w_k(np.maximum(reynolds(m_dot, mu_f, d), 1e-300), mu_f * cp_f / k_f, k_f, d, x0, x1)
        vapour = piece_film_w_k(np.maximum(reynolds(m_dot, mu_g, d), 1e-300), mu_g * cp_g / k_g, k_g, d, x0, x1)
        q_flux = np.abs(piece_heat_w) / (np.pi * d * ds) if piece_heat_w.size == ds.size else np.zeros(ds.size)
        h_fg = sat.at(self.t_sat, "h_g") - sat.at(self.t_sat, "h_f")
        boil = gungor_winterton_w_m2k(g, self.x, d, q_flux, h_fg, sat.at(t, "rho_f"), sat.at(t, "rho_g"), mu_f,
                                      cp_f, k_f)
        condense = shah_condensation_w_m2k(g, self.x, d, sat.p_sat(self.t_sat) / sat.p_crit_pa, mu_f, cp_f, k_f)
        # blended across the regime edges (quality within BLEND_X of 0 or 1, wall within BLEND_K of
        # T_sat): a film that jumps between outer passes makes the fixed point cycle
        w_boil = np.clip(0.5 + (self.t_wall - self.t_sat) / (2 * BLEND_K), 0.0, 1.0)
        two = (w_boil * boil + (1 - w_boil) * condense) * np.pi * d * ds
        w_lo = np.clip(self.x / BLEND_X, 0.0, 1.0)
        w_hi = np.clip((1.0 - self.x) / BLEND_X, 0.0, 1.0)
        return (1 - w_lo) * liquid + w_lo * (w_hi * two + (1 - w_hi) * vapour)

    def coefficients(self, state, br, bn, m_dot, still, piece_heat_w):
        """Write the pieces' advection coefficients and maps; returns each piece's heat [W]."""
        cp_ref, terms = self.fl.cp_ref, bn.terms
        state.adv_sat[terms] = self.maps_in
        if m_dot <= still:  # still fluid conducts with its wall and along itself, as in liquid loops
            sat, t = self.fl.sat, self.t_props
            k = sat.at(t, "k_f")
            state.adv_c_w_k[terms] = np.where(bn.heated, NU_STAGNANT * np.pi * k * self.ds, 0.0)
            state.adv_m_w_k[terms] = k * br.flow_area_m2 / np.maximum(self.ds, 1e-3 * br.inner_diameter_m)
            state.adv_stagnant[terms] = 1
            state.adv_sat[terms] = self.maps_own
            return np.zeros(self.ds.size)
        m = m_dot * cp_ref
        g = np.where(bn.heated, self.film_w_k(br, m_dot, piece_heat_w), 0.0)
        state.adv_c_w_k[terms] = g  # the kernel marches each piece through its regimes with it
        state.adv_m_w_k[terms] = m
        state.adv_stagnant[terms] = 0
        mp = self.maps_in
        q = np.zeros(self.ds.size)
        for j in np.nonzero(bn.heated)[0]:
            q[j] = kernels.uniform_wall_heat(self.theta_in[j], self.t_wall[j], g[j], m, *mp[j, :5], mp[j, 6])
        return q


def _pressures(fl, ln, pieces, hyd):
    """Absolute pressure at every fluid node (its piece's outlet) and manifold, from the accumulator's
    at the pump's suction manifold along the branches."""
    loop = ln.loop
    p_man = {loop.branch(loop.pump.branch).source: fl.p_acc}
    p_fluid = [None] * len(loop.branches)
    for _ in range(len(loop.branches) + 1):
        for b, br in enumerate(loop.branches):
            if p_fluid[b] is not None or br.source not in p_man:
                continue
            rise = hyd.pump_head_pa if br.name == loop.pump.branch else 0.0
            _, per_piece = pieces[b].pressure_drop(br, float(hyd.mass_flow_kg_s[b]))
            p = p_man[br.source] + rise - np.cumsum(per_piece)
            p_fluid[b] = p
            p_man.setdefault(br.target, float(p[-1]))
    p_fluid = [p if p is not None else np.full(bn.fluid.size, fl.p_acc) for p, bn in zip(p_fluid, ln.branches)]
    p_all = np.concatenate(p_fluid)
    floor = 1e-3 * fl.p_acc  # a loop whose losses exceed its pressure would cavitate: reported, not solved
    return np.maximum(p_all, floor), np.array([max(p_man.get(m, fl.p_acc), floor) for m in ln.manifold])


def initial_enthalpies(ln, t_initial_k: float) -> np.ndarray:
    """theta of a two-phase loop's nodes (LoopFluid order) at the start: liquid at the initial
    temperature, or saturated liquid when that is above the accumulator's saturation (a loop is
    charged with liquid; starting at saturation also keeps Newton off the map's corner)."""
    fl = LoopFluid(ln)
    maps = fl.maps(np.full(fl.nodes.size, fl.p_acc))
    t = min(float(t_initial_k), fl.t_ref - START_SUBCOOLING_K)
    return maps[:, 1] + (t - maps[:, 0]) / maps[:, 3]  # liquid: the same under any homotopy


def pressure_lag_k(net, state) -> float:
    """How far [K] the saturation temperatures the maps in use are at lie from those of the pressures
    the last hydraulic solve found: the outer fixed point settles these too."""
    lag = 0.0
    for ln in net.loops:
        ls = state.loops[ln.loop.name]
        if not ln.loop.two_phase or ls.next_pressure_pa.size == 0 or ls.pressure_pa.size == 0:
            continue
        sat = saturation_table(ln.loop.fluid)
        now = np.concatenate([ls.pressure_pa, ls.manifold_pressure_pa])
        lag = max(lag, float(np.max(np.abs(sat.t_sat(ls.next_pressure_pa) - sat.t_sat(now)))))
    return lag


def initial_state(net, t_initial_k: float) -> np.ndarray:
    """The uniform start, fixed-temperature nodes at their values, two-phase loops' fluid nodes at
    their enthalpies."""
    t = np.full(net.n_nodes, float(t_initial_k))
    fixed = net.fixed.astype(bool)
    t[fixed] = net.t_fixed_k[fixed]
    for ln in net.loops:
        if ln.loop.two_phase:
            t[LoopFluid(ln).nodes] = initial_enthalpies(ln, t_initial_k)
    return t


def two_phase_status(ln, ls, t_k) -> dict:
    """A two-phase loop's output values: temperatures and qualities along it, dry-out, the pump
    inlet's subcooling (cavitation margin), pressures."""
    fl = LoopFluid(ln)
    maps = fl.maps(fl.pressures(ls))
    t_node, x_node = fl.state(t_k[fl.nodes], maps)
    nf = fl.fluid.size
    loop = ln.loop
    src = fl.local(ln.manifold[loop.branch(loop.pump.branch).source])
    last = fl.local(np.array([bn.fluid[-1] for bn in ln.branches]))
    first_in = fl.local(np.array([ln.manifold[b.source] for b in loop.branches]))
    return {
        "t_fluid": t_node[:nf], "quality": x_node[:nf], "pressure": fl.pressures(ls)[:nf],
        "manifold_pressure": fl.pressures(ls)[nf:],
        "t_in": t_node[first_in], "t_out": t_node[last], "exit_quality": x_node[last],
        "dryout": int(np.sum(x_node[:nf] >= 1.0)),
        "pump_inlet_subcooling": float(maps[src, 0] - t_node[src]),
        "manifolds": t_node[nf:],
    }
