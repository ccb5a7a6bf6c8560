"""Heat pipes -> network nodes and links.

Each pipe becomes
* a chain of **wall nodes**, one per piece of its path inside one cell column of the host layer
  (the path is cut where it crosses grid lines), joined axially through the wall's metal
  cross-section (axial wall conduction, with the wall material's k(T)); each holds the wall's mass;
* bonds from every wall node to the host layer's cells under its **saddle strip** (the strip of
  width ``saddle_width`` centred on the path), through the host's half-cell and an optional bond
  conductance per area;
* one **vapour node** (no capacity: the vapour's is negligible) joined to every wall node of an
  evaporator or condenser section by the film conductance per unit length x piece length.
A failed pipe keeps its wall (it still conducts) but has no vapour node.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from thermal.errors import CaseError
from thermal.physics.fluids import FluidRangeError, valid_range_k
from thermal.model.heat_pipe import HeatPipe
from thermal.physics.heat_pipes import film_conductance_w_mk, pipe_saturation, wick_properties

ROLE_CODE = {"evaporator": 1, "adiabatic": 0, "condenser": -1}


@dataclass(frozen=True)
class PipeNodes:
    """A pipe's place in the network (immutable); its state in a run is a ``run_state.PipeState``."""

    pipe: HeatPipe
    vapour: int  # node id, -1 for a failed pipe
    wall: np.ndarray  # node ids along the pipe
    length_m: np.ndarray  # of each wall piece
    role: np.ndarray  # +1 evaporator, 0 adiabatic, -1 condenser
    polylines: list  # (panel, [(x, y), ...]) for plots
    film: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # wall pieces with a film link
    pos_vapour_row: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # CSR entries (v, w)
    pos_wall_row: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # CSR entries (w, v)
    g_evaporator_w_mk: float = 0.0  # film conductances the network was built with
    g_condenser_w_mk: float = 0.0
    reservoir: int = -1  # a VCHP whose reservoir follows a lumped node: that node's id


def path_pieces(path, x_edges, y_edges):
    """Cut a polyline at grid lines: (x_mid, y_mid, length, along_x, along_y, x0, y0) per piece."""
    out = []
    for (ax, ay), (bx, by) in zip(path[:-1], path[1:]):
        dx, dy = bx - ax, by - ay
        seg = float(np.hypot(dx, dy))
        params = {0.0, 1.0}
        if dx != 0.0:
            params.update(((x_edges - ax) / dx)[((x_edges - ax) / dx > 0) & ((x_edges - ax) / dx < 1)].tolist())
        if dy != 0.0:
            params.update(((y_edges - ay) / dy)[((y_edges - ay) / dy > 0) & ((y_edges - ay) / dy < 1)].tolist())
        ts = np.array(sorted(params))
        along_x = abs(dy) <= 1e-12 * seg
        along_y = abs(dx) <= 1e-12 * seg
        for t0, t1 in zip(ts[:-1], ts[1:]):
            length = (t1 - t0) * seg
            if length <= 1e-12 * seg:
                continue
            tm = 0.5 * (t0 + t1)
            out.append((ax + tm * dx, ay + tm * dy, length, along_x, along_y, ax, ay))
    return out


def _strip(centre, width, edges, limit):
    lo, hi = max(centre - width / 2, 0.0), min(centre + width / 2, limit)
    overlap = np.clip(np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo), 0.0, None)
    cells = np.nonzero(overlap > 0)[0]
    return cells, overlap[cells] / overlap[cells].sum()


def film_conductances(case, pipe: HeatPipe, t_vapour_k: float) -> tuple[float, float]:
    """(evaporator, condenser) film conductance per unit length [W/(m K)] at the vapour temperature."""
    if pipe.film_evaporator_w_mk is not None and pipe.film_condenser_w_mk is not None:
        return pipe.film_evaporator_w_mk, pipe.film_condenser_w_mk
    sat = pipe_saturation(pipe, t_vapour_k)
    wall = case.materials[pipe.wall_material]
    k_wall = wall.k_inplane(t_vapour_k)
    g = film_conductance_w_mk(pipe, wick_properties(pipe, sat.k_l, k_wall), k_wall)
    return (pipe.film_evaporator_w_mk or g, pipe.film_condenser_w_mk or g)


def bond_path(b, case, mesh, host_nodes, layer: str, path, key: str, wall_mat, a_wall: float, saddle_width_m: float,
              saddle_w_m2k, through_dir, in_plane_dir, what: str):
    """Wall nodes along ``path`` in ``layer`` of a panel, one per piece inside one cell column, each
    bonded to the host cells under its saddle strip; with a wall material (``wall_mat``, metal
    cross-section ``a_wall``) they hold the wall's mass and conduct along it, without one (a channel
    bored in the host) they are the bore's surface, with no mass of their own.  Returns (node ids,
    piece lengths [m], piece midpoints)."""
    panel = mesh.panel
    li = [l.name for l in panel.layers].index(layer)
    ks = np.nonzero(mesh.z_layer == li)[0]
    k_host = int(ks[ks.size // 2])  # the path sits in the host layer's middle cell
    pieces = path_pieces(path, mesh.x_edges_m, mesh.y_edges_m)
    n = len(pieces)
    ds = np.array([p[2] for p in pieces])
    if wall_mat is not None:
        ids = b.add_nodes(n, wall_mat.rho_kg_m3 * a_wall * ds, b.table(wall_mat.cp),
                          (b.table(wall_mat.k_inplane), b.table(wall_mat.k_inplane)))
        # axial wall conduction along the section
        b.add_links(ids[:-1], ids[1:], 0.5 * ds[:-1] / a_wall, 0.5 * ds[1:] / a_wall, in_plane_dir, in_plane_dir, 0.0)
    else:
        ids = b.add_nodes(n, 0.0, 0, (0, 0))
    dz = mesh.dz[k_host]
    xc_i = np.clip(np.searchsorted(mesh.x_edges_m, [p[0] for p in pieces], "right") - 1, 0, mesh.shape[2] - 1)
    yc_j = np.clip(np.searchsorted(mesh.y_edges_m, [p[1] for p in pieces], "right") - 1, 0, mesh.shape[1] - 1)
    for w, p, i, j in zip(ids, pieces, xc_i, yc_j):
        if p[3]:  # along x: the saddle strip spreads across y
            jj, frac = _strip(p[6], saddle_width_m, mesh.y_edges_m, panel.length_y_m)
            ii = np.full(jj.size, i)
        elif p[4]:
            ii, frac = _strip(p[5], saddle_width_m, mesh.x_edges_m, panel.length_x_m)
            jj = np.full(ii.size, j)
        else:  # a diagonal run bonds to the column under its centreline
            ii, jj, frac = np.array([i]), np.array([j]), np.array([1.0])
        host = host_nodes[k_host, jj, ii]
        if np.any(host < 0):
            raise CaseError(case.file, f"{key}.path", f"({p[0] * 1e3:.4g}, {p[1] * 1e3:.4g}) mm",
                            f"layer '{layer}' of panel '{panel.name}' does not exist there (it covers "
                            f"only its footprints); lay the {what} in a layer that does")
        area = saddle_width_m * p[2] * frac
        r = 0.0 if saddle_w_m2k is None else 1.0 / (saddle_w_m2k * area)
        b.add_links(np.full(host.size, w), host, 0.0, 0.5 * dz / area, through_dir, through_dir, r)
    return ids, ds, [(p[0], p[1]) for p in pieces]


def add_heat_pipes(b, case, meshes, nodes_of, through_dir, in_plane_dir, lumped=None) -> list[PipeNodes]:
    """Add every pipe's nodes and links to the network builder ``b``; return their bookkeeping.
    ``lumped``: lumped node ids by name (a VCHP reservoir may follow one)."""
    out = []
    for pipe in case.heat_pipes:
        wall_mat = case.materials[pipe.wall_material]
        a_wall = pipe.wall_area_m2
        wall_ids, lengths, roles, polylines = [], [], [], []
        prev_last = None
        for sec in pipe.sections:
            ids, ds, _ = bond_path(b, case, meshes[sec.panel], nodes_of[sec.panel], sec.layer, sec.path_m, sec.key,
                                   wall_mat, a_wall, pipe.saddle_width_m, pipe.saddle_w_m2k, through_dir,
                                   in_plane_dir, "pipe")
            n = ids.size
            if prev_last is not None:  # the run between panels (adiabatic_length) conducts too
                gap = 0.5 * pipe.adiabatic_length_m / max(len(pipe.sections) - 1, 1)
                b.add_links([prev_last[0]], [ids[0]], (0.5 * prev_last[1] + gap) / a_wall,
                            (0.5 * ds[0] + gap) / a_wall, in_plane_dir, in_plane_dir, 0.0)
            prev_last = (int(ids[-1]), float(ds[-1]))
            wall_ids.append(ids)
            lengths.append(ds)
            roles.append(np.full(n, ROLE_CODE[sec.role], np.int8))
            polylines.append((sec.panel, list(sec.path_m)))
        wall = np.concatenate(wall_ids)
        length = np.concatenate(lengths)
        role = np.concatenate(roles)
        if pipe.failed:
            out.append(PipeNodes(pipe, -1, wall, length, role, polylines))
        else:
            t0 = case.solver.initial_t_k
            lo, hi = valid_range_k(pipe.fluid)
            if case.mode != "steady" and not lo < t0 < hi - 1.0:
                # a transient starts from this state: the pipe would start frozen or supercritical
                try:
                    pipe_saturation(pipe, t0)
                except FluidRangeError as exc:
                    raise CaseError(case.file, f"{pipe.key}.fluid", pipe.fluid,
                                    f"{exc} (the initial state, solver.initial_temperature)") from None
            # a steady first guess is only a guess: films start from the nearest working temperature
            g_e, g_c = film_conductances(case, pipe, min(max(t0, lo + 1.0), hi - 2.0))
            vapour = int(b.add_nodes(1, 0.0, 0, (0, 0))[0])
            film = np.nonzero(role != 0)[0]
            g = np.where(role[film] > 0, g_e, g_c) * length[film]
            b.add_links(np.full(film.size, vapour), wall[film], 0.0, 0.0, 0, 0, 1.0 / g)
            reservoir = (lumped or {}).get(pipe.gas.reservoir_node, -1) if pipe.gas is not None else -1
            out.append(PipeNodes(pipe, vapour, wall, length, role, polylines, film,
                                 g_evaporator_w_mk=g_e, g_condenser_w_mk=g_c, reservoir=reservoir))
    return out


def locate_film_entries(indptr, indices, pipes: list[PipeNodes]) -> list[PipeNodes]:
    """The pipes with the CSR positions of each film link, both directions, so that a run can
    change the film conductances in place."""
    out = []
    for pn in pipes:
        if pn.vapour < 0:
            out.append(pn)
            continue
        walls = pn.wall[pn.film]
        lo, hi = indptr[pn.vapour], indptr[pn.vapour + 1]
        pos_vapour_row = lo + np.searchsorted(indices[lo:hi], walls)
        pos_wall_row = np.array([indptr[w] + np.searchsorted(indices[indptr[w]:indptr[w + 1]], pn.vapour)
                                 for w in walls], np.int64)
        assert np.all(indices[pos_vapour_row] == walls) and np.all(indices[pos_wall_row] == pn.vapour)
        out.append(replace(pn, pos_vapour_row=pos_vapour_row, pos_wall_row=pos_wall_row))
    return out
