"""The XDMF sidecar of a result file, so ParaView opens it with its default reader (Xdmf3ReaderS/T)
and the legacy one: panels as rectilinear grids with their cell fields, heat pipes as polylines
along their paths, lumped nodes as points, one time per output step.

Everything is drawn in each panel's own frame (x, y in the panel plane from its (0, 0) corner, z
through its thickness), the frame the fields are stored in; a heat pipe's path sits at its panel's
mid-thickness.  Lumped nodes have no position in a case, so they stand in a row beside the panels
(y = -10 % of the largest panel), in the order of /nodes/names; their `node` attribute is the
index into that list."""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import h5py
import numpy as np

PIPE_VALUES = (("T_vapour", "T_vapour", "K"), ("Q", "Q", "W"), ("utilisation", "utilisation", "1"))


def write_step_views(f, nt: int) -> None:
    """/xdmf/<panel>/<field>/<step>: each output step of each 4-D field as a 3-D HDF5 virtual dataset
    (no copy of the data).  ParaView's default XDMF reader (Xdmf3ReaderS/T) skips HyperSlab items
    ("Skipping unrecognized array type [None]": it loaded `material` and dropped `T`), so the
    sidecar names one plain dataset per step; the legacy reader reads them too."""
    if "xdmf" in f:
        del f["xdmf"]
    for panel in f.get("fields", {}):
        for name, ds in f[f"fields/{panel}"].items():
            if ds.ndim != 4:
                continue
            shape = ds.shape[1:]
            for n in range(min(nt, ds.shape[0])):
                layout = h5py.VirtualLayout(shape=shape, dtype=ds.dtype)
                layout[...] = h5py.VirtualSource(".", ds.name, shape=ds.shape)[n]
                view = f.create_virtual_dataset(f"xdmf/{panel}/{name}/{n:06d}", layout, fillvalue=np.nan)
                view.attrs["units"] = ds.attrs.get("units", "1")
    _pipe_views(f, nt)
    _node_views(f, nt)


def _pipe_views(f, nt: int) -> None:
    """/xdmf/heat_pipes/{points, segments, pipe}: every heat pipe's path as 2-point segments at its
    panel's mid-thickness; /xdmf/heat_pipes/<value>/<step>: the pipe's vapour temperature, heat and
    utilisation on each of its segments."""
    points, segments, owner, series = [], [], [], {key: [] for key, _, _ in PIPE_VALUES}
    for index, (name, g) in enumerate(sorted(f.get("heat_pipes", {}).items())):
        paths = sorted(k for k in g if k.startswith("path_"))
        for key in paths:
            panel = g[key].attrs["panel"]
            panel = panel.decode() if isinstance(panel, bytes) else str(panel)
            z_edges = f[f"mesh/{panel}/z_edges"][:] if f"mesh/{panel}/z_edges" in f else np.zeros(1)
            xy = g[key][:]
            first = len(points)
            points += [(x, y, 0.5 * (z_edges[0] + z_edges[-1])) for x, y in xy]
            segments += [(first + i, first + i + 1) for i in range(len(xy) - 1)]
            owner += [index] * (len(xy) - 1)
        for key, dataset, _ in PIPE_VALUES:
            values = g[dataset][:nt] if dataset in g else np.full(nt, np.nan)
            series[key].append(np.repeat(values[:, None], sum(len(g[k]) - 1 for k in paths), axis=1))
    if not segments:
        return
    f.create_dataset("xdmf/heat_pipes/points", data=np.array(points, float)).attrs["units"] = "m"
    f.create_dataset("xdmf/heat_pipes/segments", data=np.array(segments, np.int64))
    f.create_dataset("xdmf/heat_pipes/pipe", data=np.array(owner, np.int32))  # index in sorted pipe names
    for key, _, unit in PIPE_VALUES:
        values = np.concatenate(series[key], axis=1)
        for n in range(values.shape[0]):
            f.create_dataset(f"xdmf/heat_pipes/{key}/{n:06d}", data=values[n]).attrs["units"] = unit


def _node_views(f, nt: int) -> None:
    """/xdmf/nodes/points (a row beside the panels) and /xdmf/nodes/T/<step> (views of /nodes/T)."""
    if "nodes/T" not in f or f["nodes/T"].shape[1] == 0:
        return
    t = f["nodes/T"]
    n_nodes = t.shape[1]
    extent = max([float(np.ptp(f[f"mesh/{p}/{axis}"][:])) for p in f.get("mesh", {}) for axis in ("x_edges", "y_edges")]
                 + [1.0])
    x = np.arange(n_nodes) * extent / max(n_nodes - 1, 1) if n_nodes > 1 else np.zeros(1)
    points = np.column_stack([x, np.full(n_nodes, -0.1 * extent), np.zeros(n_nodes)])
    f.create_dataset("xdmf/nodes/points", data=points).attrs["units"] = "m"
    f.create_dataset("xdmf/nodes/node", data=np.arange(n_nodes, dtype=np.int32))
    for n in range(min(nt, t.shape[0])):
        layout = h5py.VirtualLayout(shape=(n_nodes,), dtype=t.dtype)
        layout[...] = h5py.VirtualSource(".", t.name, shape=t.shape)[n]
        f.create_virtual_dataset(f"xdmf/nodes/T/{n:06d}", layout, fillvalue=np.nan).attrs["units"] = "K"


def write_xdmf(h5_path, mesh: dict, nt: int) -> Path:
    """An XDMF 2 sidecar so ParaView opens the fields on the rectilinear grid, one time per step,
    with its default (Xdmf3) reader and the legacy one.  The HDF5 file is named relative to the
    sidecar (the pair can be moved together); ParaView's Xdmf3 readers, given the sidecar's name
    with no folder part, join the two names without a separator ("NAME.xdmfNAME.h5"), so open it as
    ./NAME.xdmf or by its full path (the GUI's file dialog always does)."""
    h5_path = Path(h5_path)
    ref = escape(h5_path.name)
    with h5py.File(h5_path, "r") as f:
        times = f["time"][:nt]
        n_points = f["xdmf/heat_pipes/points"].shape[0] if "xdmf/heat_pipes/points" in f else 0
        n_segments = f["xdmf/heat_pipes/segments"].shape[0] if n_points else 0
        n_nodes = f["xdmf/nodes/points"].shape[0] if "xdmf/nodes/points" in f else 0
    # one temporal collection of spatial collections (a step: every panel, by name), the layout both
    # of ParaView's XDMF readers keep the panel names in (per-panel temporal collections lost them
    # in Xdmf3ReaderS: two unnamed pieces)
    lines = ['<?xml version="1.0" ?>', '<!DOCTYPE Xdmf SYSTEM "Xdmf.dtd" []>', '<Xdmf Version="2.0">', "  <Domain>",
             '    <Grid Name="thermal" GridType="Collection" CollectionType="Temporal">']
    for n in range(nt):
        lines += [f'      <Grid Name="step_{n}" GridType="Collection" CollectionType="Spatial">',
                  f'        <Time Value="{times[n]:.17g}"/>']
        for panel, m in mesh.items():
            nz, ny, nx = np.asarray(m["material"]).shape
            lines += [
                f'        <Grid Name="{escape(panel)}" GridType="Uniform">',
                f'          <Topology TopologyType="3DRectMesh" Dimensions="{nz + 1} {ny + 1} {nx + 1}"/>',
                '          <Geometry GeometryType="VXVYVZ">',
                *(f'            <DataItem Dimensions="{size}" NumberType="Float" Precision="8" Format="HDF">'
                  f'{ref}:/mesh/{escape(panel)}/{axis}</DataItem>'
                  for axis, size in (("x_edges", nx + 1), ("y_edges", ny + 1), ("z_edges", nz + 1))),
                "          </Geometry>",
                *_step_attributes(ref, panel, m, n, (nz, ny, nx)),
                '          <Attribute Name="material" AttributeType="Scalar" Center="Cell">',
                f'            <DataItem Dimensions="{nz} {ny} {nx}" NumberType="Int" Precision="2" Format="HDF">'
                f'{ref}:/mesh/{escape(panel)}/material</DataItem>',
                "          </Attribute>",
                "        </Grid>",
            ]
        if n_segments:
            lines += _pipe_grid(ref, n, n_points, n_segments)
        if n_nodes:
            lines += _node_grid(ref, n, n_nodes)
        lines.append("      </Grid>")
    lines.append("    </Grid>")
    lines += ["  </Domain>", "</Xdmf>", ""]
    out = h5_path.with_suffix(".xdmf")
    out.write_text("\n".join(lines), encoding="utf-8")
    return out


def _step_attributes(ref, panel, m, n, shape) -> list:
    """The XDMF lines of step ``n``'s cell fields of ``panel`` (T, and melt_fraction with phase change)."""
    dims = " ".join(str(v) for v in shape)
    lines = []
    for name in ("T",) + (("melt_fraction",) if m.get("melting") else ()):
        lines += [f'          <Attribute Name="{name}" AttributeType="Scalar" Center="Cell">',
                  f'            <DataItem Dimensions="{dims}" NumberType="Float" Precision="8" Format="HDF">'
                  f'{ref}:/xdmf/{escape(panel)}/{name}/{n:06d}</DataItem>',
                  "          </Attribute>"]
    return lines




def _data_item(ref, path, dims, number="Float", precision=8) -> str:
    return (f'<DataItem Dimensions="{dims}" NumberType="{number}" Precision="{precision}" Format="HDF">'
            f'{ref}:{path}</DataItem>')


def _unstructured_grid(ref, name, topology, connectivity, points, attributes) -> list:
    """One XDMF grid of points joined by ``connectivity`` = (HDF5 path, elements, nodes per element,
    integer bytes),
    at ``points`` = (HDF5 path, count), with ``attributes`` = (name, centre, HDF5 path, count, type,
    bytes) each."""
    (conn_path, n_elements, per_element, conn_bytes), (points_path, n_points) = connectivity, points
    lines = [f'        <Grid Name="{name}" GridType="Uniform">',
             f'          <Topology TopologyType="{topology}" NumberOfElements="{n_elements}" '
             f'NodesPerElement="{per_element}">',
             "            " + _data_item(ref, conn_path, f"{n_elements} {per_element}", "Int", conn_bytes),
             "          </Topology>",
             '          <Geometry GeometryType="XYZ">',
             "            " + _data_item(ref, points_path, f"{n_points} 3"),
             "          </Geometry>"]
    for attr, centre, path, count, number, precision in attributes:
        lines += [f'          <Attribute Name="{attr}" AttributeType="Scalar" Center="{centre}">',
                  "            " + _data_item(ref, path, str(count), number, precision),
                  "          </Attribute>"]
    return lines + ["        </Grid>"]


def _pipe_grid(ref, n, n_points, n_segments) -> list:
    values = [(key, "Cell", f"/xdmf/heat_pipes/{key}/{n:06d}", n_segments, "Float", 8) for key, _, _ in PIPE_VALUES]
    return _unstructured_grid(ref, "heat_pipes", "Polyline", ("/xdmf/heat_pipes/segments", n_segments, 2, 8),
                              ("/xdmf/heat_pipes/points", n_points),
                              [("pipe", "Cell", "/xdmf/heat_pipes/pipe", n_segments, "Int", 4)] + values)


def _node_grid(ref, n, n_nodes) -> list:
    return _unstructured_grid(ref, "lumped_nodes", "Polyvertex", ("/xdmf/nodes/node", n_nodes, 1, 4),
                              ("/xdmf/nodes/points", n_nodes),
                              [("node", "Node", "/xdmf/nodes/node", n_nodes, "Int", 4),
                               ("T", "Node", f"/xdmf/nodes/T/{n:06d}", n_nodes, "Float", 8)])
