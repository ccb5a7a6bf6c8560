"""The thermal network: node arrays and conductive links in a fixed CSR pattern.

Everything the kernels need, and nothing about geometry.  A finite-volume panel and a lumped
spacecraft model are the same thing here: nodes with a capacitance, a fixed heat load and
radiating surfaces, joined by links.

Link model (one per CSR off-diagonal entry, stored from the row node's side)::

    1/G_ij = r_ij + ( s_i / k_i(T_i) + s_j / k_j(T_j) )

``s = (half cell width) / (face area)`` [1/m] for the half cell of each end (0 for a lumped node),
``k`` that node's conductivity in the link's direction (in-plane or through-thickness), ``r`` a
contact resistance [K/W].  The parenthesised sum is commutative in IEEE arithmetic, so
``G_ij == G_ji`` bit for bit and conduction conserves energy to round-off.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np
import scipy.sparse as sp

from thermal.model.case import Case, Face, Footprint, Panel, PropertyTable
from thermal.errors import CaseError
from thermal.build.mesh import PanelMesh, build_panel_mesh
from thermal.build.control import HeaterTerms, add_heaters, locate_heaters, louver_rows
from thermal.build.loops import AdvectionTerms, add_loops, locate_terms
from thermal.build.pipes import add_heat_pipes, locate_film_entries
from thermal.build.pattern import entry_halves, link_entries, type_table
from thermal.build.radiation import PatchList, build_radiation, patch_edges, rectangle_patches, \
    surface_polygons
from thermal.physics import geometry as geo
from thermal.physics.pcm import effective_cp

IN_PLANE, THROUGH = 0, 1

@dataclass(frozen=True)
class Network:
    """Node, link and surface arrays (SI units).  Kernels index these directly.

    Immutable once built: every array is read-only.  ``q_w``, ``r_link`` and the face fluxes are the
    base values a run starts from; what a run changes lives in its ``run_state.RunState``."""

    n_nodes: int
    # nodes
    rho_v_kg: np.ndarray  # mass of each node [kg]; lumped nodes: 1 kg with cp = their capacitance
    cp_tab: np.ndarray  # property-table row of cp(T) for each node
    k_tab: np.ndarray  # (n, 2) table rows of k(T) in-plane and through-thickness
    q_w: np.ndarray  # fixed heat load [W] (base: schedules scale it in the run state)
    fixed: np.ndarray  # uint8: 1 = boundary node held at t_fixed_k
    t_fixed_k: np.ndarray
    # property tables (piecewise linear, constant beyond the ends)
    tab_t: np.ndarray  # (n_tab, n_pts) K
    tab_v: np.ndarray  # (n_tab, n_pts)
    tab_n: np.ndarray  # (n_tab,) points used in each row
    # links, CSR with the diagonal included (diag_pos[i] = entry of (i, i)); int32 pattern
    indptr: np.ndarray
    indices: np.ndarray
    diag_pos: np.ndarray
    # each entry's two half-links by number: code 2 t + side is link type t seen from its end
    # ``side`` (build/pattern.py); link_s[t] the two ends' s = half-length / area [1/m], link_dir[t]
    # their directions (0 in-plane, 1 through): 4 bytes an entry, not 18 (entry_halves expands them)
    link_code: np.ndarray  # uint32 per entry
    link_s: np.ndarray  # (n_types, 2)
    link_dir: np.ndarray  # (n_types, 2) uint8
    r_link: np.ndarray  # contact resistance [K/W]
    # radiating surfaces
    surf_node: np.ndarray
    surf_area_m2: np.ndarray
    surf_eps: np.ndarray
    surf_alpha: np.ndarray
    surf_face: np.ndarray  # index into face_names
    face_names: list
    face_q_solar_w_m2: np.ndarray  # incident flux on each face (constant environment)
    face_q_ir_w_m2: np.ndarray
    t_sink_k: float
    # bookkeeping for output
    meshes: dict = field(default_factory=dict)  # panel name -> PanelMesh
    node_index: dict = field(default_factory=dict)  # panel name -> (nz, ny, nx) global node id, -1 void
    material_id: dict = field(default_factory=dict)  # panel name -> (nz, ny, nx) index into material_names
    material_names: list = field(default_factory=list)
    lumped_names: list = field(default_factory=list)
    lumped_nodes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    surface_node_count: int = 0
    scheduled_loads: list = field(default_factory=list)  # (schedule name, node ids, base loads W)
    chips: list = field(default_factory=list)  # (panel, footprint, heated node ids, junction limit K | None)
    heat_pipes: tuple = ()  # build.pipes.PipeNodes
    face_normal: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))  # body axes; 0 without an orbit
    radiation: object = None  # build.radiation.RadiationModel (face k of the network = patch k), or None
    solar_arrays: tuple = ()  # SolarArray
    loops: tuple = ()  # build.loops.LoopNodes
    advection: AdvectionTerms = field(default_factory=AdvectionTerms.empty)  # every loop's terms
    heaters: HeaterTerms = field(default_factory=HeaterTerms.empty)
    melting: dict = field(default_factory=dict)  # phase-change material name -> (solidus, liquidus) K
    # louvered surfaces: surface index, table rows of their effective eps(T) and alpha(T)
    louver_surf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    louver_eps_row: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    louver_alpha_row: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # an exchange case's constant fluxes before reflections off other patches (face_q_* add them)
    face_q_solar_direct_w_m2: np.ndarray = field(default_factory=lambda: np.zeros(0))
    face_q_ir_direct_w_m2: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
        for f in fields(self.advection):
            getattr(self.advection, f.name).flags.writeable = False
        for idx in (*self.node_index.values(), *self.material_id.values()):
            idx.flags.writeable = False

    def with_loads(self, q_w: np.ndarray) -> "Network":
        """The same network with other fixed heat loads [W] (a manufactured source, a study)."""
        return replace(self, q_w=np.array(q_w, float))

    @property
    def s_self(self) -> np.ndarray:
        """Per entry: the row node's half-link s [1/m] (expanded from the codes: for inspection and tests)."""
        return entry_halves(self.link_code, self.link_s, self.link_dir)[0]

    @property
    def s_other(self) -> np.ndarray:
        return entry_halves(self.link_code, self.link_s, self.link_dir)[1]

    @property
    def dir_self(self) -> np.ndarray:
        return entry_halves(self.link_code, self.link_s, self.link_dir)[2]

    @property
    def dir_other(self) -> np.ndarray:
        return entry_halves(self.link_code, self.link_s, self.link_dir)[3]

    @property
    def n_links(self) -> int:
        return (self.indices.size - self.n_nodes) // 2

    @property
    def constant_conductivity(self) -> bool:
        used = np.bincount(self.k_tab.ravel(), minlength=self.tab_n.size) > 0  # not np.unique: 60 ms at 10^6 nodes
        return bool(np.all(self.tab_n[used] == 1))

    @property
    def symmetric(self) -> bool:
        """A = -dF/dT symmetric: constant conductivities, no advection (which couples one way) and no
        heaters (a heater's law couples its nodes to its sensor one way)."""
        return self.constant_conductivity and not self.loops and not self.heaters.count

    def matrix(self, data: np.ndarray) -> sp.csr_matrix:
        """A scipy CSR matrix on the fixed pattern that shares ``data`` (no copy)."""
        m = sp.csr_matrix((data, self.indices, self.indptr), shape=(self.n_nodes, self.n_nodes), copy=False)
        m.has_sorted_indices = True
        return m


@dataclass(frozen=True)
class SolarArray:
    """A solar array's node and the faces of its front (its electrical power comes from their sunlight)."""

    name: str
    node: int
    front_faces: np.ndarray
    front_area_m2: np.ndarray
    efficiency: float


class _Builder:
    def __init__(self, case: Case):
        self.case = case
        self.tables: dict = {}
        self.tab_rows: list = []
        self.rho_v, self.cp_tab, self.k_tab, self.q, self.fixed, self.t_fixed = [], [], [], [], [], []
        self.links = []  # (i, j, s_i, s_j, dir_i, dir_j, r)
        self.surfaces = []  # (node, area, eps, alpha, face)
        self.surface_total = 0  # surfaces added so far
        self.louvered = []  # (first surface, count, eps table row, alpha table row)
        self.face_names, self.face_qs, self.face_qir, self.face_normals = [], [], [], []
        self.patches = PatchList() if case.radiation is not None else None
        self.n = 0
        self.surface_count = 0
        self.scheduled = []  # (schedule name, node ids, base loads W) of footprints with a schedule
        self.chips = []  # (panel, footprint, node ids of its heated cells, junction limit K or None)

    def table(self, prop) -> int:
        key = (prop.t_k, prop.value)
        if key not in self.tables:
            self.tables[key] = len(self.tab_rows)
            self.tab_rows.append(key)
        return self.tables[key]

    def add_nodes(self, count, rho_v, cp_tab, k_tabs, q=0.0, fixed=0, t_fixed=0.0) -> np.ndarray:
        ids = np.arange(self.n, self.n + count)
        self.n += count
        self.rho_v.append(np.broadcast_to(np.asarray(rho_v, float), (count,)).copy())
        # table rows and node numbers are int32 (far below 2^31): 4 bytes a value less on every node
        self.cp_tab.append(np.full(count, cp_tab, np.int32))
        self.k_tab.append(np.broadcast_to(np.asarray(k_tabs, np.int32), (count, 2)).copy())
        self.q.append(np.broadcast_to(np.asarray(q, float), (count,)).copy())
        self.fixed.append(np.full(count, fixed, np.uint8))
        self.t_fixed.append(np.full(count, t_fixed, float))
        return ids

    def add_links(self, i, j, s_i, s_j, dir_i, dir_j, r):
        # node numbers as int32 while they fit, and no resistances where all are zero (the common
        # case): the pieces are the build's largest temporaries (21 -> 13 MB on a 512^2 plate)
        i = np.asarray(i, np.int32 if self.n < 2**31 else np.int64).ravel()
        if i.size == 0:
            return
        b = lambda v, dt=float: np.broadcast_to(np.asarray(v, dt), i.shape).ravel().copy()  # noqa: E731
        r = None if np.ndim(r) == 0 and r == 0.0 else b(r)
        self.links.append((i, b(j, i.dtype), b(s_i), b(s_j), b(dir_i, np.int8), b(dir_j, np.int8), r))

    def face(self, name, face) -> int:
        self.face_names.append(name)
        self.face_qs.append(face.solar_flux_w_m2)
        self.face_qir.append(face.ir_flux_w_m2)
        self.face_normals.append(face.normal if face.normal is not None else (0.0, 0.0, 0.0))
        return len(self.face_names) - 1

def _panel(b: _Builder, panel: Panel, mesh: PanelMesh, material_names: list):
    case = b.case
    nz, ny, nx = mesh.shape
    present = mesh.present
    node = -np.ones(mesh.shape, np.int64)
    node[present] = np.arange(b.n, b.n + int(present.sum()))
    dx, dy, dz = mesh.dx, mesh.dy, mesh.dz
    vol = dz[:, None, None] * dy[None, :, None] * dx[None, None, :]

    mat_id = -np.ones(mesh.shape, np.int16)
    for k in range(nz):
        layer = panel.layers[mesh.z_layer[k]]
        mat_id[k][present[k]] = material_names.index(layer.material)
    q = _panel_loads(b, panel, mesh, node)
    # nodes, layer by layer so each block shares its property tables
    for k in range(nz):
        layer = panel.layers[mesh.z_layer[k]]
        mat = case.materials[layer.material]
        cnt = int(present[k].sum())
        b.add_nodes(cnt, mat.rho_kg_m3 * vol[k][present[k]], b.table(storage_cp(mat)),
                    (b.table(mat.k_inplane), b.table(mat.k_through)), q=q[k][present[k]])
    _panel_links(b, panel, mesh, node)
    _panel_faces(b, panel, mesh, node)
    return node, mat_id


def _panel_loads(b: _Builder, panel: Panel, mesh: PanelMesh, node: np.ndarray) -> np.ndarray:
    """Heat load of each cell [W]: exact overlap of each footprint (and its hot spots) with the cells
    of its power layer; records the chips' junction cells and the scheduled loads."""
    case = b.case
    present, dz = mesh.present, mesh.dz
    q = np.zeros(mesh.shape)
    for fp in panel.footprints:
        if fp.power_w == 0.0:
            continue
        lname = fp.layer
        if lname is None:
            covering = [l.name for l in panel.layers if l.on is None or fp.name in l.on]
            lname = covering[-1]
        li = [l.name for l in panel.layers].index(lname)
        ks = np.where(mesh.z_layer == li)[0]
        weight = mesh.footprint_overlap_m2(fp)[None, :, :] * dz[ks][:, None, None] * present[ks]
        total = weight.sum()
        if total <= 0.0:
            raise CaseError(case.file, f"panels.{panel.name}.footprints.{fp.name}", fp.name,
                            f"no cell of layer '{lname}' lies under this footprint; refine the mesh or "
                            "set snap_to_footprints = true")
        share = fp.power_w * (1.0 - sum(h[4] for h in fp.hot_spots)) * weight / total
        for x0, x1, y0, y1, frac in fp.hot_spots:
            w = mesh.footprint_overlap_m2(Footprint("", x0, x1, y0, y1, 0.0, None))[None, :, :] \
                * dz[ks][:, None, None] * present[ks]
            share = share + fp.power_w * frac * w / w.sum()
        q[ks] += share
        # the chip's junction cells: its power layer over the footprint (the die, for a chip stack)
        b.chips.append((panel.name, fp.name, node[ks][weight > 0], fp.junction_limit_k))
        if fp.schedule is not None:
            cells = share > 0
            b.scheduled.append((fp.schedule, node[ks][cells], share[cells]))
    return q


def _panel_links(b: _Builder, panel: Panel, mesh: PanelMesh, node: np.ndarray) -> None:
    """Links in x, y (in-plane) and z (through-thickness, with the layers' contact conductances)."""
    present = mesh.present
    dx, dy, dz = mesh.dx, mesh.dy, mesh.dz
    nz, ny, nx = mesh.shape
    xa = present[:, :, :-1] & present[:, :, 1:]
    area = (dz[:, None] * dy[None, :])[:, :, None] * np.ones((1, 1, nx - 1))
    s_l = (0.5 * dx[:-1])[None, None, :] / area
    s_r = (0.5 * dx[1:])[None, None, :] / area
    b.add_links(node[:, :, :-1][xa], node[:, :, 1:][xa], s_l[xa], s_r[xa], IN_PLANE, IN_PLANE, 0.0)
    ya = present[:, :-1, :] & present[:, 1:, :]
    area = (dz[:, None] * dx[None, :])[:, None, :] * np.ones((1, ny - 1, 1))
    s_l = (0.5 * dy[:-1])[None, :, None] / area
    s_r = (0.5 * dy[1:])[None, :, None] / area
    b.add_links(node[:, :-1, :][ya], node[:, 1:, :][ya], s_l[ya], s_r[ya], IN_PLANE, IN_PLANE, 0.0)
    za = present[:-1] & present[1:]
    area_xy = dy[:, None] * dx[None, :]
    for k in range(nz - 1):
        m = za[k]
        if not m.any():
            continue
        upper = panel.layers[mesh.z_layer[k + 1]]
        r = 0.0
        if mesh.z_layer[k + 1] != mesh.z_layer[k] and upper.contact_below_w_m2k is not None:
            r = 1.0 / (upper.contact_below_w_m2k * area_xy[m])
        b.add_links(node[k][m], node[k + 1][m], 0.5 * dz[k] / area_xy[m], 0.5 * dz[k + 1] / area_xy[m],
                    THROUGH, THROUGH, r)


def _panel_faces(b: _Builder, panel: Panel, mesh: PanelMesh, node: np.ndarray) -> None:
    """Radiating faces: the exposed top/bottom of columns whose outer cell is a whole-panel layer.
    In a radiation-exchange case each face is cut into patches, one network face each."""
    case = b.case
    present, dz = mesh.present, mesh.dz
    area_xy = mesh.dy[:, None] * mesh.dx[None, :]
    for side, face in panel.faces.items():
        coat = case.coatings[face.coating]
        k_outer = _outer_cells(present, side)
        has = k_outer >= 0
        jj, ii = np.nonzero(has)
        kk = k_outer[has]
        layer_is_full = np.array([layer.on is None for layer in panel.layers], dtype=bool)
        full = layer_is_full[mesh.z_layer[kk]]
        jj, ii, kk = jj[full], ii[full], kk[full]
        cells = node[kk, jj, ii]
        area = area_xy[jj, ii]
        if b.patches is None:
            fid = np.full(cells.size, b.face(f"{panel.name}.{side}", face), np.int64)
        else:
            # a louvered face's patches start from the louver closed, as its surfaces do
            optics = (coat.eps, coat.alpha) if face.louver is None else \
                (case.louvers[face.louver].eps[0], case.louvers[face.louver].alpha[0])
            fid = _patch_faces(b, panel, mesh, side, face, optics, jj, ii)
        if panel.surface_nodes:
            # A zero-capacity node on the face, half a cell from the centre: the face temperature
            # radiates, not the centre's (second-order through-thickness radiation).
            surf = b.add_nodes(cells.size, 0.0, 0, (0, 0))
            b.add_links(surf, cells, 0.0, 0.5 * dz[kk] / area, THROUGH, THROUGH, 0.0)
            b.surface_count += cells.size
            cells = surf
        eps, alpha = coat.eps, coat.alpha
        if face.louver is not None:
            louver = case.louvers[face.louver]
            eps, alpha = louver.eps[0], louver.alpha[0]  # the base values: closed (the assembler moves them)
            b.louvered.append((b.surface_total, cells.size, *louver_rows(b, louver)))
        b.surfaces.append((cells.astype(np.int32), area, np.full(cells.size, eps), np.full(cells.size, alpha),
                           fid.astype(np.int32)))
        b.surface_total += cells.size


def _patch_faces(b: _Builder, panel: Panel, mesh: PanelMesh, side: str, face, optics, jj, ii) -> np.ndarray:
    """One network face per patch of a panel face; returns the face of each radiating column."""
    px, py = face.patches
    xi = patch_edges(mesh.x_edges_m, px)
    yi = patch_edges(mesh.y_edges_m, py)
    w = panel.placement
    col_patch = np.searchsorted(xi, ii, side="right") - 1
    row_patch = np.searchsorted(yi, jj, side="right") - 1
    ids = np.zeros((py, px), np.int64)
    for j in range(py):
        for i in range(px):
            label = f"{panel.name}.{side}" + (f"[{i},{j}]" if (px, py) != (1, 1) else "")
            ids[j, i] = b.face(label, face)
            poly = geo.rectangle(w.origin_m, w.x_axis, w.y_axis, mesh.x_edges_m[xi[i]], mesh.x_edges_m[xi[i + 1]],
                                 mesh.y_edges_m[yi[j]], mesh.y_edges_m[yi[j + 1]])
            b.patches.add(label, f"{panel.name}.{side}", geo.reverse(poly) if side == "bottom" else poly, *optics,
                          int(ids[j, i]), panel.name)
    return ids[row_patch, col_patch]


def _add_surfaces(b: _Builder, case: Case, lumped: dict) -> list:
    """Ray-stopping polygons (each placed panel's plate: both its faces lie in its plane), and solar
    arrays, walls and blockers: their polygons stop rays, and (arrays, walls) radiating patches on a
    lumped node."""
    for panel in case.panels:
        if panel.placement is not None:
            w = panel.placement
            b.patches.blockers.append(geo.rectangle(w.origin_m, w.x_axis, w.y_axis, 0.0, panel.length_x_m, 0.0,
                                                    panel.length_y_m))
            b.patches.blocker_names.append(panel.name)
    arrays = []
    for s in case.surfaces:
        polys = surface_polygons(s)
        b.patches.blockers.extend(polys)
        b.patches.blocker_names.extend([s.name] * len(polys))
        if s.shape in ("box", "cylinder"):
            b.patches.solids.append((s.name, s.shape, s))
        if s.kind == "blocker":
            continue
        if s.kind == "solar_array":
            ids = b.add_nodes(1, 1.0, b.table(PropertyTable((300.0,), (s.capacitance_j_k,))), (0, 0))
            node = int(ids[0])
            lumped[s.name] = node
        elif s.node is not None:
            node = lumped[s.node]
        else:
            ids = b.add_nodes(1, 1.0, b.table(PropertyTable((300.0,), (1.0,))), (0, 0), fixed=1, t_fixed=s.t_fixed_k)
            node = int(ids[0])
            lumped[s.name] = node
        front_faces, front_area = [], []
        for side, face in (("front", s.front), ("back", s.back)):
            if face is None:
                continue
            coat = case.coatings[face.coating]
            if s.shape == "rectangle":
                pieces = rectangle_patches(s.placement, s.size_m[0], s.size_m[1], face.patches, side == "back")
            else:
                pieces = [((0, 0), geo.reverse(polys[0]) if side == "back" else polys[0])]
            for (i, j), poly in pieces:
                label = f"{s.name}.{side}" + (f"[{i},{j}]" if face.patches != (1, 1) else "")
                normal = geo.area_normal(poly)[1]
                fid = b.face(label, face if case.orbit is None else
                             Face(face.coating, 0.0, 0.0, tuple(float(v) for v in normal), face.patches))
                b.patches.add(label, f"{s.name}.{side}", poly, coat.eps, coat.alpha, fid, s.name)
                area = geo.area_normal(poly)[0]
                b.surface_total += 1
                b.surfaces.append((np.array([node]), np.array([area]), np.array([coat.eps]), np.array([coat.alpha]),
                                   np.array([fid])))
                if side == "front":
                    front_faces.append(fid)
                    front_area.append(area)
        if s.kind == "solar_array":
            arrays.append(SolarArray(s.name, node, np.asarray(front_faces, np.int64), np.asarray(front_area),
                                     s.efficiency))
    return arrays


def _outer_cells(present: np.ndarray, side: str) -> np.ndarray:
    """(ny, nx) index k of the topmost (or bottommost) present cell of each column, -1 if none."""
    nz = present.shape[0]
    any_ = present.any(axis=0)
    if side == "top":
        k = nz - 1 - np.argmax(present[::-1], axis=0)
    else:
        k = np.argmax(present, axis=0)
    return np.where(any_, k, -1)

def _region_cells(case: Case, mesh: PanelMesh, node: np.ndarray, ep):
    """Cells of a panel region with their face areas and half-widths normal to the region."""
    present = mesh.present
    dx, dy, dz = mesh.dx, mesh.dy, mesh.dz
    nz, ny, nx = mesh.shape
    if ep.region in ("top", "bottom"):
        k_outer = _outer_cells(present, ep.region)
        mask = k_outer >= 0
        if ep.footprint:
            fp = next(f for f in mesh.panel.footprints if f.name == ep.footprint)
            mask &= mesh.footprint_overlap_m2(fp) > 0
        jj, ii = np.nonzero(mask)
        kk = k_outer[mask]
        return node[kk, jj, ii], dy[jj] * dx[ii], 0.5 * dz[kk], THROUGH
    if ep.region in ("xmin", "xmax"):
        i = 0 if ep.region == "xmin" else nx - 1
        kk, jj = np.nonzero(present[:, :, i])
        return node[kk, jj, i], dz[kk] * dy[jj], 0.5 * dx[i] * np.ones(kk.size), IN_PLANE
    j = 0 if ep.region == "ymin" else ny - 1
    kk, ii = np.nonzero(present[:, j, :])
    return node[kk, j, ii], dz[kk] * dx[ii], 0.5 * dy[j] * np.ones(kk.size), IN_PLANE

def storage_cp(mat) -> PropertyTable:
    """The heat capacity a node of this material stores with: sensible, plus the latent heat of a
    phase-change material over its melting range (physics/pcm.py)."""
    if not mat.is_pcm:
        return mat.cp
    return PropertyTable(*effective_cp(mat.cp.t_k, mat.cp.value, *mat.melting_k, mat.latent_heat_j_kg))


def _endpoint_cells(case: Case, meshes: dict, nodes_of: dict, lumped: dict, ep):
    """(node ids, areas [m2], centres (n, 3) in panel axes) of a lumped node or a panel region."""
    if ep.node is not None:
        return np.array([lumped[ep.node]], np.int64), np.ones(1), np.zeros((1, 3))
    mesh, index = meshes[ep.panel], nodes_of[ep.panel]
    cells, area, _, _ = _region_cells(case, mesh, index, ep)
    kk, jj, ii = np.nonzero(np.isin(index, cells))
    at = {int(index[k, j, i]): (k, j, i) for k, j, i in zip(kk, jj, ii)}
    xc, yc = 0.5 * (mesh.x_edges_m[1:] + mesh.x_edges_m[:-1]), 0.5 * (mesh.y_edges_m[1:] + mesh.y_edges_m[:-1])
    zc = 0.5 * (mesh.z_edges_m[1:] + mesh.z_edges_m[:-1])
    pos = np.array([(xc[at[int(c)][2]], yc[at[int(c)][1]], zc[at[int(c)][0]]) for c in cells]).reshape(-1, 3)
    return np.asarray(cells, np.int64), np.asarray(area, float), pos


def _louver_surfaces(louvered: list):
    if not louvered:
        z = np.zeros(0, np.int64)
        return z, z.copy(), z.copy()
    surf = np.concatenate([np.arange(first, first + count) for first, count, _, _ in louvered]).astype(np.int64)
    eps_row = np.concatenate([np.full(count, e, np.int64) for _, count, e, _ in louvered])
    alpha_row = np.concatenate([np.full(count, a, np.int64) for _, count, _, a in louvered])
    return surf, eps_row, alpha_row


def links_to_csr(n, li, lj, si, sj, di, dj, r) -> dict:
    """CSR arrays (diagonal included, rows and columns sorted) from a list of undirected links.
    ``r``: the links' contact resistances [K/W], or an empty array for none.

    Link k joins nodes li[k] and lj[k]; (si, di) describe li's half and (sj, dj) lj's.  Each link
    becomes two entries, (i, j) from i's side and (j, i) from j's side, coded by the link's type
    (Network.link_code).  The 32-bit pattern is what scipy and pyamg keep as it is (they copy 64-bit
    ones down to 32 bits whenever the values fit), and the kernels stream half the bytes.
    """
    li = np.asarray(li, np.int32 if n < 2**31 else np.int64)
    lj = np.asarray(lj, li.dtype)
    r = np.asarray(r, float)
    has_r = r.size > 0 and bool(r.any())
    types, link_s, link_dir = type_table(np.broadcast_to(np.asarray(si, float), li.shape),
                                         np.broadcast_to(np.asarray(sj, float), li.shape),
                                         np.broadcast_to(np.asarray(di, np.int8), li.shape),
                                         np.broadcast_to(np.asarray(dj, np.int8), li.shape))
    nnz = 2 * li.size + n
    out = dict(indptr=np.empty(n + 1, np.int32), indices=np.empty(nnz, np.int32), diag_pos=np.empty(n, np.int32),
               link_code=np.empty(nnz, np.uint32), r_link=np.empty(nnz if has_r else 0))
    duplicate = link_entries(n, li, lj, types, r if has_r else np.zeros(0), *out.values())
    del types
    # where no link has a resistance, one zero seen by every entry (42 MB of them on a 1024^2 plate)
    out["r_link"] = out["r_link"] if has_r else np.broadcast_to(np.zeros(1), (nnz,))
    if duplicate >= 0:
        cols = out["indices"][out["indptr"][duplicate]:out["indptr"][duplicate + 1]]
        raise ValueError(f"nodes {duplicate} and {int(cols[np.argmax(np.diff(cols) == 0)])}")
    out.update(link_s=link_s, link_dir=link_dir)
    return out


def _csr_of_links(b: _Builder) -> dict:
    """The builder's links as CSR arrays; the builder's pieces are let go as soon as they are joined,
    one field at a time (a 1024^2 plate's links are ~55 MB in pieces)."""
    n, case = b.n, b.case
    count = sum(piece[0].size for piece in b.links)
    if 2 * count + n >= 2**31:  # ~70 GB of network: far beyond any machine this runs on
        raise CaseError(case.file, "panels", f"{n} nodes and {count} links", "fewer than 2^31 matrix entries")
    # pieces without resistances hold None: zeros where another piece has some, else none at all
    # (links_to_csr then leaves r_link zero)
    with_r = any(piece[6] is not None for piece in b.links)
    b.links[:] = [piece[:6] + ((np.zeros(piece[0].size) if piece[6] is None else piece[6]) if with_r
                               else np.zeros(0),) for piece in b.links]
    node = np.int32 if n < 2**31 else np.int64
    li, lj, si, sj, di, dj, r = _joined(b.links, (node, node, float, float, np.int8, np.int8, float))
    try:
        out = links_to_csr(n, li, lj, si, sj, di, dj, r)
    except ValueError as exc:
        raise CaseError(case.file, "contacts", str(exc), "two links join the same pair of nodes "
                        "(overlapping contact regions); merge them") from None
    return out


def _joined(pieces: list, dtypes) -> list:
    """The pieces' fields (tuples of arrays) joined field by field, each field's pieces let go as it
    is joined (all joined at once, pieces and whole were held together: 20 MB more on a 512^2 plate)."""
    if not pieces:
        return [np.zeros(0, dt) for dt in dtypes]
    columns = [list(c) for c in zip(*pieces)]
    pieces.clear()
    out = []
    for k, dt in enumerate(dtypes):
        out.append(np.concatenate(columns[k]).astype(dt, copy=False))
        columns[k] = None
    return out


def _zero_or(values: np.ndarray) -> np.ndarray:
    """``values``, or where all are zero (no contact resistance, no fixed node) one zero seen by
    every element instead of 8 bytes each (42 MB of resistances on a 1024^2 plate); read-only like
    every network array."""
    return np.broadcast_to(np.zeros(1), values.shape) if not values.any() else values


def _add_contacts(b: _Builder, case: Case, meshes: dict, nodes_of: dict, lumped: dict) -> None:
    """Contact links: lumped node to lumped node, or lumped node to a panel region (a total
    conductance shared over the region's area, or one per area)."""
    for c in case.contacts:
        if c.failed:
            continue
        ends = [c.a, c.b]
        node_end = next(e for e in ends if e.node is not None)
        other = ends[1] if ends[0] is node_end else ends[0]
        ni = lumped[node_end.node]
        if other.node is not None:
            b.add_links([ni], [lumped[other.node]], 0.0, 0.0, 0, 0, 1.0 / c.conductance_w_k)
            continue
        mesh = meshes[other.panel]
        cells, area, half, direction = _region_cells(case, mesh, nodes_of[other.panel], other)
        if cells.size == 0:
            raise CaseError(case.file, c.key, f"{other.panel}.{other.region}", "the region has no cells")
        if c.conductance_w_k is not None:
            h = c.conductance_w_k / area.sum()
            r = 1.0 / (h * area)
        elif c.conductance_w_m2k is not None:
            r = 1.0 / (c.conductance_w_m2k * area)
        else:
            r = 0.0
        b.add_links(np.full(cells.size, ni), cells, 0.0, half / area, direction, direction, r)


def _property_tables(rows: list):
    """(t, value, count) arrays of the piecewise-linear tables, rows padded to the longest."""
    npts = max(len(t) for t, _ in rows)
    tab_t = np.zeros((len(rows), npts))
    tab_v = np.zeros((len(rows), npts))
    tab_n = np.zeros(len(rows), np.int64)
    for row, (t, v) in enumerate(rows):
        tab_t[row, :len(t)], tab_v[row, :len(v)], tab_n[row] = t, v, len(t)
    return tab_t, tab_v, tab_n


def build_network(case: Case) -> Network:
    """Mesh every panel and assemble nodes, links (CSR) and radiating surfaces."""
    b = _Builder(case)
    material_names = sorted(case.materials)
    meshes, nodes_of, mats_of = {}, {}, {}
    # table 0: a constant 1 (dummy k for zero-volume nodes; never divided by: their s is 0)

    b.table(PropertyTable((300.0,), (1.0,)))
    for panel in case.panels:
        mesh = build_panel_mesh(panel)
        meshes[panel.name] = mesh
        nodes_of[panel.name], mats_of[panel.name] = _panel(b, panel, mesh, material_names)

    lumped = {}
    for ln in case.nodes:
        fixed = ln.fixed_t_k is not None
        # a lumped node is "1 kg" of a material whose cp is its capacitance, so the storage kernel
        # treats cells and lumped nodes alike
        ids = b.add_nodes(1, 1.0, b.table(PropertyTable((300.0,), (ln.capacitance_j_k,))), (0, 0),
                          q=ln.power_w, fixed=int(fixed), t_fixed=ln.fixed_t_k or 0.0)
        lumped[ln.name] = int(ids[0])

    arrays = _add_surfaces(b, case, lumped) if b.patches is not None else []
    _add_contacts(b, case, meshes, nodes_of, lumped)

    pipes = add_heat_pipes(b, case, meshes, nodes_of, THROUGH, IN_PLANE, lumped)
    loops, terms = add_loops(b, case, meshes, nodes_of, lumped, THROUGH, IN_PLANE)
    heaters = add_heaters(b, case.heaters, lambda ep: _endpoint_cells(case, meshes, nodes_of, lumped, ep))
    n = b.n
    csr = _csr_of_links(b)
    tab_t, tab_v, tab_n = _property_tables(b.tab_rows)

    sn, sa, se, sal, sf = _joined(b.surfaces, (np.int32, float, float, float, np.int32))
    pipes = locate_film_entries(csr["indptr"], csr["indices"], pipes)
    advection = locate_terms(csr["indptr"], csr["indices"], terms)
    heater_terms = locate_heaters(csr["indptr"], csr["indices"], heaters)
    louvers = _louver_surfaces(b.louvered)
    radiation = None
    face_qs, face_qir = np.asarray(b.face_qs, float), np.asarray(b.face_qir, float)
    direct = (face_qs.copy(), face_qir.copy()) if b.patches is not None else (np.zeros(0), np.zeros(0))
    if b.patches is not None:
        radiation = build_radiation(case, b.patches)
        # constant fluxes (no orbit) reach other patches by reflection too
        face_qs = face_qs + radiation.reflect_solar @ face_qs
        face_qir = face_qir + radiation.reflect_ir @ face_qir
    q = np.concatenate(b.q)
    for a in arrays:  # a constant environment: the arrays' electrical power leaves them
        q[a.node] -= a.efficiency * float(a.front_area_m2 @ face_qs[a.front_faces])
    net = Network(
        n_nodes=n, rho_v_kg=np.concatenate(b.rho_v), cp_tab=np.concatenate(b.cp_tab),
        k_tab=np.concatenate(b.k_tab), q_w=q, fixed=np.concatenate(b.fixed),
        t_fixed_k=_zero_or(np.concatenate(b.t_fixed)), tab_t=tab_t, tab_v=tab_v, tab_n=tab_n,
        **csr,
        surf_node=sn, surf_area_m2=sa, surf_eps=se, surf_alpha=sal, surf_face=sf,
        face_names=b.face_names, face_q_solar_w_m2=face_qs, face_q_ir_w_m2=face_qir, t_sink_k=case.t_sink_k,
        meshes=meshes, node_index=nodes_of, material_id=mats_of, material_names=material_names,
        # vapour nodes are reported with the lumped nodes (/nodes/T)
        lumped_names=list(lumped) + [f"{p.pipe.name}.vapour" for p in pipes if p.vapour >= 0],
        lumped_nodes=np.asarray(list(lumped.values()) + [p.vapour for p in pipes if p.vapour >= 0], np.int64),
        surface_node_count=b.surface_count, scheduled_loads=b.scheduled, chips=b.chips, heat_pipes=tuple(pipes),
        face_normal=np.asarray(b.face_normals, float).reshape(-1, 3), radiation=radiation, solar_arrays=tuple(arrays),
        loops=tuple(loops), advection=advection, heaters=heater_terms,
        melting={name: m.melting_k for name, m in case.materials.items() if m.is_pcm and name in material_names}, louver_surf=louvers[0],
        louver_eps_row=louvers[1], louver_alpha_row=louvers[2], face_q_solar_direct_w_m2=direct[0],
        face_q_ir_direct_w_m2=direct[1],
    )
    return net
