"""Diffuse view factors between planar polygons, by the contour integral (Stokes' theorem).

For two planar polygons that see each other fully (no blocking, each in front of the other's
plane), Sparrow's double line integral over their boundaries C1, C2 gives

    A1 F12 = A2 F21 = 1/(2 pi) sum_i sum_j (e_i . e_j) int_{edge i} int_{edge j} ln r ds dt

with both boundaries counter-clockwise seen from their own front (their normals by the right-hand
rule), e_i, e_j the unit edge directions and r the distance between the two running points.  The
inner integral has a closed form (below), so only the outer integral is numerical: a fixed
Gauss-Legendre rule for edge pairs far apart (the integrand is smooth), and adaptive quadrature
(QUADPACK) split at the points where the outer edge meets the inner edge's line, for edges that
touch or share a line (a common edge, a common vertex): there the integrand behaves like
x ln x, which QUADPACK's extrapolation integrates to round-off.  The expression is symmetric in
the two polygons, so reciprocity holds to round-off by construction.  For parallelograms far
apart compared with their size the batch kernel uses a tensor Gauss rule on the area integral
instead (the far-field rule below): cheaper, and more accurate there, where the contour integral's
terms cancel.

Inner integral, for a point p and the segment a + t u (|u| = 1, 0 <= t <= L): with t0 = (p - a).u
and h the distance from p to the segment's line, x = t - t0,

    int_0^L ln|p - a - t u| dt = 1/2 [x ln(x^2 + h^2) - 2 x + 2 h atan(x / h)]_{x = -t0}^{L - t0}

References: E. M. Sparrow, "A new and simpler formulation for radiative angle factors", J. Heat
Transfer 85 (1963) 81-88; J. R. Howell, *A Catalog of Radiation Heat Transfer Configuration Factors*
(3rd ed., 2010), for the closed forms the tests compare with.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

GAUSS_POINTS = 24  # outer rule for separated edge pairs: exact enough that far pairs meet 1e-12
NEAR_FACTOR = 0.5  # an edge pair is "near" when their distance is below this x the longer edge


def polygon_area_normal(vertices: np.ndarray) -> tuple[float, np.ndarray]:
    """(area [m2], unit normal by the right-hand rule) of a planar polygon (m, 3)."""
    v = np.asarray(vertices, float)
    cross = np.zeros(3)
    for i in range(len(v)):
        cross += np.cross(v[i], v[(i + 1) % len(v)])
    area = 0.5 * float(np.linalg.norm(cross))
    return area, cross / (2.0 * area)


def segment_log_integral(p: np.ndarray, a: np.ndarray, u: np.ndarray, length: float) -> np.ndarray:
    """int_0^L ln|p - a - t u| dt for points p (..., 3) and one segment (closed form)."""
    d = p - a
    t0 = d @ u
    h2 = np.maximum(np.einsum("...i,...i->...", d, d) - t0 * t0, 0.0)
    h = np.sqrt(h2)

    def antiderivative(x):
        r2 = x * x + h2
        with np.errstate(divide="ignore", invalid="ignore"):
            log_term = np.where(r2 > 0.0, x * np.log(np.where(r2 > 0.0, r2, 1.0)), 0.0)
            atan_term = np.where(h > 0.0, 2.0 * h * np.arctan(x / np.where(h > 0.0, h, 1.0)), 0.0)
        return 0.5 * (log_term - 2.0 * x + atan_term)

    return antiderivative(length - t0) - antiderivative(-t0)


def _edges(vertices):
    v = np.asarray(vertices, float)
    a = v
    b = np.roll(v, -1, axis=0)
    vec = b - a
    length = np.linalg.norm(vec, axis=1)
    return a, vec / length[:, None], length


def _segment_distance(a1, u1, l1, a2, u2, l2) -> float:
    """Smallest distance between two segments (sampled ends and the closest-point formula)."""
    best = math.inf
    for p in (a1, a1 + u1 * l1):
        t = float(np.clip((p - a2) @ u2, 0.0, l2))
        best = min(best, float(np.linalg.norm(p - a2 - t * u2)))
    for p in (a2, a2 + u2 * l2):
        t = float(np.clip((p - a1) @ u1, 0.0, l1))
        best = min(best, float(np.linalg.norm(p - a1 - t * u1)))
    w = a1 - a2
    b = float(u1 @ u2)
    denom = 1.0 - b * b
    if denom > 1e-12:
        s = float(np.clip((b * (w @ u2) - (w @ u1)) / denom, 0.0, l1))
        t = float(np.clip((w @ u2 + s * b), 0.0, l2))
        best = min(best, float(np.linalg.norm(w + s * u1 - t * u2)))
    return best


def _edge_pair(a1, u1, l1, a2, u2, l2) -> float:
    """int_{edge 1} int_{edge 2} ln r dt ds (the outer integral numerical, the inner closed form)."""
    if _segment_distance(a1, u1, l1, a2, u2, l2) > NEAR_FACTOR * max(l1, l2):
        x, w = np.polynomial.legendre.leggauss(GAUSS_POINTS)
        s = 0.5 * l1 * (x + 1.0)
        pts = a1[None, :] + s[:, None] * u1[None, :]
        return float(0.5 * l1 * np.sum(w * segment_log_integral(pts, a2, u2, l2)))
    # near: split the outer edge where it comes closest to the inner edge's ends and line
    breaks = {0.0, l1}
    for q in (a2, a2 + u2 * l2):
        breaks.add(float(np.clip((q - a1) @ u1, 0.0, l1)))
    b = float(u1 @ u2)
    if 1.0 - b * b > 1e-12:  # closest approach of the two lines
        w = a1 - a2
        breaks.add(float(np.clip((b * (w @ u2) - (w @ u1)) / (1.0 - b * b), 0.0, l1)))
    knots = sorted(breaks)

    def f(s):
        return float(segment_log_integral(a1 + s * u1, a2, u2, l2))

    # deliberately lazy: scipy.integrate (and the scipy.optimize it loads) is 30 MB of the resident
    # memory of every run that never meets two nearby edges (all but the exchange cases)
    from scipy.integrate import quad

    total = 0.0
    for lo, hi in zip(knots[:-1], knots[1:]):
        if hi - lo > 1e-14 * l1:
            total += quad(f, lo, hi, epsabs=1e-15 * l1 * l2, epsrel=1e-13, limit=200)[0]
    return total


# Gauss-Legendre rules of 1..GAUSS_POINTS points (row n-1, padded).  The outer integrand ln r is
# analytic with its nearest singularity a distance d off the edge, so an n-point rule errs by about
# rho^(-2n), rho = 2d/L + sqrt((2d/L)^2 + 1) (the Bernstein ellipse through it): n = 17.3 / ln(rho)
# points reach 1e-15 relative; a far pair needs 4, a pair at the near limit (d = L/2) 20.
GAUSS_X = np.zeros((GAUSS_POINTS, GAUSS_POINTS))
GAUSS_W = np.zeros((GAUSS_POINTS, GAUSS_POINTS))
for _n in range(1, GAUSS_POINTS + 1):
    GAUSS_X[_n - 1, :_n], GAUSS_W[_n - 1, :_n] = np.polynomial.legendre.leggauss(_n)


@njit(cache=True)
def _log_segment(px, py, pz, a, u, length):
    """segment_log_integral for one point (compiled)."""
    dx, dy, dz = px - a[0], py - a[1], pz - a[2]
    t0 = dx * u[0] + dy * u[1] + dz * u[2]
    h2 = max(dx * dx + dy * dy + dz * dz - t0 * t0, 0.0)
    h = math.sqrt(h2)
    total = 0.0
    for sign, x in ((1.0, length - t0), (-1.0, -t0)):
        r2 = x * x + h2
        value = -2.0 * x
        if r2 > 0.0:
            value += x * math.log(r2)
        if h > 0.0:
            value += 2.0 * h * math.atan(x / h)
        total += sign * 0.5 * value
    return total


@njit(cache=True)
def _far_pairs(a1, u1, l1, a2, u2, l2, gx, gw, near_factor, near):
    """Sum over edge pairs far apart of (e_i . e_j) int int ln r (Gauss outer rule, compiled); marks
    the near pairs (near[i, j] = True) for the adaptive rule."""
    total = 0.0
    for i in range(a1.shape[0]):
        for j in range(a2.shape[0]):
            dot = u1[i, 0] * u2[j, 0] + u1[i, 1] * u2[j, 1] + u1[i, 2] * u2[j, 2]
            near[i, j] = False
            if dot == 0.0:
                continue
            dist = _segment_distance_nb(a1[i], u1[i], l1[i], a2[j], u2[j], l2[j])
            if dist <= near_factor * max(l1[i], l2[j]):
                near[i, j] = True
                continue
            q = 2.0 * dist / l1[i]
            points = int(math.ceil(17.3 / math.log(q + math.sqrt(q * q + 1.0))))
            points = min(max(points, 4), gx.shape[0])
            acc = 0.0
            for k in range(points):
                s = 0.5 * l1[i] * (gx[points - 1, k] + 1.0)
                acc += gw[points - 1, k] * _log_segment(a1[i, 0] + s * u1[i, 0], a1[i, 1] + s * u1[i, 1], a1[i, 2] + s * u1[i, 2],
                                            a2[j], u2[j], l2[j])
            total += dot * 0.5 * l1[i] * acc
    return total


@njit(cache=True)
def _segment_distance_nb(a1, u1, l1, a2, u2, l2):
    best = math.inf
    for end in range(2):
        s = l1 * end
        px, py, pz = a1[0] + s * u1[0], a1[1] + s * u1[1], a1[2] + s * u1[2]
        t = min(max((px - a2[0]) * u2[0] + (py - a2[1]) * u2[1] + (pz - a2[2]) * u2[2], 0.0), l2)
        best = min(best, math.sqrt((px - a2[0] - t * u2[0]) ** 2 + (py - a2[1] - t * u2[1]) ** 2
                                   + (pz - a2[2] - t * u2[2]) ** 2))
    for end in range(2):
        s = l2 * end
        px, py, pz = a2[0] + s * u2[0], a2[1] + s * u2[1], a2[2] + s * u2[2]
        t = min(max((px - a1[0]) * u1[0] + (py - a1[1]) * u1[1] + (pz - a1[2]) * u1[2], 0.0), l1)
        best = min(best, math.sqrt((px - a1[0] - t * u1[0]) ** 2 + (py - a1[1] - t * u1[1]) ** 2
                                   + (pz - a1[2] - t * u1[2]) ** 2))
    wx, wy, wz = a1[0] - a2[0], a1[1] - a2[1], a1[2] - a2[2]
    b = u1[0] * u2[0] + u1[1] * u2[1] + u1[2] * u2[2]
    denom = 1.0 - b * b
    if denom > 1e-12:
        w1 = wx * u1[0] + wy * u1[1] + wz * u1[2]
        w2 = wx * u2[0] + wy * u2[1] + wz * u2[2]
        s = min(max((b * w2 - w1) / denom, 0.0), l1)
        t = min(max(w2 + s * b, 0.0), l2)
        best = min(best, math.sqrt((wx + s * u1[0] - t * u2[0]) ** 2 + (wy + s * u1[1] - t * u2[1]) ** 2
                                   + (wz + s * u1[2] - t * u2[2]) ** 2))
    return best


@njit(cache=True)
def _polygon_edges(verts, count, p, a, u, l):
    m = count[p]
    for e in range(m):
        nxt = (e + 1) % m
        length = 0.0
        for c in range(3):
            u[e, c] = verts[p, nxt, c] - verts[p, e, c]
            a[e, c] = verts[p, e, c]
            length += u[e, c] * u[e, c]
        length = math.sqrt(length)
        l[e] = length
        for c in range(3):
            u[e, c] /= length


# Far-field rule.  Between two parallelograms far apart compared with their size, A_i F_ij is the
# smooth area integral of cos_i cos_j / (pi r^2), which a tensor Gauss rule on both patches gets to
# round-off with few points.  As a function of one coordinate the integrand's nearest singularity
# (r = 0 in the complex plane) lies at least the gap d between the patches' bounding spheres off the
# real interval, so (the Bernstein-ellipse bound again) an n-point rule errs by about C rho^(-2n),
# rho = y + sqrt(y^2 + 1), y = 2 d / L with L the larger diameter; C ~ 30 measured over random pairs
# (tests/test_view_factors.py), so FAR_TOLERANCE = 1e-14 gives ~1e-12 relative.  The far-field rule
# is also the accurate one there: the contour integral sums O(L^2 ln d) terms to an O(L^4 / d^2)
# result and loses 1e-8 relative at y ~ 10 and 1e-6 at y ~ 100 (measured against a 16-point rule).
# A pair that would need more than FAR_POINTS_MAX points goes to the contour integral.  Far pairs
# are most pairs of a large model and cost ~n^4 flops each against ~100 logarithms and arctangents.
FAR_TOLERANCE = 1e-14
FAR_POINTS_MAX = 6


@njit(cache=True)
def far_field_points(centre_dist, radius_i, radius_j):
    """Gauss points per direction that the far-field rule needs for this pair (0: not far enough)."""
    gap = centre_dist - radius_i - radius_j
    if gap <= 0.0:
        return 0
    y = gap / max(radius_i, radius_j)  # 2 d / L with L = 2 radius
    rho = y + math.sqrt(y * y + 1.0)
    n = int(math.ceil(-math.log(FAR_TOLERANCE) / (2.0 * math.log(rho))))
    return max(n, 1) if n <= FAR_POINTS_MAX else 0


@njit(cache=True)
def _gauss_on_parallelogram(verts, p, n, gx, gw, xyz, w):
    """The n x n Gauss points of parallelogram p (vertices 0, 1, 3 span it) into xyz (3, >= n^2) and
    their weights (summing to 1) into w."""
    k = 0
    for a in range(n):
        for b in range(n):
            sa, sb = 0.5 * (gx[n - 1, a] + 1.0), 0.5 * (gx[n - 1, b] + 1.0)
            w[k] = 0.25 * gw[n - 1, a] * gw[n - 1, b]
            for c in range(3):
                xyz[c, k] = verts[p, 0, c] + sa * (verts[p, 1, c] - verts[p, 0, c]) + sb * (verts[p, 3, c] - verts[p, 0, c])
            k += 1


@njit(cache=True, fastmath=True)
def _far_sum(pi, wi, ni, pj, wj, nj, m):
    """sum_a sum_b w_a w_b (r.n_i)(-r.n_j) / r^4 over m points each (the inner loop vectorises:
    fastmath lets it reorder the sum, a change of a few ulps)."""
    total = 0.0
    for a in range(m):
        acc = 0.0
        for b in range(m):
            rx = pj[0, b] - pi[0, a]
            ry = pj[1, b] - pi[1, a]
            rz = pj[2, b] - pi[2, a]
            r2 = rx * rx + ry * ry + rz * rz
            ci = max(rx * ni[0] + ry * ni[1] + rz * ni[2], 0.0)
            cj = max(-(rx * nj[0] + ry * nj[1] + rz * nj[2]), 0.0)
            acc += wj[b] * ci * cj / (r2 * r2)
        total += wi[a] * acc
    return total


@njit(cache=True)
def far_field_exchange(verts, i, j, n, gx, gw, pi, wi, pj, wj):
    """A_i F_ij between parallelograms i and j by an n x n Gauss rule on each (pi, wi, pj, wj:
    scratch): sum w_a w_b A_i A_j cos_i cos_j / (pi r^2)."""
    _gauss_on_parallelogram(verts, i, n, gx, gw, pi, wi)
    _gauss_on_parallelogram(verts, j, n, gx, gw, pj, wj)
    return _far_sum(pi, wi, _area_normal(verts, i), pj, wj, _area_normal(verts, j), n * n) / math.pi


@njit(cache=True)
def _area_normal(verts, p):
    """(v1 - v0) x (v3 - v0) of parallelogram p: its normal times its area (so the areas of the far-
    field rule come in through the normals), as a tuple (no array allocated per pair)."""
    ux, uy, uz = verts[p, 1, 0] - verts[p, 0, 0], verts[p, 1, 1] - verts[p, 0, 1], verts[p, 1, 2] - verts[p, 0, 2]
    vx, vy, vz = verts[p, 3, 0] - verts[p, 0, 0], verts[p, 3, 1] - verts[p, 0, 1], verts[p, 3, 2] - verts[p, 0, 2]
    return (uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx)


@njit(cache=True)
def far_field_ready(verts, count):
    """(is a parallelogram, bounding radius about the centre, centre) of each padded polygon."""
    r = count.size
    para = np.zeros(r, np.bool_)
    radius = np.zeros(r)
    centre = np.zeros((r, 3))
    for p in range(r):
        m = count[p]
        for c in range(3):
            centre[p, c] = verts[p, :m, c].mean()
        for v in range(m):
            d = 0.0
            for c in range(3):
                d += (verts[p, v, c] - centre[p, c]) ** 2
            radius[p] = max(radius[p], math.sqrt(d))
        if m == 4:
            miss = 0.0
            for c in range(3):
                miss = max(miss, abs(verts[p, 0, c] + verts[p, 2, c] - verts[p, 1, c] - verts[p, 3, c]))
            para[p] = miss <= 1e-12 * radius[p]
    return para, radius, centre


@njit(cache=True, parallel=True)
def batch_exchange_areas(pairs, verts, count, gx, gw, near_factor, out, needs_adaptive):
    """A_i F_ij for many unobstructed polygon pairs (padded arrays as geometry.polygon_set gives):
    the far-field Gauss rule for parallelograms far apart, else the contour integral's compiled Gauss
    rule for every edge pair far apart; a pair with a near edge pair (a shared edge or vertex) is
    flagged for exchange_area's adaptive rule instead.  Chunks of pairs run on the threads the
    caller allows (each pair's value does not depend on how many)."""
    k = verts.shape[1]
    n_pairs = pairs.shape[0]
    chunks = max(1, min(64, n_pairs // 256))
    para, radius, centre = far_field_ready(verts, count)
    for ch in prange(chunks):
        a1, u1, l1 = np.empty((k, 3)), np.empty((k, 3)), np.empty(k)
        a2, u2, l2 = np.empty((k, 3)), np.empty((k, 3)), np.empty(k)
        near = np.zeros((k, k), dtype=np.bool_)
        pi, pj = np.empty((3, FAR_POINTS_MAX ** 2)), np.empty((3, FAR_POINTS_MAX ** 2))
        wi, wj = np.empty(FAR_POINTS_MAX ** 2), np.empty(FAR_POINTS_MAX ** 2)
        for q in range(ch * n_pairs // chunks, (ch + 1) * n_pairs // chunks):
            i, j = pairs[q, 0], pairs[q, 1]
            needs_adaptive[q] = False
            if para[i] and para[j]:
                dist = math.sqrt((centre[i, 0] - centre[j, 0]) ** 2 + (centre[i, 1] - centre[j, 1]) ** 2
                                 + (centre[i, 2] - centre[j, 2]) ** 2)
                n = far_field_points(dist, radius[i], radius[j])
                if n > 0:
                    out[q] = far_field_exchange(verts, i, j, n, gx, gw, pi, wi, pj, wj)
                    continue
            _polygon_edges(verts, count, i, a1, u1, l1)
            _polygon_edges(verts, count, j, a2, u2, l2)
            ni, nj = count[i], count[j]
            near_ij = near[:ni, :nj]
            total = _far_pairs(a1[:ni], u1[:ni], l1[:ni], a2[:nj], u2[:nj], l2[:nj], gx, gw, near_factor, near_ij)
            needs_adaptive[q] = near_ij.any()
            out[q] = total / (2.0 * math.pi)


@njit(cache=True)
def _pair_kind(padded, count, centres, normals, tol, i, j):
    """0: the two polygons cannot see each other (coplanar, or one wholly behind the other's plane);
    1: each wholly in front of the other (the contour integral applies as is); 2: partly behind
    (clip first)."""
    lo_ji, hi_ji, lo_ij, hi_ij = math.inf, -math.inf, math.inf, -math.inf
    for v in range(count[j]):  # j's vertices above i's plane
        d = 0.0
        for c in range(3):
            d += (padded[j, v, c] - centres[i, c]) * normals[i, c]
        lo_ji, hi_ji = min(lo_ji, d), max(hi_ji, d)
    for v in range(count[i]):  # i's vertices above j's plane
        d = 0.0
        for c in range(3):
            d += (padded[i, v, c] - centres[j, c]) * normals[j, c]
        lo_ij, hi_ij = min(lo_ij, d), max(hi_ij, d)
    dot = normals[i, 0] * normals[j, 0] + normals[i, 1] * normals[j, 1] + normals[i, 2] * normals[j, 2]
    if abs(abs(dot) - 1.0) < 1e-12 and max(abs(lo_ji), abs(hi_ji)) <= tol:
        return 0
    if hi_ji <= tol or hi_ij <= tol:
        return 0
    return 1 if (lo_ji >= -tol and lo_ij >= -tol) else 2


@njit(cache=True)
def classify_pairs(padded, count, centres, normals, tol):
    """(pairs i < j that see each other wholly, pairs that need clipping), each (m, 2): one pass to
    count, one to fill, so no r x r array is made."""
    r = count.size
    n_simple, n_clip = 0, 0
    for i in range(r - 1):
        for j in range(i + 1, r):
            kind = _pair_kind(padded, count, centres, normals, tol, i, j)
            if kind == 1:
                n_simple += 1
            elif kind == 2:
                n_clip += 1
    simple = np.empty((n_simple, 2), np.int64)
    clipped = np.empty((n_clip, 2), np.int64)
    a, b = 0, 0
    for i in range(r - 1):
        for j in range(i + 1, r):
            kind = _pair_kind(padded, count, centres, normals, tol, i, j)
            if kind == 1:
                simple[a, 0], simple[a, 1] = i, j
                a += 1
            elif kind == 2:
                clipped[b, 0], clipped[b, 1] = i, j
                b += 1
    return simple, clipped


def exchange_area(poly1: np.ndarray, poly2: np.ndarray) -> float:
    """A1 F12 [m2] between two planar polygons (m, 3), each counter-clockwise seen from its front,
    that see each other fully.  Symmetric: exchange_area(p1, p2) == exchange_area(p2, p1).
    Edge pairs far apart go through the compiled Gauss rule; near ones (a shared edge or vertex)
    through the adaptive rule."""
    a1, u1, l1 = _edges(poly1)
    a2, u2, l2 = _edges(poly2)
    near = np.zeros((len(a1), len(a2)), dtype=np.bool_)
    total = _far_pairs(a1, u1, l1, a2, u2, l2, GAUSS_X, GAUSS_W, NEAR_FACTOR, near)
    for i, j in zip(*np.nonzero(near)):
        total += float(u1[i] @ u2[j]) * _edge_pair(a1[i], u1[i], l1[i], a2[j], u2[j], l2[j])
    return total / (2.0 * math.pi)


def view_factor(poly1: np.ndarray, poly2: np.ndarray) -> float:
    """F12: the fraction of the diffuse radiation leaving polygon 1 that reaches polygon 2."""
    area, _ = polygon_area_normal(poly1)
    return exchange_area(poly1, poly2) / area


def point_to_polygon(p: np.ndarray, normal: np.ndarray, poly: np.ndarray) -> float:
    """F from a differential area at p (unit normal) to a polygon wholly in front of it (Lambert's
    closed form): F = 1/(2 pi) sum_i gamma_i n . (R_i x R_i+1)/|R_i x R_i+1|."""
    r = np.asarray(poly, float) - np.asarray(p, float)
    total = 0.0
    for i in range(len(r)):
        c = np.cross(r[i], r[(i + 1) % len(r)])
        norm = np.linalg.norm(c)
        if norm == 0.0:
            continue
        cos_g = np.clip(r[i] @ r[(i + 1) % len(r)] / (np.linalg.norm(r[i]) * np.linalg.norm(r[(i + 1) % len(r)])),
                        -1.0, 1.0)
        total += math.acos(cos_g) * float(np.asarray(normal, float) @ c) / norm
    return abs(total) / (2.0 * math.pi)
