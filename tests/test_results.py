"""HDF5 contract (DESIGN.md), XDMF sidecar that ParaView's reader accepts, reader round trip."""

import xml.etree.ElementTree as ET

import h5py
import numpy as np
import pytest

from thermal.apps.solve import solve
from thermal.constants import VERSION as __version__
from thermal.input.case_file import parse_case
from thermal.input.overrides import case_text_with
from thermal.output.results import read_result

from .conftest import CASES


@pytest.fixture(scope="module")
def gpu_result(tmp_path_factory):
    text = case_text_with((CASES / "gpu_radiator.toml").read_text(),
                          {"panels.radiator.cells": [16, 16], "panels.radiator.footprint_cells": 3})
    case = parse_case(text, "gpu_small.toml")
    out = tmp_path_factory.mktemp("res") / "gpu.h5"
    result = solve(case, output=out)
    return case, result, out


def test_every_dataset_has_units_and_the_layout_of_the_contract(gpu_result):
    case, result, out = gpu_result
    with h5py.File(out) as f:
        missing = []
        f.visititems(lambda name, obj: missing.append(name)
                     if isinstance(obj, h5py.Dataset) and "units" not in obj.attrs else None)
        assert missing == []
        assert f.attrs["thermal_version"] == __version__
        assert f.attrs["case_name"] == "gpu_radiator"
        assert f.attrs["mode"] == "steady"
        assert f.attrs["case_text"] == case.source_text
        assert "created" in f.attrs
        nz = sum(l.z_cells for l in case.panels[0].layers)
        t = f["fields/radiator/T"]
        assert t.shape[0] == 1 and t.shape[1] == nz and t.attrs["units"] == "K"
        assert t.chunks == (1, *t.shape[1:])
        for axis in ("x_edges", "y_edges", "z_edges"):
            assert f[f"mesh/radiator/{axis}"].attrs["units"] == "m"
        assert f["mesh/radiator/z_edges"][-1] == pytest.approx(sum(l.thickness_m for l in case.panels[0].layers))
        for term in ("generated", "absorbed", "radiated", "stored", "conducted_out", "balance_error"):
            assert f[f"energy/{term}"].shape == (1,) and f[f"energy/{term}"].attrs["units"] == "W"
        assert f["energy/generated"][0] == pytest.approx(700.0, rel=1e-12)
        assert abs(f["energy/balance_error"][0]) < 1e-9 * 700
        # void cells (the die layer away from the die) are NaN, the facesheet has none
        field = t[0]
        assert np.isnan(field[-1]).any() and np.isfinite(field[0]).all()
        names = list(f["mesh/radiator/material"].attrs["names"])
        mat = f["mesh/radiator/material"][:]
        assert names[mat[0, 0, 0]] == "al6061" and (mat == -1).sum() == np.isnan(field).sum()


def test_xdmf_points_at_datasets_that_exist_with_matching_shapes(gpu_result):
    _, _, out = gpu_result
    xdmf = out.with_suffix(".xdmf")
    root = ET.parse(xdmf).getroot()
    assert root.tag == "Xdmf" and root.get("Version") == "2.0"
    items = [d for d in root.iter("DataItem") if d.get("Format") == "HDF"]
    assert items
    with h5py.File(out) as f:
        for item in items:
            file_part, path = item.text.strip().split(":", 1)
            assert file_part == out.name
            assert path in f, path
            dims = tuple(int(v) for v in item.get("Dimensions").split())
            assert f[path].shape == dims, (path, f[path].shape, dims)
        for grid in root.iter("Grid"):
            topo = grid.find("Topology")
            if topo is None:
                continue
            nz1, ny1, nx1 = (int(v) for v in topo.get("Dimensions").split())
            assert (nz1 - 1, ny1 - 1, nx1 - 1) == f["fields/radiator/T"].shape[1:]
        # T of each step: a plain 3-D dataset (a virtual view of /fields), which ParaView's default
        # Xdmf3 reader reads (it skipped HyperSlab items); the same values as the field's step
        steps = [d.text.strip().split(":", 1)[1] for d in items if "/xdmf/radiator/T/" in d.text]
        assert len(steps) == f["time"].shape[0]
        for n, path in enumerate(steps):
            np.testing.assert_array_equal(f[path][...], f["fields/radiator/T"][n])
            assert f[path].is_virtual


def test_reader_round_trip_and_summary(gpu_result):
    case, result, out = gpu_result
    back = read_result(out)
    np.testing.assert_array_equal(back.fields["radiator"], result.fields["radiator"])
    assert back.mesh["radiator"]["layer_names"] == [l.name for l in case.panels[0].layers]
    rows = back.summary_rows()
    assert [r[1] for r in rows] == ["facesheet", "spreader", "tim", "die"]
    for _, _, tmax, tmean in rows:
        assert tmean <= tmax
    # heat flows from the die down: hottest layer on top
    assert rows[-1][2] == max(r[2] for r in rows)


def test_junction_temperatures_are_the_die_cells_under_the_chip(gpu_result):
    case, result, out = gpu_result
    with h5py.File(out) as f:
        g = f["chips/radiator.gpu"]
        assert g.attrs["junction_limit_k"] == pytest.approx(358.15)
        assert g["t_max"].attrs["units"] == "K" and g["t_mean"].attrs["units"] == "K"
        t_max, t_mean = g["t_max"][0], g["t_mean"][0]
    mesh = result.mesh["radiator"]
    die = mesh["layer_names"].index("die")
    cells = result.fields["radiator"][0][np.asarray(mesh["z_layer"]) == die]
    assert t_max == np.nanmax(cells)  # the die exists only under the chip
    assert np.nanmin(cells) <= t_mean <= t_max
    back = read_result(out)
    assert back.chips["radiator.gpu"]["limit_k"] == pytest.approx(358.15)


def test_xdmf_draws_heat_pipes_as_polylines_and_lumped_nodes_as_points(tmp_path):
    """Each pipe's path is a chain of segments at its panel's mid-thickness carrying the pipe's own
    vapour temperature, heat and utilisation at every step; every lumped node is a point with its
    /nodes/T value.  (`make paraview-check` opens the same grids with ParaView's readers.)"""
    text = (CASES / "four_gpu_ammonia.toml").read_text().replace('mode = "steady"', 'mode = "transient"') + (
        '\n[transient]\ntime_step = "10 s"\nend_time = "2 min"\nscheme = "bdf2"\ntolerance = "0.1 K"\n'
        'output_interval = "1 min"\n')
    out = tmp_path / "pipes.h5"
    solve(parse_case(text, "four_gpu_marched.toml"), output=out)
    root = ET.parse(out.with_suffix(".xdmf")).getroot()
    steps = root.find("Domain/Grid").findall("Grid")
    with h5py.File(out) as f:
        nt, names = f["time"].shape[0], sorted(f["heat_pipes"])
        assert len(steps) == nt == 3
        points, segments = f["xdmf/heat_pipes/points"][:], f["xdmf/heat_pipes/segments"][:]
        owner = f["xdmf/heat_pipes/pipe"][:]
        for p, name in enumerate(names):
            g = f[f"heat_pipes/{name}"]
            drawn = segments[owner == p]
            paths = [g[k] for k in sorted(g) if k.startswith("path_")]
            assert len(drawn) == sum(len(path) - 1 for path in paths)
            starts = np.concatenate([path[:-1] for path in paths])
            np.testing.assert_array_equal(points[drawn[:, 0], :2], starts)
            for path in paths:  # mid-thickness of the panel the path runs in
                z = f[f"mesh/{path.attrs['panel']}/z_edges"][:]
                assert np.isin(0.5 * (z[0] + z[-1]), points[:, 2])
            for n in range(nt):
                for key, dataset in (("T_vapour", "T_vapour"), ("Q", "Q"), ("utilisation", "utilisation")):
                    assert np.all(f[f"xdmf/heat_pipes/{key}/{n:06d}"][:][owner == p] == g[dataset][n])
        for n, step in enumerate(steps):
            grids = {g.get("Name"): g for g in step.findall("Grid")}
            assert {"coldplate", "radiator", "heat_pipes", "lumped_nodes"} <= set(grids)
            assert grids["heat_pipes"].find("Topology").get("TopologyType") == "Polyline"
            assert grids["lumped_nodes"].find("Topology").get("TopologyType") == "Polyvertex"
            t_path = [a.find("DataItem").text.split(":", 1)[1] for a in grids["lumped_nodes"].findall("Attribute")
                      if a.get("Name") == "T"][0]
            np.testing.assert_array_equal(f[t_path][:], f["nodes/T"][n])
        assert f["xdmf/nodes/points"].shape == (f["nodes/T"].shape[1], 3)
