"""Planar polygons in body axes: the shapes a case places, cut into patches, clipped by planes.

A polygon is an (m, 3) array of vertices, counter-clockwise seen from its front, so that its unit
normal (right-hand rule) points out of its front.  Curved shapes (discs, cylinders) become regular
polygons with ``ROUND_SIDES`` sides: the area of a 48-gon is 0.29 % below the circle's, which is
the accuracy their shadows and blocking are drawn with.
"""
from __future__ import annotations

import math

import numpy as np

ROUND_SIDES = 48


def rectangle(origin, x_axis, y_axis, x0: float, x1: float, y0: float, y1: float) -> np.ndarray:
    """The local rectangle [x0, x1] x [y0, y1] of a placement, facing x_axis x y_axis."""
    o, ex, ey = (np.asarray(v, float) for v in (origin, x_axis, y_axis))
    return np.array([o + x0 * ex + y0 * ey, o + x1 * ex + y0 * ey, o + x1 * ex + y1 * ey, o + x0 * ex + y1 * ey])


def disc(centre, x_axis, y_axis, radius: float, sides: int = ROUND_SIDES) -> np.ndarray:
    c, ex, ey = (np.asarray(v, float) for v in (centre, x_axis, y_axis))
    a = 2.0 * math.pi * np.arange(sides) / sides
    return c + radius * (np.cos(a)[:, None] * ex + np.sin(a)[:, None] * ey)


def reverse(poly: np.ndarray) -> np.ndarray:
    """The same polygon seen from its back (its normal reversed)."""
    return np.asarray(poly)[::-1].copy()


def box(origin, x_axis, y_axis, size) -> list:
    """The six faces of a box with a corner at origin and edges size along x, y, z = x x y, facing out."""
    o, ex, ey = (np.asarray(v, float) for v in (origin, x_axis, y_axis))
    ez = np.cross(ex, ey)
    lx, ly, lz = size
    faces = [rectangle(o + lz * ez, ex, ey, 0, lx, 0, ly), reverse(rectangle(o, ex, ey, 0, lx, 0, ly)),
             rectangle(o + lx * ex, ey, ez, 0, ly, 0, lz), reverse(rectangle(o, ey, ez, 0, ly, 0, lz)),
             rectangle(o, ez, ex, 0, lz, 0, lx), reverse(rectangle(o + ly * ey, ez, ex, 0, lz, 0, lx))]
    return faces


def cylinder(centre, x_axis, y_axis, radius: float, length: float, sides: int = ROUND_SIDES) -> list:
    """A closed cylinder: base disc centred at ``centre``, axis along x x y, facing out."""
    c, ex, ey = (np.asarray(v, float) for v in (centre, x_axis, y_axis))
    ez = np.cross(ex, ey)
    ring = disc(c, ex, ey, radius, sides)
    faces = [reverse(ring), ring + length * ez]
    for k in range(sides):
        a, b = ring[k], ring[(k + 1) % sides]
        faces.append(np.array([a, b, b + length * ez, a + length * ez]))
    return faces


def area_normal(poly: np.ndarray) -> tuple[float, np.ndarray]:
    """(area, unit normal by the right-hand rule) of a planar polygon."""
    v = np.asarray(poly, float)
    cross = np.sum(np.cross(v, np.roll(v, -1, axis=0)), axis=0)
    area = 0.5 * float(np.linalg.norm(cross))
    return area, (cross / (2.0 * area) if area > 0 else cross)


def clip_to_front(poly: np.ndarray, point: np.ndarray, normal: np.ndarray, tol: float) -> np.ndarray:
    """The part of a convex polygon on the front side of the plane (point, normal), Sutherland-Hodgman;
    vertices within ``tol`` of the plane count as on it.  May return fewer than 3 vertices."""
    v = np.asarray(poly, float)
    d = (v - point) @ normal
    if np.all(d >= -tol):
        return v
    out = []
    for k in range(len(v)):
        a, b = v[k], v[(k + 1) % len(v)]
        da, db = d[k], d[(k + 1) % len(v)]
        if da >= -tol:
            out.append(a)
        if (da >= -tol) != (db >= -tol):
            s = da / (da - db)
            out.append(a + s * (b - a))
    return np.asarray(out).reshape(-1, 3)


def sample_points(poly: np.ndarray, n: int) -> np.ndarray:
    """n x n midpoints of a parallelogram patch (vertices 0, 1, 3 span it): equal-area samples."""
    v = np.asarray(poly, float)
    u = (np.arange(n) + 0.5) / n
    a, b = np.meshgrid(u, u, indexing="ij")
    return (v[0] + a.reshape(-1, 1) * (v[1] - v[0]) + b.reshape(-1, 1) * (v[3] - v[0]))


def polygon_set(polys: list) -> tuple:
    """Padded arrays of convex polygons for the ray caster (physics/rays.py): vertices (m, k, 3), vertex
    counts, unit normals, plane offsets n.v0 and bounding boxes (m, 6: min xyz, max xyz)."""
    k = max((len(p) for p in polys), default=3)
    verts = np.zeros((len(polys), k, 3))
    count = np.zeros(len(polys), np.int64)
    normals = np.zeros((len(polys), 3))
    offset = np.zeros(len(polys))
    bounds = np.zeros((len(polys), 6))
    for i, p in enumerate(polys):
        p = np.asarray(p, float)
        verts[i, :len(p)] = p
        count[i] = len(p)
        _, normals[i] = area_normal(p)
        offset[i] = normals[i] @ p[0]
        bounds[i, :3], bounds[i, 3:] = p.min(axis=0), p.max(axis=0)
    return verts, count, normals, offset, bounds


def hemisphere_directions(count: int) -> np.ndarray:
    """``count`` cosine-weighted directions about +z (Hammersley points, deterministic): the fraction
    of them that hit a region is that region's view factor from a small flat element."""
    i = np.arange(count)
    u = (i + 0.5) / count
    bits = i.astype(np.uint32)
    bits = ((bits << 16) | (bits >> 16)) & 0xFFFFFFFF
    bits = ((bits & 0x55555555) << 1) | ((bits & 0xAAAAAAAA) >> 1)
    bits = ((bits & 0x33333333) << 2) | ((bits & 0xCCCCCCCC) >> 2)
    bits = ((bits & 0x0F0F0F0F) << 4) | ((bits & 0xF0F0F0F0) >> 4)
    bits = ((bits & 0x00FF00FF) << 8) | ((bits & 0xFF00FF00) >> 8)
    v = bits.astype(float) / 2.0**32
    r = np.sqrt(u)
    phi = 2.0 * math.pi * v
    return np.column_stack([r * np.cos(phi), r * np.sin(phi), np.sqrt(np.maximum(0.0, 1.0 - u))])


def frame(normal) -> np.ndarray:
    """Rows (t1, t2, n): an orthonormal frame with n the given unit normal."""
    n = np.asarray(normal, float)
    helper = np.array([1.0, 0.0, 0.0]) if abs(n[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    t1 = np.cross(n, helper)
    t1 /= np.linalg.norm(t1)
    return np.vstack([t1, np.cross(n, t1), n])


def point_in_box(p, origin, x_axis, y_axis, size, tol: float = 0.0) -> bool:
    """Whether p lies strictly inside a box (by more than tol)."""
    ex, ey = np.asarray(x_axis, float), np.asarray(y_axis, float)
    ez = np.cross(ex, ey)
    d = np.asarray(p, float) - np.asarray(origin, float)
    local = np.array([d @ ex, d @ ey, d @ ez])
    return bool(np.all(local > tol) and np.all(local < np.asarray(size) - tol))


def point_in_cylinder(p, centre, x_axis, y_axis, radius, length, tol: float = 0.0) -> bool:
    ex, ey = np.asarray(x_axis, float), np.asarray(y_axis, float)
    ez = np.cross(ex, ey)
    d = np.asarray(p, float) - np.asarray(centre, float)
    z = d @ ez
    r2 = (d @ ex) ** 2 + (d @ ey) ** 2
    return bool(tol < z < length - tol and r2 < (radius - tol) ** 2)
