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
the two polygons, so reciprocity holds to round-off by construction.

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
from scipy.integrate import quad

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

    total = 0.0
    for lo, hi in zip(knots[:-1], knots[1:]):
        if hi - lo > 1e-14 * l1:
            total += quad(f, lo, hi, epsabs=1e-15 * l1 * l2, epsrel=1e-13, limit=200)[0]
    return total


def exchange_area(poly1: np.ndarray, poly2: np.ndarray) -> float:
    """A1 F12 [m2] between two planar polygons (m, 3), each counter-clockwise seen from its front,
    that see each other fully.  Symmetric: exchange_area(p1, p2) == exchange_area(p2, p1)."""
    a1, u1, l1 = _edges(poly1)
    a2, u2, l2 = _edges(poly2)
    total = 0.0
    for i in range(len(a1)):
        for j in range(len(a2)):
            dot = float(u1[i] @ u2[j])
            if dot != 0.0:
                total += dot * _edge_pair(a1[i], u1[i], l1[i], a2[j], u2[j], l2[j])
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
