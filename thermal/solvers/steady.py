"""Steady state: Newton from a uniform first guess; the energy balance is checked on the answer."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from thermal.errors import EnergyBalanceError, ModelError
from thermal.solvers.linalg import linear_solver_for
from thermal.solvers.newton import newton_solve
from thermal.solvers.system import Assembler, EnergyBalance, serial_blas

BALANCE_LIMIT = 1e-6  # relative; a converged Newton solution closes to ~1e-12, far below this


@dataclass
class Solution:
    """Temperatures at the output times, with the energy balance of each."""

    times_s: np.ndarray
    t_k: np.ndarray  # (nt, n_nodes)
    energy: list  # EnergyBalance per output time
    newton_iterations: int
    linear_method: str
    wall_s: float
    timings: dict = field(default_factory=dict)
    linear_stats: object = None
    steps_accepted: int = 0  # time steps (transients)
    steps_rejected: int = 0
    state: object = field(default=None, repr=False)  # the run state at the end (films, wetted fractions)
    heaters: dict | None = field(default=None, repr=False)  # transients: solvers.thermostats.HeaterLog.record()


def check_balance(balance: EnergyBalance, context: str):
    if not abs(balance.relative_error) <= BALANCE_LIMIT:
        raise EnergyBalanceError(f"{context}: energy balance does not close: generated {balance.generated_w:.6g} W"
                                 f" + absorbed {balance.absorbed_w:.6g} W - radiated {balance.radiated_w:.6g} W"
                                 f" - stored {balance.stored_w:.6g} W - conducted out {balance.conducted_out_w:.6g} W"
                                 f" = {balance.error_w:.3g} W (relative {balance.relative_error:.2e})")


def check_heat_has_a_sink(net, state) -> None:
    """A steady state exists only if every group of connected nodes that takes in heat can give it
    away: a radiating face with emittance > 0 or a fixed-temperature node in the group.  Without one
    Newton would chase T -> infinity (the review saw 1.5e19 K after 50 iterations); say which parts
    have no way out instead.  Still fluid (a loop branch with no flow) conducts along itself: enough
    to determine its temperature, far too little to count as a way out for heat (a loop whose flow
    never reaches its radiator would settle at 1e8 K through it)."""
    emits = net.surf_eps > 0.0
    if net.radiation is not None:  # only a view to space is a sink under exchange
        space = net.radiation.space_exchange_m2()
        emits &= space[net.surf_face] > 1e-9 * net.radiation.area_m2[net.surf_face] * net.surf_eps
    sinks = net.fixed.astype(bool).copy()
    sinks[net.surf_node[emits]] = True
    if sinks.all():  # every node is a way out itself (a radiating plate): no group can be stranded,
        return  # and the graph below costs 0.35 s at 10^6 nodes
    # links that conduct (reserved advection entries have no conductance), and the loops' terms that
    # carry heat in this run state (a branch with no flow joins only its walls)
    graph = net.matrix(np.isfinite(state.r_link).astype(float)).copy()  # own arrays: zeros are dropped below
    adv = net.advection
    still_links = None
    if adv.count:
        still = state.adv_stagnant == 1
        moving = (state.adv_m_w_k > 0) & ~still
        walled = (adv.wall >= 0) & (state.adv_c_w_k > 0)
        ref = np.where(still, adv.outflow, adv.inflow)
        graph = graph + _edges(np.concatenate([adv.inflow[moving], adv.wall[walled]]),
                               np.concatenate([adv.outflow[moving], ref[walled]]), graph.shape)
        still_links = _edges(adv.inflow[still], adv.outflow[still], graph.shape)
    if net.radiation is not None:  # exchange couples the nodes of patches that see each other
        first = np.full(net.radiation.count, -1)
        first[net.surf_face[::-1]] = net.surf_node[::-1]
        p, q = np.nonzero(net.radiation.exchange_m2 > 0.0)
        graph = graph + _edges(np.concatenate([net.surf_node, first[p]]),
                               np.concatenate([first[net.surf_face], first[q]]), graph.shape)
    absorbed = net.surf_area_m2 * (net.surf_alpha * state.face_q_solar_w_m2[net.surf_face]
                                   + net.surf_eps * state.face_q_ir_w_m2[net.surf_face])
    heated_nodes = np.zeros(net.n_nodes, bool)
    heated_nodes[state.q_w != 0.0] = True
    heated_nodes[net.surf_node[absorbed != 0.0]] = True
    stranded, heated_stranded = _stranded(graph, heated_nodes, sinks)
    if np.any(heated_stranded):
        stranded, why = heated_stranded, "take in heat but reach"
    else:
        if still_links is not None:
            stranded = _stranded(graph + still_links, heated_nodes, sinks)[0]
        if not np.any(stranded):
            return
        why = "are not determined: they reach"  # no heat and no sink: every uniform temperature is a steady state
    parts = [f"panel '{name}'" for name, idx in net.node_index.items() if np.any(stranded[idx[idx >= 0]])]
    parts += [f"node '{name}'" for name, i in zip(net.lumped_names, net.lumped_nodes) if stranded[i]]
    parts += [f"loop '{ln.loop.name}' branch '{bn.name}'" for ln in net.loops for bn in ln.branches
              if np.any(stranded[bn.fluid])]
    what = ", ".join(parts) or f"{int(stranded.sum())} nodes"
    raise ModelError(f"no steady state: {what} {why} no radiating face with emittance > 0 that sees space and no "
                     "fixed-temperature node (a loop branch with no flow does not carry heat); give a face a "
                     "coating, connect them to one, or run a transient")


def _edges(rows, cols, shape) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)


def _stranded(graph, heated_nodes, sinks):
    """(nodes in groups with no sink, nodes in groups with no sink that take in heat)."""
    graph = graph.tocsr()
    graph.eliminate_zeros()
    n_comp, label = connected_components(graph, directed=False)
    sunk = np.zeros(n_comp, bool)
    sunk[label[sinks]] = True
    heated = np.zeros(n_comp, bool)
    heated[label[heated_nodes]] = True
    stranded = ~sunk[label]
    return stranded, heated[label] & stranded


@serial_blas
def solve_steady(net, settings, assembler=None, linear=None, t_initial=None, state=None) -> Solution:
    """Newton on F(T) = 0 with the loads, fluxes and films of the run ``state`` (a fresh one from
    the network's base values if none is given; ignored when an ``assembler`` brings its own).
    Louvered radiation patches take their louvers' optics at the solution (Assembler)."""
    start = time.perf_counter()
    assembler = assembler or Assembler(net, state)
    linear = linear or linear_solver_for(net, settings, resumable=False)  # a steady solve writes no checkpoint
    check_heat_has_a_sink(net, assembler.state)
    t0 = assembler.initial_state(settings.initial_t_k) if t_initial is None else t_initial.copy()
    result = newton_solve(assembler, linear, t0, settings, context=" (steady state)")
    balance = assembler.energy(result.t_k)
    check_balance(balance, "steady state")
    return Solution(np.zeros(1), result.t_k[None, :], [balance], result.iterations, linear.method,
                    time.perf_counter() - start, linear_stats=linear.stats, state=assembler.state)
