"""View factors between planar polygons (contour integral) against the closed forms of Howell's
catalogue; reciprocity and the closure of an enclosure to round-off; order of convergence where a
polygon stands for a curved shape."""
import math

import numpy as np
import pytest

from thermal.physics import analytic
from thermal.physics.view_factors import (GAUSS_W, GAUSS_X, NEAR_FACTOR, batch_exchange_areas, exchange_area,
                                          far_field_exchange, far_field_points, far_field_ready, point_to_polygon,
                                          polygon_area_normal, view_factor)

EPS = np.finfo(float).eps


def rect_z(x0, x1, y0, y1, z, up=True):
    """Rectangle in the plane z, counter-clockwise seen from +z (up) or from -z."""
    p = [[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]]
    return np.array(p if up else p[::-1], float)


def disc(radius, z, n, up=True):
    phi = 2 * math.pi * np.arange(n) / n
    p = np.column_stack([radius * np.cos(phi), radius * np.sin(phi), np.full(n, z)])
    return p if up else p[::-1]


def _parallel_closed_form_roundoff(x, y, gap):
    """Round-off of the closed form in double precision: its terms (a atan a ~ a^2 for a far gap)
    cancel down to F pi a b / 2, so each term's eps is magnified by 2 / (pi a b) x sum |terms|."""
    a, b = x / gap, y / gap
    terms = [a * math.sqrt(1 + b * b) * math.atan(a / math.sqrt(1 + b * b)),
             b * math.sqrt(1 + a * a) * math.atan(b / math.sqrt(1 + a * a)), a * math.atan(a), b * math.atan(b),
             abs(math.log(math.sqrt((1 + a * a) * (1 + b * b) / (1 + a * a + b * b))))]
    return 8 * EPS * 2 / (math.pi * a * b) * sum(terms)


@pytest.mark.parametrize("x, y, gap", [(1.0, 1.0, 1.0), (2.0, 1.0, 0.7), (0.2, 3.0, 0.05), (1.0, 1.0, 20.0)])
def test_parallel_rectangles(x, y, gap):
    f = view_factor(rect_z(0, x, 0, y, 0.0), rect_z(0, x, 0, y, gap, up=False))
    # ours: a sum of 8 terms of size O(1) (closed-form inner integral, converged outer quadrature);
    # the closed form loses digits of its own when the plates are far apart (1.7e-14 at gap 20)
    tol = 64 * EPS + _parallel_closed_form_roundoff(x, y, gap)
    assert f == pytest.approx(analytic.vf_parallel_rectangles(x, y, gap), rel=0, abs=tol)


def test_far_apart_plates_against_integrated_lambert_formula():
    """Far apart, the closed form itself cancels; the element-to-polygon formula integrated with
    Gauss-Legendre over a smooth integrand is an independent reference to round-off."""
    x = y = 1.0
    gap = 20.0
    target = rect_z(0, x, 0, y, gap, up=False)
    g, w = np.polynomial.legendre.leggauss(12)
    ref = sum(wi * wj * point_to_polygon(np.array([x * (gi + 1) / 2, y * (gj + 1) / 2, 0.0]),
                                         np.array([0, 0, 1.0]), target) / 4
              for gi, wi in zip(g, w) for gj, wj in zip(g, w))
    assert view_factor(rect_z(0, x, 0, y, 0.0), target) == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("common, w_from, w_to", [(1.0, 1.0, 1.0), (1.0, 0.6, 1.3), (2.0, 0.1, 5.0)])
def test_perpendicular_rectangles_with_a_common_edge(common, w_from, w_to):
    """The common edge makes the edge pairs touch: the adaptive branch integrates the x ln x."""
    surface_from = rect_z(0, common, 0, w_from, 0.0)  # normal +z
    surface_to = np.array([[0, 0, 0], [0, 0, w_to], [common, 0, w_to], [common, 0, 0]], float)  # normal +y
    f = view_factor(surface_from, surface_to)
    assert f == pytest.approx(analytic.vf_perpendicular_rectangles(common, w_from, w_to), rel=0, abs=256 * EPS)


def test_reciprocity_holds_to_round_off():
    rng = np.random.default_rng(4)
    for _ in range(5):
        x, y, gap = rng.uniform(0.1, 2.0, 3)
        p1 = rect_z(0, x, 0, y, 0.0)
        p2 = rect_z(x / 3, x / 3 + y, -y / 2, y, gap, up=False)
        a12, a21 = exchange_area(p1, p2), exchange_area(p2, p1)
        assert abs(a12 - a21) <= 64 * EPS * max(abs(a12), 1e-300)


def test_a_closed_box_sums_to_one():
    """Inside a 1 x 2 x 0.5 box every face sees only the other five: sum_j F_ij = 1."""
    lx, ly, lz = 1.0, 2.0, 0.5
    faces = [rect_z(0, lx, 0, ly, 0.0), rect_z(0, lx, 0, ly, lz, up=False),
             np.array([[0, 0, 0], [0, 0, lz], [lx, 0, lz], [lx, 0, 0]], float),  # y = 0, normal +y
             np.array([[0, ly, 0], [lx, ly, 0], [lx, ly, lz], [0, ly, lz]], float),  # y = ly, normal -y
             np.array([[0, 0, 0], [0, ly, 0], [0, ly, lz], [0, 0, lz]], float),  # x = 0, normal +x
             np.array([[lx, 0, 0], [lx, 0, lz], [lx, ly, lz], [lx, ly, 0]], float)]  # x = lx, normal -x
    centre = np.array([lx, ly, lz]) / 2
    for f in faces:  # every normal points into the box
        area, normal = polygon_area_normal(f)
        assert normal @ (centre - f.mean(axis=0)) > 0
    for i, fi in enumerate(faces):
        total = sum(view_factor(fi, fj) for j, fj in enumerate(faces) if j != i)
        assert total == pytest.approx(1.0, abs=256 * EPS)


def test_element_to_parallel_rectangle_lambert_formula():
    for a, b, gap in ((1.0, 1.0, 1.0), (0.3, 2.0, 0.5)):
        f = point_to_polygon(np.zeros(3), np.array([0, 0, 1.0]), rect_z(0, a, 0, b, gap, up=False))
        assert f == pytest.approx(analytic.vf_element_to_parallel_rectangle(a, b, gap), rel=0, abs=16 * EPS)


def test_coaxial_discs_as_polygons_converge_at_second_order():
    """A regular n-gon misses the disc by O(1/n^2) of its area: the view factor converges at order 2
    to the disc's closed form."""
    r1, r2, gap = 0.5, 0.8, 0.4
    exact = analytic.vf_coaxial_discs(r1, r2, gap)
    ns = (16, 32, 64)
    errors = [abs(view_factor(disc(r1, 0.0, n), disc(r2, gap, n, up=False)) - exact) for n in ns]
    order = analytic.observed_order(np.array([1 / n for n in ns]), np.array(errors))
    assert order == pytest.approx(2.0, abs=0.1)
    # the leading term: the inscribed n-gon's area deficit 2 pi^2 / (3 n^2), of both discs
    assert errors[-1] <= 2 * 2 * math.pi**2 / (3 * ns[-1] ** 2) * exact


def _facing_parallelograms(rng, spread):
    """Two random parallelograms that each lie wholly in front of the other, or None."""
    c1 = rng.normal(size=3)
    c2 = c1 + rng.normal(size=3) * rng.uniform(*spread)
    polys = []
    for c, toward in ((c1, c2), (c2, c1)):
        u, v = rng.normal(size=3), rng.normal(size=3)
        s = rng.uniform(0.02, 0.4)
        u *= s / np.linalg.norm(u)
        v *= s * rng.uniform(0.3, 1.0) / np.linalg.norm(v)
        p = np.array([c - u / 2 - v / 2, c + u / 2 - v / 2, c + u / 2 + v / 2, c - u / 2 + v / 2])
        polys.append(p if np.cross(u, v) @ (toward - c) > 0 else p[::-1].copy())
    n1, n2 = (polygon_area_normal(p)[1] for p in polys)
    if np.min((polys[1] - polys[0][0]) @ n1) <= 0 or np.min((polys[0] - polys[1][0]) @ n2) <= 0:
        return None
    return polys


def _far_field_at(polys, n):
    scratch = [np.empty((3, n * n)), np.empty(n * n), np.empty((3, n * n)), np.empty(n * n)]
    return far_field_exchange(np.array(polys), 0, 1, n, GAUSS_X, GAUSS_W, *scratch)


def test_far_field_rule_meets_its_tolerance_and_the_batch_uses_it():
    """Far pairs take the tensor Gauss rule with the points the Bernstein-ellipse estimate asks for:
    against a 12-point rule (itself converged there: 10 points agree to round-off) the chosen rule
    is within 1e-12 relative, and the batch kernel returns it; nearer pairs keep the contour integral."""
    rng = np.random.default_rng(7)
    used = {}
    for _ in range(1500):
        polys = _facing_parallelograms(rng, (0.2, 3.0))
        if polys is None:
            continue
        verts = np.array(polys)
        _, radius, centre = far_field_ready(verts, np.array([4, 4]))
        n = far_field_points(float(np.linalg.norm(centre[0] - centre[1])), radius[0], radius[1])
        if n == 0 or used.get(n, 0) >= 12:  # a dozen of each point count is plenty (and keeps the no-JIT run short)
            continue
        used[n] = used.get(n, 0) + 1
        out, adaptive = np.zeros(1), np.zeros(1, np.bool_)
        batch_exchange_areas(np.array([[0, 1]]), verts, np.array([4, 4]), GAUSS_X, GAUSS_W, NEAR_FACTOR, out, adaptive)
        ref = _far_field_at(polys, 12)
        assert _far_field_at(polys, 10) == pytest.approx(ref, rel=1e-14)
        assert out[0] == pytest.approx(ref, rel=1e-12)
        assert out[0] == _far_field_at(polys, n)
    assert set(used) >= {3, 4, 5, 6}  # the spread of distances exercises the point counts


def test_many_patch_plates_sum_to_the_closed_form():
    """8 x 8 patches on each of two parallel plates 1 m apart, every pair through the far-field rule
    (5-6 points per direction): the sum of the patches' exchange areas is the plates' closed form
    to round-off.  (Small enough for the suite's run without Numba: 4096 pairs.)"""
    n, gap = 8, 1.0
    cells = [(i / n, (i + 1) / n, j / n, (j + 1) / n) for j in range(n) for i in range(n)]
    polys = [rect_z(*c, 0.0) for c in cells] + [rect_z(*c, gap, up=False) for c in cells]
    verts = np.array(polys)
    _, radius, centre = far_field_ready(verts, np.full(2 * n * n, 4))
    pairs = np.array([(a, n * n + b) for a in range(n * n) for b in range(n * n)], np.int64)
    assert all(far_field_points(float(np.linalg.norm(centre[a] - centre[b])), radius[a], radius[b]) > 0
               for a, b in pairs)
    out, adaptive = np.zeros(len(pairs)), np.zeros(len(pairs), np.bool_)
    batch_exchange_areas(pairs, verts, np.full(2 * n * n, 4), GAUSS_X, GAUSS_W, NEAR_FACTOR, out, adaptive)
    assert not adaptive.any()
    exact = analytic.vf_parallel_rectangles(1.0, 1.0, gap)
    assert out.sum() == pytest.approx(exact, rel=1e-12)
