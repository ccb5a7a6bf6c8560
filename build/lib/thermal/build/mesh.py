"""Panel geometry -> structured finite-volume cells (numpy only; no physics here).

A panel is a rectangle [0, Lx] x [0, Ly] with a stack of layers through its thickness (z up from
the bottom face).  Cells are indexed ``(k, j, i)`` with i along x fastest, so for a one-cell-thick
panel the flat order is ``p = i + nx*j`` (FiPy's Grid2D order).  A layer limited to footprints
exists only in the cells whose centre lies inside one of them; with ``snap_to_footprints`` the
footprint edges are grid lines, so the layer is represented exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thermal.model.case import Panel


def graded_segment(a: float, b: float, n: int, ratio: float, fine_left: bool, fine_right: bool) -> np.ndarray:
    """n cells between a and b whose widths grow by ``ratio`` away from the fine end(s)."""
    if n == 1 or ratio == 1.0 or not (fine_left or fine_right):
        return np.linspace(a, b, n + 1)
    k = np.arange(n)
    if fine_left and fine_right:
        widths = ratio ** np.minimum(k, n - 1 - k)
    elif fine_left:
        widths = ratio ** k
    else:
        widths = ratio ** (n - 1 - k)
    edges = a + (b - a) * np.concatenate([[0.0], np.cumsum(widths)]) / widths.sum()
    edges[-1] = b
    return edges


def axis_edges(length: float, n_cells: int, ratio: float, breakpoints, footprint_spans=(), min_cells=1) -> np.ndarray:
    """Cell edges on [0, length] that include every breakpoint as a grid line.

    Cells are shared among the segments between breakpoints in proportion to their lengths (at
    least one each, largest remainder); a segment inside a footprint span gets at least
    ``min_cells`` so a small die is resolved on a large panel.  The total is therefore at least
    ``n_cells``.
    """
    tol = 1e-9 * length
    cuts = sorted({0.0, length, *(float(b) for b in breakpoints if tol < b < length - tol)})
    merged = [cuts[0]]
    for c in cuts[1:]:
        if c - merged[-1] > tol:
            merged.append(c)
    merged[-1] = length
    seg = np.diff(merged)
    n_seg = len(seg)
    total = max(n_cells, n_seg)
    share = seg / length * total
    counts = np.maximum(1, np.floor(share).astype(int))
    mids = 0.5 * (np.asarray(merged[1:]) + np.asarray(merged[:-1]))
    for a, b in footprint_spans:
        inside = (mids > a) & (mids < b)
        if inside.any():
            need = np.ceil(min_cells * seg[inside] / seg[inside].sum()).astype(int)
            counts[inside] = np.maximum(counts[inside], need)
    total = max(total, int(counts.sum()))
    while counts.sum() < total:
        counts[np.argmax(share - counts)] += 1
    while counts.sum() > total:
        candidates = np.where(counts > 1)[0]
        counts[candidates[np.argmin((share - counts)[candidates])]] -= 1
    parts = []
    for s in range(n_seg):
        fine_left = 0 < s  # internal breakpoints are footprint edges: refine towards them
        fine_right = s < n_seg - 1
        e = graded_segment(merged[s], merged[s + 1], int(counts[s]), ratio, fine_left, fine_right)
        parts.append(e if s == 0 else e[1:])
    return np.concatenate(parts)


@dataclass
class PanelMesh:
    """Cells of one panel.  ``layer`` and ``present`` are indexed (k, j, i)."""

    panel: Panel
    x_edges_m: np.ndarray
    y_edges_m: np.ndarray
    z_edges_m: np.ndarray
    z_layer: np.ndarray  # (nz,) layer index of each z-cell
    present: np.ndarray  # (nz, ny, nx) bool

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.present.shape

    @property
    def dx(self):
        return np.diff(self.x_edges_m)

    @property
    def dy(self):
        return np.diff(self.y_edges_m)

    @property
    def dz(self):
        return np.diff(self.z_edges_m)

    def footprint_overlap_m2(self, fp) -> np.ndarray:
        """(ny, nx) exact overlap area of each cell column with a footprint rectangle."""
        ox = np.clip(np.minimum(self.x_edges_m[1:], fp.x1_m) - np.maximum(self.x_edges_m[:-1], fp.x0_m), 0, None)
        oy = np.clip(np.minimum(self.y_edges_m[1:], fp.y1_m) - np.maximum(self.y_edges_m[:-1], fp.y0_m), 0, None)
        return oy[:, None] * ox[None, :]


def build_panel_mesh(panel: Panel) -> PanelMesh:
    if panel.snap_to_footprints:
        bx = [v for fp in panel.footprints for v in (fp.x0_m, fp.x1_m)]
        by = [v for fp in panel.footprints for v in (fp.y0_m, fp.y1_m)]
        bx += [v for fp in panel.footprints for h in fp.hot_spots for v in (h[0], h[1])]
        by += [v for fp in panel.footprints for h in fp.hot_spots for v in (h[2], h[3])]
    else:
        bx = by = []
    x_edges = axis_edges(panel.length_x_m, panel.x_cells, panel.x_grading, bx,
                         [(fp.x0_m, fp.x1_m) for fp in panel.footprints], panel.footprint_cells)
    y_edges = axis_edges(panel.length_y_m, panel.y_cells, panel.y_grading, by,
                         [(fp.y0_m, fp.y1_m) for fp in panel.footprints], panel.footprint_cells)
    z_parts, z_layer = [0.0], []
    for li, layer in enumerate(panel.layers):
        base = z_parts[-1]
        z_parts.extend(base + layer.thickness_m * np.arange(1, layer.z_cells + 1) / layer.z_cells)
        z_layer.extend([li] * layer.z_cells)
    z_edges = np.asarray(z_parts)
    z_layer = np.asarray(z_layer, dtype=np.int64)

    xc = 0.5 * (x_edges[1:] + x_edges[:-1])
    yc = 0.5 * (y_edges[1:] + y_edges[:-1])
    fps = {fp.name: fp for fp in panel.footprints}
    column_in = {}
    for fp in panel.footprints:
        column_in[fp.name] = ((yc[:, None] >= fp.y0_m) & (yc[:, None] <= fp.y1_m)
                              & (xc[None, :] >= fp.x0_m) & (xc[None, :] <= fp.x1_m))
    present = np.zeros((z_layer.size, yc.size, xc.size), dtype=bool)
    for k, li in enumerate(z_layer):
        layer = panel.layers[li]
        if layer.on is None:
            present[k] = True
        else:
            for name in layer.on:
                present[k] |= column_in[name]
    del fps
    return PanelMesh(panel, x_edges, y_edges, z_edges, z_layer, present)
