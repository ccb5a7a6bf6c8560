"""Surface-to-surface radiation: patches, view factors with blocking, grey diffuse exchange.

Every radiating face of a radiation-exchange case is cut into patches (rectangles whose edges are
cell edges, so a patch's area is exactly the sum of its cells' faces).  Between patches:

* **View factors** F_ij, exact for unobstructed planar polygons (the contour integral of
  physics/view_factors.py) after each patch is clipped to the half-space in front of the other (the
  part behind sees nothing: exact, not an approximation), times the pair's visible share found by
  ray casting (physics/rays.py: n x n sample points on each, weighted by cos cos / r^2, the
  integrand of the view factor).  Computed once per unordered pair, so A_i F_ij = A_j F_ji to
  round-off; 1 - sum_j F_ij is the view to space (and the Earth).
* **Grey diffuse exchange, infrared band**: with incidence factors R = (I - F diag(1 - eps))^-1 F
  (the share of what leaves i, emitted or reflected, that falls on j after any number of diffuse
  reflections), the total exchange areas are S = diag(A eps) R diag(eps) (symmetric: S_ij = S_ji).
  Patch p then absorbs G_p A_p = sum_q S_qp (E_q - sigma T_sink^4) from the emission of all patches
  (itself included, by reflection), E_q = its cells' area-mean of sigma T^4, while each cell keeps
  emitting eps sigma A (T^4 - T_sink^4) as before: what is not absorbed by another patch goes to
  space, which is the only sink.  The solver adds a_s G_p to each cell s of patch p (kernels/
  exchange.py) and the exact Jacobian as a rank-r correction (solvers/linalg.py).
* **Reflected environment**: sunlight and albedo reflect diffusely with 1 - alpha, Earth infrared
  with 1 - eps; what patch p reflects falls on j as R_pj (solar band R with alpha).  So the incident
  flux including reflections is H' = H + Q H with Q = diag(1/A) R^T diag((1 - alpha) A).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numba
import numpy as np
import scipy.linalg
import scipy.linalg.lapack

from thermal.errors import CaseError
from thermal.physics import geometry as geo
from thermal.physics.rays import batch_visibility, blocked
from thermal.physics.view_factors import GAUSS_X, GAUSS_W, NEAR_FACTOR, batch_exchange_areas, classify_pairs, exchange_area
from thermal.threads import kernel_threads

OVERLAP_TOLERANCE = 1e-6  # sum_j F_ij above 1 by more than this: surfaces overlap or cross


@dataclass
class PatchList:
    """Patches as the network builder makes them (one network face each)."""

    names: list = field(default_factory=list)
    owners: list = field(default_factory=list)  # "panel.top", "array.front", ...
    polygons: list = field(default_factory=list)
    eps: list = field(default_factory=list)
    alpha: list = field(default_factory=list)
    faces: list = field(default_factory=list)  # network face index
    plates: list = field(default_factory=list)  # name of the panel or surface each patch lies on
    blockers: list = field(default_factory=list)  # polygons that stop rays (one per plate, blocker faces)
    blocker_names: list = field(default_factory=list)
    solids: list = field(default_factory=list)  # (name, kind, placement, size) of boxes and cylinders

    def add(self, name, owner, polygon, eps, alpha, face, plate):
        self.plates.append(plate)
        self.names.append(name)
        self.owners.append(owner)
        self.polygons.append(np.asarray(polygon, float))
        self.eps.append(eps)
        self.alpha.append(alpha)
        self.faces.append(face)


@dataclass(frozen=True)
class RadiationModel:
    """The exchange of a network (immutable once built; arrays read-only)."""

    names: list  # patch names
    owners: list  # the surface each patch belongs to
    polygons: list  # (m, 3) each, counter-clockwise from the front
    area_m2: np.ndarray  # geometric area of each patch
    normal: np.ndarray  # (r, 3)
    eps: np.ndarray
    alpha: np.ndarray
    view_factor: np.ndarray  # F (r, r), blocking included
    view_factor_unblocked: np.ndarray
    exchange_m2: np.ndarray  # S (r, r), total exchange areas (infrared)
    reflect_solar: np.ndarray  # Q (r, r): incident solar including reflections = H + Q H
    reflect_ir: np.ndarray
    points: np.ndarray  # (r, m, 3) sample points for shadows and the Earth
    frames: np.ndarray  # (r, 3, 3) rows (t1, t2, n) of each patch
    blockers: tuple  # geometry.polygon_set of every ray-stopping polygon
    blocker_names: list
    reciprocity_error: float  # max |A_i F_ij - A_j F_ji| / max(A_i F_ij)
    closure: np.ndarray  # sum_j F_ij per patch (1 - closure: the view to space)
    rays: int  # segments cast for blocking
    timings_s: dict

    def __post_init__(self):
        for value in self.__dict__.values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    @property
    def count(self) -> int:
        return len(self.names)

    def space_exchange_m2(self) -> np.ndarray:
        """A eps - sum_q S_pq: the exchange area of each patch with space."""
        return self.area_m2 * self.eps - self.exchange_m2.sum(axis=1)


def patch_edges(edges: np.ndarray, count: int) -> np.ndarray:
    """Indices into ``edges`` (cell edges) of ``count`` patches' edges, as near to equal widths as
    the cells allow, strictly increasing."""
    n = edges.size - 1
    target = edges[0] + (edges[-1] - edges[0]) * np.arange(count + 1) / count
    idx = np.array([int(np.argmin(np.abs(edges - x))) for x in target])
    idx[0], idx[-1] = 0, n
    for k in range(1, count):  # keep at least one cell per patch on either side
        idx[k] = min(max(idx[k], idx[k - 1] + 1), n - (count - k))
    return idx


def placement_key(case, name: str) -> str:
    """The case-file key that places a named panel or surface."""
    return f"panels.{name}.placement" if any(p.name == name for p in case.panels) else f"surfaces.{name}"


def check_overlaps(case, patches: PatchList) -> None:
    """Refuse surfaces that coincide (overlap in one plane) or cross (an edge of one passes through
    the inside of another).  Touching is allowed: shared edges, a fin's edge on a plate."""
    polys, names = patches.blockers, patches.blocker_names
    if not polys:
        return
    verts, count, normals, offset, bounds = geo.polygon_set(polys)
    size = float(np.ptp(np.vstack(polys), axis=0).max())
    tol = 1e-9 * size
    for a in range(len(polys)):
        for b in range(len(polys)):
            if names[a] == names[b] or not np.all(bounds[a, :3] <= bounds[b, 3:] + tol) \
                    or not np.all(bounds[b, :3] <= bounds[a, 3:] + tol):
                continue
            pa, pb = polys[a], polys[b]
            if a < b and abs(abs(float(normals[a] @ normals[b])) - 1.0) < 1e-12 \
                    and abs(float(normals[a] @ (pb[0] - pa[0]))) <= tol:
                inter = pa
                for k in range(len(pb)):
                    edge = pb[(k + 1) % len(pb)] - pb[k]
                    inward = np.cross(normals[b], edge)
                    inter = geo.clip_to_front(inter, pb[k], inward / np.linalg.norm(inward), -tol)
                    if len(inter) < 3:
                        break
                if len(inter) >= 3 and geo.area_normal(inter)[0] > 1e-9 * min(geo.area_normal(pa)[0],
                                                                               geo.area_normal(pb)[0]):
                    raise CaseError(case.file, placement_key(case, names[b]), f"{names[a]} / {names[b]}",
                                    "these surfaces overlap in one plane (coincident); move one of them")
                continue
            for k in range(len(pa)):
                start, end = pa[k], pa[(k + 1) % len(pa)]
                length = float(np.linalg.norm(end - start))
                if length > 0 and blocked(start, (end - start) / length, length, verts[b:b + 1], count[b:b + 1],
                                          normals[b:b + 1], offset[b:b + 1], bounds[b:b + 1]):
                    raise CaseError(case.file, placement_key(case, names[b]), f"{names[a]} / {names[b]}",
                                    "these surfaces cross: an edge of the first passes through the second; "
                                    "move them apart (touching along an edge is fine)")


def build_radiation(case, patches: PatchList) -> RadiationModel:
    """View factors (blocking included), exchange areas and reflection operators of the patches."""
    check_placements(case, patches)
    check_overlaps(case, patches)
    settings = case.radiation
    r = len(patches.names)
    polys = patches.polygons
    areas = np.zeros(r)
    normals = np.zeros((r, 3))
    centres = np.zeros((r, 3))
    for i, p in enumerate(polys):
        areas[i], normals[i] = geo.area_normal(p)
        centres[i] = p.mean(axis=0)
    size = max((float(np.ptp(np.vstack(polys + patches.blockers), axis=0).max()) if polys else 1.0), 1e-30)
    tol = 1e-9 * size
    n_pts = settings.blocking_points
    points = np.array([geo.sample_points(p, n_pts) if len(p) == 4 else
                       np.vstack([p.mean(axis=0)] * (n_pts * n_pts)) for p in polys]).reshape(r, n_pts * n_pts, 3)
    blockers = geo.polygon_set(patches.blockers)
    t0 = time.perf_counter()
    # a patch's own plate cannot block rays that leave it or reach it: leave it out of its pairs' tests
    first = {}
    for k, name in enumerate(patches.blocker_names):
        first.setdefault(name, k)
    plate = np.array([first.get(name, -1) for name in patches.plates], np.int64)
    f_unblocked, exch, rays, t_exact, t_block = _pair_factors(polys, areas, normals, centres, points, blockers, plate,
                                                              tol)
    # A_i F_ij (exch) is symmetric by construction; F itself is made in place (r x r arrays dominate
    # the memory of a large model: 10^4 patches make each one 0.8 GB)
    recip = _asymmetry(exch) / max(float(np.max(exch)), 1e-300) if r else 0.0
    f_unblocked /= areas[:, None]
    f = exch
    f /= areas[:, None]
    closure = f.sum(axis=1)
    worst = int(np.argmax(closure)) if r else 0
    if r and closure[worst] > 1.0 + OVERLAP_TOLERANCE:
        raise CaseError(case.file, "radiation", patches.names[worst],
                        f"this patch's view factors add up to {closure[worst]:.6f} > 1: surfaces overlap, cross or "
                        "coincide; move them apart")
    eps = np.asarray(patches.eps, float)
    alpha = np.asarray(patches.alpha, float)
    t_view = time.perf_counter() - t0
    s_ir, q_ir = grey_exchange(f, areas, eps)
    _, q_solar = grey_exchange(f, areas, alpha)
    frames = np.array([geo.frame(n) for n in normals]).reshape(r, 3, 3)
    return RadiationModel(list(patches.names), list(patches.owners), [p.copy() for p in polys], areas, normals, eps,
                          alpha, f, f_unblocked, s_ir, q_solar, q_ir, points, frames, blockers,
                          list(patches.blocker_names), recip, closure, rays,
                          {"exact_s": t_exact, "blocking_s": t_block, "view_factors_s": t_view,
                           "total_s": time.perf_counter() - t0})


def with_optics(model: RadiationModel, eps: np.ndarray, alpha: np.ndarray) -> RadiationModel:
    """The model with other patch emittances and absorptances: exchange areas and reflection
    operators rebuilt from the same view factors (geometry is not recomputed)."""
    eps, alpha = np.array(eps, float), np.array(alpha, float)
    s_ir, q_ir = grey_exchange(model.view_factor, model.area_m2, eps)  # reads F, writes its own arrays
    _, q_solar = grey_exchange(model.view_factor, model.area_m2, alpha)
    return replace(model, eps=eps, alpha=alpha, exchange_m2=s_ir, reflect_solar=q_solar, reflect_ir=q_ir)


PARALLEL_MIN_PAIRS = 512


def _pair_factors(polys, areas, normals, centres, points, blockers, plate, tol):
    """(A_i F_ij unobstructed, A_i F_ij with blocking), both symmetric, rays cast and the two timings.
    Pairs are sorted out by a compiled pass (coplanar, or wholly behind the other's plane: nothing;
    partly behind: clipped, exactly, then the contour integral); the rest go to the compiled batch
    kernels."""
    r = len(polys)
    k = max((len(p) for p in polys), default=3)
    padded = np.zeros((r, k, 3))
    count = np.zeros(r, np.int64)
    for i, p in enumerate(polys):
        padded[i, :len(p)] = p
        padded[i, len(p):] = p[-1]  # repeat the last vertex: harmless in the plane tests below
        count[i] = len(p)
    simple, clipped = classify_pairs(padded, count, centres, normals, tol)
    start = time.perf_counter()
    # pairs are independent: threads pay from a few hundred (each is microseconds of work), unless
    # the machine is already busy (thermal/threads.py)
    numba.set_num_threads(kernel_threads(len(simple), min_items=PARALLEL_MIN_PAIRS))
    values = np.zeros(len(simple))
    adaptive = np.zeros(len(simple), np.bool_)
    batch_exchange_areas(simple, padded, count, GAUSS_X, GAUSS_W, NEAR_FACTOR, values, adaptive)
    for q in np.nonzero(adaptive)[0]:
        i, j = simple[q]
        values[q] = exchange_area(polys[i], polys[j])
    clipped_values = np.zeros(len(clipped))
    for q, (i, j) in enumerate(clipped.tolist()):
        a = geo.clip_to_front(polys[i], centres[j], normals[j], tol)
        b = geo.clip_to_front(polys[j], centres[i], normals[i], tol)
        if len(a) >= 3 and len(b) >= 3 and geo.area_normal(a)[0] > tol * tol and geo.area_normal(b)[0] > tol * tol:
            clipped_values[q] = exchange_area(a, b)
    pairs = np.concatenate([simple, clipped])
    values = np.concatenate([values, clipped_values])
    keep = values > 0.0  # round-off of a grazing pair, or nothing left after clipping
    pairs, values = pairs[keep], values[keep]
    exact = np.zeros((r, r))
    exact[pairs[:, 0], pairs[:, 1]] = values
    exact[pairs[:, 1], pairs[:, 0]] = values
    t_exact = time.perf_counter() - start
    start = time.perf_counter()
    vis = np.ones(len(pairs))
    verts, bcount, bnormals, offset, bounds = blockers
    cast = np.zeros(1, np.int64)
    if len(bcount):
        batch_visibility(pairs, points, normals, plate, padded, count, verts, bcount, bnormals, offset, bounds, tol, vis,
                         cast)
    visible = np.zeros((r, r))
    values *= vis
    visible[pairs[:, 0], pairs[:, 1]] = values
    visible[pairs[:, 1], pairs[:, 0]] = values
    return exact, visible, int(cast[0]), t_exact, time.perf_counter() - start


def _asymmetry(m: np.ndarray, block: int = 1024) -> float:
    """max |m - m^T| a block of rows at a time (no r x r temporary)."""
    worst = 0.0
    for lo in range(0, m.shape[0], block):
        worst = max(worst, float(np.max(np.abs(m[lo:lo + block] - m[:, lo:lo + block].T), initial=0.0)))
    return worst


def _mirror_lower(m: np.ndarray, block: int = 1024) -> None:
    """Copy the lower triangle of m onto its upper one in place, block by block."""
    r = m.shape[0]
    for lo in range(0, r, block):
        diag = m[lo:lo + block, lo:lo + block]
        diag[...] = np.tril(diag) + np.tril(diag, -1).T
        for lo2 in range(lo + block, r, block):
            m[lo:lo + block, lo2:lo2 + block] = m[lo2:lo2 + block, lo:lo + block].T


def _symmetrise(m: np.ndarray, block: int = 1024) -> None:
    """m = (m + m^T) / 2 in place, block by block."""
    r = m.shape[0]
    for lo in range(0, r, block):
        for lo2 in range(lo, r, block):
            upper = m[lo:lo + block, lo2:lo2 + block]
            mean = 0.5 * (upper + m[lo2:lo2 + block, lo:lo + block].T)
            m[lo:lo + block, lo2:lo2 + block] = mean
            m[lo2:lo2 + block, lo:lo + block] = mean.T


SPD_MIN_REFLECTANCE = 0.01  # below this 1 - a the symmetric route divides by near zero: LU instead


def grey_exchange(f: np.ndarray, area: np.ndarray, absorptance: np.ndarray):
    """(total exchange areas S = diag(A a) R diag(a), reflection operator Q) for one band with
    absorptance a, R = (I - F diag(1 - a))^-1 F.

    With d = 1 - a > 0 and F = diag(1/A) X (X = A_i F_ij, symmetric), R = D^-1 (C^-1 A D^-1 - I) with
    C = A D^-1 - X, which is symmetric and strictly diagonally dominant (A_i / d_i > A_i sum_j F_ij),
    so positive definite.  Hence S = W C^-1 W - diag(A a^2 / d), W = diag(A a / d), and
    Q = D^-1 C^-1 A - I: one Cholesky inverse (r^3 flops) where LU and r solves take 2.7 r^3.
    The subtractions cost |A a^2 / d| eps absolute, so d below SPD_MIN_REFLECTANCE (black or nearly
    black patches) takes the LU route instead, as does a C that Cholesky refuses."""
    r = area.size
    if r == 0:
        return np.zeros((0, 0)), np.zeros((0, 0))
    d = 1.0 - absorptance
    if d.min() >= SPD_MIN_REFLECTANCE:
        c = -(f * area[:, None])
        _symmetrise(c)
        c.flat[::r + 1] += area / d
        c_t = c.T  # Fortran order, no copy: LAPACK works on it in place (c is symmetric)
        factor, info = scipy.linalg.lapack.dpotrf(c_t, lower=False, overwrite_a=True, clean=False)
        if info == 0:
            inverse, info = scipy.linalg.lapack.dpotri(factor, lower=False, overwrite_c=True)
        if info == 0:
            inverse = inverse.T  # C order again, the inverse in its lower triangle
            _mirror_lower(inverse)
            w = area * absorptance / d
            s = inverse * w[:, None]
            s *= w[None, :]
            s.flat[::r + 1] -= area * absorptance ** 2 / d
            _symmetrise(s)  # (C^-1_ij w_i) w_j and (C^-1_ji w_j) w_i round differently
            q = inverse
            q *= (1.0 / d)[:, None]
            q *= area[None, :]
            q.flat[::r + 1] -= 1.0
            return s, q
    m = f * (absorptance - 1.0)[None, :]
    m.flat[::r + 1] += 1.0
    incidence = scipy.linalg.lu_solve(scipy.linalg.lu_factor(m, overwrite_a=True, check_finite=False), f,
                                      check_finite=False)
    del m
    q = np.empty((r, r))  # C order, as the kernels are compiled for
    np.multiply(incidence.T, (d * area)[None, :], out=q)
    q /= area[:, None]
    s = incidence
    s *= (area * absorptance)[:, None]
    s *= absorptance[None, :]
    _symmetrise(s)  # symmetric in exact arithmetic; make it so to the last bit
    return s, q


def rectangle_patches(where, lx: float, ly: float, counts: tuple, back: bool):
    """Polygons of a rectangle cut into counts = (px, py) equal patches, facing front or back, with
    their (i, j) labels."""
    px, py = counts
    out = []
    for j in range(py):
        for i in range(px):
            poly = geo.rectangle(where.origin_m, where.x_axis, where.y_axis, lx * i / px, lx * (i + 1) / px,
                                 ly * j / py, ly * (j + 1) / py)
            out.append(((i, j), geo.reverse(poly) if back else poly))
    return out


def surface_polygons(s) -> list:
    """The polygons of a surface (front-facing), for blocking and drawing."""
    w = s.placement
    if s.shape == "rectangle":
        return [geo.rectangle(w.origin_m, w.x_axis, w.y_axis, 0.0, s.size_m[0], 0.0, s.size_m[1])]
    if s.shape == "disc":
        return [geo.disc(w.origin_m, w.x_axis, w.y_axis, s.size_m[0])]
    if s.shape == "box":
        return geo.box(w.origin_m, w.x_axis, w.y_axis, s.size_m)
    return geo.cylinder(w.origin_m, w.x_axis, w.y_axis, s.size_m[0], s.size_m[1])


def check_placements(case, patches: PatchList) -> None:
    """Refuse a radiating patch inside a box or cylinder, or facing into one (its normal points into
    the solid right at the patch)."""
    for name, kind, s in patches.solids:
        w = s.placement
        inside = (lambda p, s=s, w=w: geo.point_in_box(p, w.origin_m, w.x_axis, w.y_axis, s.size_m)) \
            if kind == "box" else \
            (lambda p, s=s, w=w: geo.point_in_cylinder(p, w.origin_m, w.x_axis, w.y_axis, *s.size_m))
        scale = max(s.size_m)
        for k, poly in enumerate(patches.polygons):
            c = poly.mean(axis=0)
            if inside(c):
                raise CaseError(case.file, f"surfaces.{name}", patches.names[k],
                                f"this radiating patch lies inside the {kind} '{name}'; move it out")
            if inside(c + 1e-6 * scale * geo.area_normal(poly)[1]):
                raise CaseError(case.file, f"surfaces.{name}", patches.names[k],
                                f"this radiating patch faces into the {kind} '{name}' (its normal points into "
                                "the solid); flip its axes or move it")


def summary_rows(model: RadiationModel) -> list:
    """Rows describing the exchange for a run summary."""
    r = model.count
    owners = sorted(set(model.owners), key=model.owners.index)
    return [("radiation patches", f"{r} on {len(owners)} surfaces, {len(model.blocker_names)} ray-stopping polygons"),
            ("view factors", f"reciprocity {model.reciprocity_error:.1e}, max closure {model.closure.max(initial=0):.6f}"
                             f", {model.rays} blocking rays, {model.timings_s['total_s']:.2f} s")]

