"""Pumped loops -> network nodes and advection terms.

Each loop becomes
* one **manifold node** per manifold (no capacity: it mixes what flows in);
* per branch, one **fluid node** per piece of its sections (a piece lies inside one cell column of
  its host, or is one of the ``pieces`` of a section on a lumped node), holding the fluid inside
  the piece, plus one for the unheated ``extra_length`` (or for a branch with no sections);
* per piece, a **wall node**: the tube's wall (its mass, axial conduction, bonded under its saddle
  like a heat pipe's wall: build/pipes.bond_path), a channel's bore surface in the host layer, or
  the lumped node itself.

The fluid leaves each piece at T_out = T_w + (T_in - T_w) exp(-NTU), exact for a wall at one
temperature over the piece, so the heat the piece takes from its wall is
c (T_w - T_in) with c = m_dot cp (1 - exp(-NTU)), NTU = h P L / (m_dot cp).  Each piece is one
**advection term** (kernels/advection.py): wall w, upstream fluid node ``inflow``, its own fluid node
``outflow``.  A manifold's inflow from each branch is a term without a wall.  The coefficients c and
m = m_dot cp change with the flows and the fluid's properties: they live in the run state
(solvers/loops.py writes them); the network holds only which nodes each term couples and the CSR
entries it writes (reserved here as links with no conductance).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from thermal.build.pipes import bond_path
from thermal.model.case import PropertyTable
from thermal.model.loop import Loop
from thermal.errors import CaseError
from thermal.physics import two_phase
from thermal.physics.coolants import CoolantRangeError, check_liquid, liquid_table

NO_CONDUCTANCE = np.inf  # a reserved CSR entry: 1/(r + ...) = 0 in the conduction kernel


@dataclass(frozen=True)
class BranchNodes:
    name: str
    fluid: np.ndarray  # fluid node ids in flow order (the last one feeds the target manifold)
    wall: np.ndarray  # wall node of each piece (-1: none, the extra length's node)
    x0_m: np.ndarray  # each piece's start and end, measured along the branch from its entry
    x1_m: np.ndarray
    heated: np.ndarray  # bool per fluid node: a piece with a wall (False: the unheated extra length)
    terms: np.ndarray  # advection term of each fluid node (global index)
    polylines: list  # (panel, [(x, y), ...]) of the panel sections, for plots


@dataclass(frozen=True)
class LoopNodes:
    """A loop's place in the network (immutable); its state in a run is a ``run_state.LoopState``."""

    loop: Loop
    manifold: dict  # manifold name -> node id
    branches: tuple  # BranchNodes, in the loop's branch order
    inflow_terms: dict  # branch name -> the term carrying it into its target manifold
    pump_node: int  # the fluid node the pump discharges into (takes the pump's heat)
    fluid_mass_kg: float
    terms: slice = field(default_factory=lambda: slice(0, 0))  # the loop's terms in the network's term arrays
    # two-phase loops: the fluid nodes hold theta = T_acc + (h - h_f(T_acc)) / cp_ref [K], cp_ref the
    # saturated liquid's at the accumulator's set-point (kernels/advection.py)
    cp_ref_j_kgk: float = 0.0


@dataclass(frozen=True)
class AdvectionTerms:
    """Every loop's advection terms, flat (the kernels' view): term k moves heat from ``wall[k]``
    (-1: none) into ``outflow[k]``, carried from ``inflow[k]``; ``pos_*`` are CSR entries."""

    wall: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    pos_w_in: np.ndarray
    pos_w_out: np.ndarray
    pos_out_in: np.ndarray
    pos_out_w: np.ndarray
    pos_in_out: np.ndarray

    @classmethod
    def empty(cls) -> "AdvectionTerms":
        z = np.zeros(0, np.int64)
        return cls(z, z, z, z, z, z, z, z)

    @property
    def count(self) -> int:
        return self.wall.size


class _Terms:
    def __init__(self):
        self.wall, self.inflow, self.outflow = [], [], []

    def add(self, wall, inflow, outflow) -> int:
        self.wall.append(wall)
        self.inflow.append(inflow)
        self.outflow.append(outflow)
        return len(self.wall) - 1


def add_loops(b, case, meshes, nodes_of, lumped, through_dir, in_plane_dir):
    """Add every loop's nodes to the builder ``b`` and reserve its terms' CSR entries; returns the
    loops' bookkeeping and the term lists (located in the CSR by ``locate_terms``)."""
    terms = _Terms()
    out = []
    for loop in case.loops:
        t0 = case.solver.initial_t_k
        if loop.two_phase:
            rho0, cp0 = _two_phase_fill(case, loop, t0)
        else:
            rho0, cp0 = _liquid_fill(case, loop, t0)
        cp_row = b.table(PropertyTable((300.0,), (float(cp0),)))
        start = len(terms.wall)
        manifold = {m: int(b.add_nodes(1, 0.0, 0, (0, 0))[0]) for m in loop.manifolds}
        branches, inflow_terms = [], {}
        mass = 0.0
        pump_node = -1
        for br in loop.branches:
            fluid, walls, x0, x1, heated, polylines = [], [], [], [], [], []
            x = 0.0
            upstream = manifold[br.source]
            term_ids = []
            for sec in br.sections:
                if sec.node is not None:
                    n = sec.node_pieces
                    ds = np.full(n, sec.node_length_m / n)
                    wall_ids = np.full(n, lumped[sec.node], np.int64)
                else:
                    tube = sec.kind == "tube"
                    wall_mat = case.materials[br.wall_material] if tube else None
                    a_wall = 0.25 * np.pi * (br.outer_diameter_m ** 2 - br.inner_diameter_m ** 2)
                    wall_ids, ds, _ = bond_path(b, case, meshes[sec.panel], nodes_of[sec.panel], sec.layer, sec.path_m,
                                                sec.key, wall_mat, a_wall, br.saddle_width_m, br.saddle_w_m2k,
                                                through_dir, in_plane_dir, "loop's tube")
                    polylines.append((sec.panel, list(sec.path_m)))
                m_fluid = rho0 * br.flow_area_m2 * ds
                ids = b.add_nodes(ds.size, m_fluid, cp_row, (0, 0))
                mass += float(m_fluid.sum())
                for w, f, d in zip(wall_ids, ids, ds):
                    term_ids.append(terms.add(int(w), upstream, int(f)))
                    upstream = int(f)
                    x0.append(x)
                    x += float(d)
                    x1.append(x)
                fluid.extend(ids.tolist())
                walls.extend(int(w) for w in wall_ids)
                heated.extend([True] * ids.size)
            if br.extra_length_m > 0.0 or not br.sections:
                # the unheated tubing: its fluid is carried (and stored) before the target manifold
                m_fluid = rho0 * br.flow_area_m2 * br.extra_length_m
                f = int(b.add_nodes(1, m_fluid, cp_row, (0, 0))[0])
                mass += float(m_fluid)
                term_ids.append(terms.add(-1, upstream, f))
                upstream = f
                fluid.append(f)
                walls.append(-1)
                x0.append(x)
                x1.append(x + br.extra_length_m)
                heated.append(False)
            if br.name == loop.pump.branch:
                pump_node = fluid[0]
            inflow_terms[br.name] = terms.add(-1, upstream, manifold[br.target])
            branches.append(BranchNodes(br.name, np.asarray(fluid, np.int64), np.asarray(walls, np.int64),
                                        np.asarray(x0), np.asarray(x1), np.asarray(heated, bool),
                                        np.asarray(term_ids, np.int64), polylines))
        out.append(LoopNodes(loop, manifold, tuple(branches), inflow_terms, pump_node, mass,
                             slice(start, len(terms.wall)), float(cp0) if loop.two_phase else 0.0))
    _reserve(b, terms)
    return out, terms


def _liquid_fill(case, loop, t0):
    """(density, cp) of a liquid loop's fill at the initial temperature; a transient must start liquid."""
    table = liquid_table(loop.fluid, loop.concentration)
    if case.mode != "steady":  # a transient starts from this state (a steady one only guesses it)
        try:
            check_liquid(table, t0, "the initial state, solver.initial_temperature: ")
        except CoolantRangeError as exc:
            raise CaseError(case.file, f"{loop.key}.fluid", loop.fluid, str(exc)) from None
    valve = loop.valve
    if valve is not None and not table.t_freeze_k < valve.set_point_k < table.t_max_k:
        raise CaseError(case.file, f"{valve.key}.set_point", f"{valve.set_point_k - 273.15:.2f} degC",
                        f"outside the liquid range of {table.name} ({table.t_freeze_k - 273.15:.2f} to "
                        f"{table.t_max_k - 273.15:.2f} degC): the loop cannot be held there")
    rho0, cp0, _, _ = table.at(t0)
    return float(rho0), float(cp0)


def _two_phase_fill(case, loop, t0):
    """(density, cp_ref) of a two-phase loop: charged with saturated liquid at the accumulator's
    set-point (the network holds that fill; in a run each node's mass follows its quality: solvers/two_phase.py)."""
    sat = two_phase.saturation_table(loop.fluid)
    if case.mode != "steady" and t0 <= sat.t_freeze_k:
        raise CaseError(case.file, f"{loop.key}.fluid", loop.fluid, f"the initial state, solver.initial_temperature: "
                        f"{loop.fluid} at {t0 - 273.15:.2f} degC is frozen (it freezes at "
                        f"{sat.t_freeze_k - 273.15:.2f} degC)")
    t_acc = loop.accumulator.saturation_temperature_k
    return float(sat.at(t_acc, "rho_f")), float(sat.at(t_acc, "cp_f"))


def _reserve(b, terms: _Terms) -> None:
    """Reserve the CSR entries the terms write: (wall, inflow), (wall, outflow), (outflow, inflow),
    each pair once (two branches leaving one manifold over one lumped node share a pair)."""
    pairs = set()
    for w, i, o in zip(terms.wall, terms.inflow, terms.outflow):
        pairs.add((min(i, o), max(i, o)))
        if w >= 0:
            pairs.add((min(w, i), max(w, i)))
            pairs.add((min(w, o), max(w, o)))
    if pairs:
        a, c = np.array(sorted(pairs), np.int64).T
        b.add_links(a, c, 0.0, 0.0, 0, 0, NO_CONDUCTANCE)


def locate_terms(indptr, indices, terms: _Terms) -> AdvectionTerms:
    """The terms with the CSR position of each entry they write."""
    if not terms.wall:
        return AdvectionTerms.empty()
    wall, inflow, outflow = (np.asarray(v, np.int64) for v in (terms.wall, terms.inflow, terms.outflow))

    def pos(rows, cols):
        out = np.full(rows.size, -1, np.int64)
        for k, (r, c) in enumerate(zip(rows, cols)):
            if r < 0 or c < 0:
                continue
            lo, hi = indptr[r], indptr[r + 1]
            e = lo + np.searchsorted(indices[lo:hi], c)
            assert indices[e] == c
            out[k] = e
        return out

    return AdvectionTerms(wall, inflow, outflow, pos(wall, inflow), pos(wall, outflow), pos(outflow, inflow),
                          pos(outflow, wall), pos(inflow, outflow))
