"""Ray casting against convex planar polygons (Numba): blocking between patches, shadows, the
visible part of the Earth.

Polygons come as the padded arrays of ``geometry.polygon_set``.  A ray o + t d (0 < t < t_max)
is blocked when it crosses the inside of any polygon strictly between its ends: the patches it
leaves and reaches lie in planes it meets only at t = 0 and t = t_max, so they never block it
(``EDGE`` keeps the ends out by a relative margin).  Each test first rejects polygons whose
bounding box the ray's segment cannot reach (a slab test), so a blocker far from a pair costs a few
comparisons.  All loops are serial: a call does little work and is made many times (never
threads on small work; the callers loop over patches).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

EDGE = 1e-9  # relative margin at the ray's ends
FAR = 1e30  # "infinite" ray length (towards the Sun or the Earth)


@njit(cache=True)
def _box_hit(o, d, t_max, b):
    """Whether the segment o + t d, 0 <= t <= t_max, can reach the box b (min xyz, max xyz)."""
    t0, t1 = 0.0, t_max
    for a in range(3):
        if abs(d[a]) < 1e-300:
            if o[a] < b[a] or o[a] > b[a + 3]:
                return False
            continue
        inv = 1.0 / d[a]
        lo = (b[a] - o[a]) * inv
        hi = (b[a + 3] - o[a]) * inv
        if lo > hi:
            lo, hi = hi, lo
        t0 = max(t0, lo)
        t1 = min(t1, hi)
        if t0 > t1 * (1.0 + 1e-12) + 1e-12:
            return False
    return True


@njit(cache=True)
def blocked(o, d, t_max, verts, count, normals, offset, bounds):
    """Whether the ray o + t d (|d| = 1) crosses any polygon for EDGE t_max < t < (1 - EDGE) t_max."""
    lo = EDGE * min(t_max, 1.0)
    hi = t_max * (1.0 - EDGE)
    for k in range(count.size):
        if not _box_hit(o, d, t_max, bounds[k]):
            continue
        nx, ny, nz = normals[k, 0], normals[k, 1], normals[k, 2]
        den = nx * d[0] + ny * d[1] + nz * d[2]
        if den == 0.0:
            continue
        t = (offset[k] - (nx * o[0] + ny * o[1] + nz * o[2])) / den
        if t <= lo or t >= hi:
            continue
        px, py, pz = o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]
        inside = True
        m = count[k]
        for e in range(m):
            a = verts[k, e]
            b = verts[k, (e + 1) % m]
            ex, ey, ez = b[0] - a[0], b[1] - a[1], b[2] - a[2]
            qx, qy, qz = px - a[0], py - a[1], pz - a[2]
            # (e x q) . n >= 0 for a point inside a counter-clockwise convex polygon
            c = (ey * qz - ez * qy) * nx + (ez * qx - ex * qz) * ny + (ex * qy - ey * qx) * nz
            if c < 0.0:
                inside = False
                break
        if inside:
            return True
    return False


@njit(cache=True)
def pair_visibility(pts_a, n_a, pts_b, n_b, verts, count, normals, offset, bounds):
    """The visible share of the exchange between two patches: sum over sample pairs of
    cos_a cos_b / r^2 for unblocked segments over the same sum for all (1 when none see each other)."""
    total = 0.0
    seen = 0.0
    d = np.empty(3)
    for i in range(pts_a.shape[0]):
        for j in range(pts_b.shape[0]):
            for c in range(3):
                d[c] = pts_b[j, c] - pts_a[i, c]
            r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
            r = np.sqrt(r2)
            if r == 0.0:
                continue
            for c in range(3):
                d[c] /= r
            ca = d[0] * n_a[0] + d[1] * n_a[1] + d[2] * n_a[2]
            cb = -(d[0] * n_b[0] + d[1] * n_b[1] + d[2] * n_b[2])
            if ca <= 0.0 or cb <= 0.0:
                continue
            w = ca * cb / r2
            total += w
            if not blocked(pts_a[i], d, r, verts, count, normals, offset, bounds):
                seen += w
    return seen / total if total > 0.0 else 1.0


CLEAR, SHADOW, PARTIAL = 0, 1, 2


@njit(cache=True)
def _plane_range(poly, m, normal, offset):
    lo, hi = math.inf, -math.inf
    for v in range(m):
        s = poly[v, 0] * normal[0] + poly[v, 1] * normal[1] + poly[v, 2] * normal[2] - offset
        lo, hi = min(lo, s), max(hi, s)
    return lo, hi


@njit(cache=True)
def _outside_line(px, py, ax, ay, bx, by):
    """(b - a) x (p - a): negative when p lies right of the directed line a -> b."""
    return (bx - ax) * (py - ay) - (by - ay) * (px - ax)


@njit(cache=True)
def blocker_state(poly_a, m_a, n_a, poly_b, m_b, n_b, kv, km, kn, koff, tol, cut, kxy):
    """What a convex polygon K (vertices kv[:km], normal kn, plane n.x = koff) does to the segments
    between two convex patches A and B that face each other: CLEAR (it stops none), SHADOW (it
    stops all) or PARTIAL (some, or not decided: cast rays).  Exact, no sampling:

    * K behind A's or B's plane, or all of A and B on one side of K's plane: CLEAR.
    * K's plane separating A from B: every segment from A to B crosses that plane inside
      P = conv(A u B) n plane, the convex hull of where the corner-to-corner segments cross it
      (an edge of conv(A u B) that crosses the plane joins a corner of A to a corner of B).  All
      those crossings inside K: SHADOW.  P and K apart (a separating line: one of K's edges, or a
      line through two crossings): CLEAR.
    * anything else (K's plane cuts A or B): PARTIAL.
    ``cut`` and ``kxy`` are scratch for the crossings (m_a * m_b, 2) and K's corners (km, 2) in K's
    plane."""
    lo, hi = _plane_range(kv, km, n_a, n_a[0] * poly_a[0, 0] + n_a[1] * poly_a[0, 1] + n_a[2] * poly_a[0, 2])
    if hi <= tol:
        return CLEAR
    lo, hi = _plane_range(kv, km, n_b, n_b[0] * poly_b[0, 0] + n_b[1] * poly_b[0, 1] + n_b[2] * poly_b[0, 2])
    if hi <= tol:
        return CLEAR
    a_lo, a_hi = _plane_range(poly_a, m_a, kn, koff)
    b_lo, b_hi = _plane_range(poly_b, m_b, kn, koff)
    if (min(a_lo, b_lo) >= -tol) or (max(a_hi, b_hi) <= tol):
        return CLEAR
    if not ((a_lo > tol and b_hi < -tol) or (a_hi < -tol and b_lo > tol)):
        return PARTIAL
    # K's frame in its plane: e1 along its first edge, e2 = n x e1 (scalars: this runs for every pair
    # of a large model, and small arrays would be allocated each time)
    e1x, e1y, e1z = kv[1, 0] - kv[0, 0], kv[1, 1] - kv[0, 1], kv[1, 2] - kv[0, 2]
    norm = math.sqrt(e1x * e1x + e1y * e1y + e1z * e1z)
    e1x, e1y, e1z = e1x / norm, e1y / norm, e1z / norm
    e2x = kn[1] * e1z - kn[2] * e1y
    e2y = kn[2] * e1x - kn[0] * e1z
    e2z = kn[0] * e1y - kn[1] * e1x
    n_cut = 0
    for i in range(m_a):
        sa = poly_a[i, 0] * kn[0] + poly_a[i, 1] * kn[1] + poly_a[i, 2] * kn[2] - koff
        for j in range(m_b):
            sb = poly_b[j, 0] * kn[0] + poly_b[j, 1] * kn[1] + poly_b[j, 2] * kn[2] - koff
            t = sa / (sa - sb)
            xx = poly_a[i, 0] + t * (poly_b[j, 0] - poly_a[i, 0]) - kv[0, 0]
            xy = poly_a[i, 1] + t * (poly_b[j, 1] - poly_a[i, 1]) - kv[0, 1]
            xz = poly_a[i, 2] + t * (poly_b[j, 2] - poly_a[i, 2]) - kv[0, 2]
            cut[n_cut, 0] = xx * e1x + xy * e1y + xz * e1z
            cut[n_cut, 1] = xx * e2x + xy * e2y + xz * e2z
            n_cut += 1
    kx = kxy[:, 0]
    ky = kxy[:, 1]
    for v in range(km):
        xx, xy, xz = kv[v, 0] - kv[0, 0], kv[v, 1] - kv[0, 1], kv[v, 2] - kv[0, 2]
        kx[v] = xx * e1x + xy * e1y + xz * e1z
        ky[v] = xx * e2x + xy * e2y + xz * e2z
    all_inside = True
    for e in range(km):
        f = (e + 1) % km
        n_out = 0
        for c in range(n_cut):
            if _outside_line(cut[c, 0], cut[c, 1], kx[e], ky[e], kx[f], ky[f]) < 0.0:
                n_out += 1
        if n_out == n_cut:
            return CLEAR  # this edge's line separates P from K
        if n_out > 0:
            all_inside = False
    if all_inside:
        return SHADOW
    return CLEAR if _hull_edge_separates(cut, n_cut, kx, ky, km) else PARTIAL


@njit(cache=True)
def _hull_edge_separates(cut, n_cut, kx, ky, km):
    """Whether a line through two of the points ``cut`` has all of them on one side and K's corners
    strictly on the other (the hull's edges are among these lines: with K's own edges, tested by the
    caller, they are every axis the separating-axis test needs for two convex polygons)."""
    for c in range(n_cut):
        for d in range(n_cut):
            if c == d or (cut[c, 0] == cut[d, 0] and cut[c, 1] == cut[d, 1]):
                continue
            ok = True
            for g in range(n_cut):
                if _outside_line(cut[g, 0], cut[g, 1], cut[c, 0], cut[c, 1], cut[d, 0], cut[d, 1]) < 0.0:
                    ok = False
                    break
            if not ok:
                continue
            for v in range(km):
                if _outside_line(kx[v], ky[v], cut[c, 0], cut[c, 1], cut[d, 0], cut[d, 1]) >= 0.0:
                    ok = False
                    break
            if ok:
                return True
    return False


@njit(cache=True, parallel=True)
def batch_visibility(pairs, points, normals_p, plate, patch_verts, patch_count, verts, count, normals, offset,
                     bounds, tol, out, rays):
    """pair_visibility for many pairs, each against only the polygons whose bounding box meets the
    pair's (the segments between two patches stay inside that box), leaving out the plates the two
    patches lie on (``plate[p]``: a ray meets them only at its ends).  Each remaining polygon is
    first sorted out exactly (blocker_state): one that shadows the whole pair makes it 0 without a
    ray, the ones that stop no segment are dropped, and rays are cast only against the PARTIAL ones.
    The value is the one casting every ray would give (a dropped polygon stops none of them).
    Counts the rays cast.  Pairs are independent: chunks of them run on the threads the caller
    allows (each pair's value is computed the same way whatever the thread count)."""
    m = count.size
    n_pairs = pairs.shape[0]
    chunks = max(1, min(64, n_pairs // 64))
    cast = np.zeros(chunks, np.int64)
    kp = patch_verts.shape[1]
    for ch in prange(chunks):
        pick = np.empty(m, np.int64)
        lo = np.empty(3)
        hi = np.empty(3)
        cut = np.empty((kp * kp, 2))
        kxy = np.empty((verts.shape[1], 2))
        for q in range(ch * n_pairs // chunks, (ch + 1) * n_pairs // chunks):
            i, j = pairs[q, 0], pairs[q, 1]
            for c in range(3):
                lo[c] = min(points[i, :, c].min(), points[j, :, c].min())
                hi[c] = max(points[i, :, c].max(), points[j, :, c].max())
            n = 0
            shadow = False
            for k in range(m):
                if k == plate[i] or k == plate[j]:
                    continue
                if (bounds[k, 0] <= hi[0] and bounds[k, 1] <= hi[1] and bounds[k, 2] <= hi[2]
                        and bounds[k, 3] >= lo[0] and bounds[k, 4] >= lo[1] and bounds[k, 5] >= lo[2]):
                    state = blocker_state(patch_verts[i], patch_count[i], normals_p[i], patch_verts[j],
                                          patch_count[j], normals_p[j], verts[k], count[k], normals[k], offset[k],
                                          tol, cut, kxy)
                    if state == SHADOW:
                        shadow = True
                        break
                    if state == PARTIAL:
                        pick[n] = k
                        n += 1
            if shadow:
                out[q] = 0.0
                continue
            if n == 0:
                out[q] = 1.0
                continue
            sel = pick[:n]
            cast[ch] += points.shape[1] * points.shape[1]
            out[q] = pair_visibility(points[i], normals_p[i], points[j], normals_p[j], verts[sel], count[sel],
                                     normals[sel], offset[sel], bounds[sel])
    rays[0] += cast.sum()


@njit(cache=True)
def sunlit_fractions(points, normals_p, sun, verts, count, normals, offset, bounds, out):
    """Per patch p (points (r, m, 3), normal normals_p[p]): the share of its sample points that see the
    Sun along ``sun`` (1 for a patch facing away: it gets no direct sunlight anyway)."""
    for p in range(points.shape[0]):
        if sun[0] * normals_p[p, 0] + sun[1] * normals_p[p, 1] + sun[2] * normals_p[p, 2] <= 0.0:
            out[p] = 1.0
            continue
        lit = 0
        for i in range(points.shape[1]):
            if not blocked(points[p, i], sun, FAR, verts, count, normals, offset, bounds):
                lit += 1
        out[p] = lit / points.shape[1]


@njit(cache=True)
def earth_visibilities(points, frames, dirs, nadir, cos_earth, verts, count, normals, offset, bounds, out):
    """Per patch: of the cosine-weighted rays (``dirs`` about +z, turned into the patch's frame) from
    its sample points that hit the Earth (within the cone about ``nadir`` of half-angle acos(cos_earth)),
    the share no polygon blocks (1 when none hits the Earth)."""
    d = np.empty(3)
    for p in range(points.shape[0]):
        hit = 0
        free = 0
        for k in range(dirs.shape[0]):
            for c in range(3):
                d[c] = dirs[k, 0] * frames[p, 0, c] + dirs[k, 1] * frames[p, 1, c] + dirs[k, 2] * frames[p, 2, c]
            if d[0] * nadir[0] + d[1] * nadir[1] + d[2] * nadir[2] < cos_earth:
                continue
            for i in range(points.shape[1]):
                hit += 1
                if not blocked(points[p, i], d, FAR, verts, count, normals, offset, bounds):
                    free += 1
        out[p] = free / hit if hit > 0 else 1.0
