"""Hostile inputs (issue 16's attacks that were still tracebacks or silent): endless and binary
files, oversized inputs, overflowing power maps, underflowing conductivities, a zero end-of-life
emittance, malformed result files given to compare and plot, the sweep dashboard's address.
Each is one line on stderr and a nonzero exit; none is a traceback."""
import os

import h5py
import numpy as np
import pytest

from thermal.apps.solve import solve
from thermal.cli import check_dashboard_address, main
from thermal.errors import CaseError, ThermalError
from thermal.input.case_file import MAX_CASE_BYTES, load_case

from .conftest import CASES, MINIMAL_CASE


def _one_line(capsys, *words):
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and "\n" not in err, err
    for w in words:
        assert w in err, (w, err)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_endless_device_as_case_file(capsys):
    assert main(["run", "/dev/zero", "-o", "/tmp/never.h5"]) == 2
    _one_line(capsys, "larger than")


def test_binary_and_oversized_case_files(tmp_path, capsys):
    binary = tmp_path / "binary.toml"
    binary.write_bytes(bytes(range(256)) * 4)
    assert main(["run", str(binary), "-o", str(tmp_path / "o.h5")]) == 2
    _one_line(capsys, "cannot read")
    big = tmp_path / "big.toml"
    big.write_text("# padding\n" * (MAX_CASE_BYTES // 10 + 1))
    with pytest.raises(CaseError, match="larger than"):
        load_case(big)
    for verb in ("size", "sweep"):
        assert main([verb, str(binary), "-o", str(tmp_path / verb)]) == 2
        _one_line(capsys, "cannot read")


def _power_map_case(tmp_path, content: bytes):
    (tmp_path / "map.csv").write_bytes(content)
    text = MINIMAL_CASE.replace('power = "100 W"', 'power = "100 W"\npower_map = "map.csv"')
    path = tmp_path / "case.toml"
    path.write_text(text)
    return path


def test_power_map_binary_and_endless(tmp_path):
    with pytest.raises(CaseError) as err:
        load_case(_power_map_case(tmp_path, b"\xff\xfe\x00\x81" * 100))
    assert err.value.key.endswith("power_map") and "not a text" in str(err.value)


def test_power_map_with_huge_values_keeps_its_shape(tmp_path):
    """1e308 pixels overflowed the sum, and the power spread evenly; now the densities are relative
    to the largest, so the row of 1e308 takes all of it (the row of 1 takes 1e-308 of it)."""
    case = load_case(_power_map_case(tmp_path, b"1e308,1e308\n1,1\n"))
    result = solve(case)
    net = result.network
    q = np.asarray(net.q_w)
    idx = net.node_index["plate"]
    mesh = net.meshes["plate"]
    yc = 0.5 * (mesh.y_edges_m[:-1] + mesh.y_edges_m[1:])
    low = idx[:, yc < 0.25][idx[:, yc < 0.25] >= 0]  # the map's first row lies at the footprint's low y
    high = idx[:, yc > 0.25][idx[:, yc > 0.25] >= 0]
    assert q[low].sum() == pytest.approx(100.0, rel=1e-12)
    assert q[high].sum() < 1e-300 + 1e-12


def test_underflowing_conductivity_is_refused_at_the_key(tmp_path, capsys):
    """k = 1e-308 would leave the lower layer's cells with no conductance at all (1/k overflows):
    refused where it is written, below any solid's conductivity."""
    text = MINIMAL_CASE.replace('[[panels.plate.layers]]\nname = "sheet"',
                                '[[panels.plate.layers]]\nname = "under"\nmaterial = "nothing"\nthickness = "1 mm"\n\n'
                                '[[panels.plate.layers]]\nname = "sheet"')
    text += '\n[materials.nothing]\nrho = "1000 kg/m3"\nk = "1e-308 W/m/K"\ncp = "900 J/kg/K"\n'
    path = tmp_path / "k.toml"
    path.write_text(text)
    assert main(["run", str(path), "-o", str(tmp_path / "k.h5")]) == 2
    _one_line(capsys, "materials.nothing.k", "conductivity")


def test_singular_newton_matrix_is_a_diagnosis():
    """Should a singular matrix still reach the direct solver, SuperLU's error becomes one line."""
    import scipy.sparse as sp

    from thermal.errors import ConvergenceError
    from thermal.solvers.linalg import LinearSolver

    singular = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ConvergenceError, match="singular"):
        LinearSolver("direct", 2, True).solve(singular, np.ones(2))


def test_zero_end_of_life_emittance(tmp_path, capsys):
    text = (CASES / "sizing" / "smallsat_1kw.toml").read_text().replace("eps_eol = 0.78", "eps_eol = 0.0")
    path = tmp_path / "s.toml"
    path.write_text(text)
    assert main(["size", str(path), "-o", str(tmp_path / "o"), "-q", "--no-trades"]) == 2
    _one_line(capsys, "radiator.eps_eol", "emittance above 0")


@pytest.fixture(scope="module")
def good_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("r") / "good.h5"
    assert main(["run", str(CASES / "gpu_radiator.toml"), "-o", str(out)]) == 0
    return out


def _copy_and(path, tmp_path, name, edit):
    target = tmp_path / name
    target.write_bytes(path.read_bytes())
    with h5py.File(target, "r+") as f:
        edit(f)
    return target


def _drop_mesh(f):
    del f["mesh"]


def _string_time(f):
    del f["time"]
    f.create_dataset("time", data=np.array([b"noon"]))


def _short_edges(f):
    panel = next(iter(f["mesh"]))
    x = f[f"mesh/{panel}/x_edges"][:]
    del f[f"mesh/{panel}/x_edges"]
    f.create_dataset(f"mesh/{panel}/x_edges", data=x[:-3])


def _external_link(f):
    del f["nodes"]
    f["nodes"] = h5py.ExternalLink("/nonexistent/elsewhere.h5", "/nodes")


@pytest.mark.parametrize("edit", [_drop_mesh, _string_time, _short_edges, _external_link],
                         ids=["no_mesh", "string_time", "short_edges", "external_link"])
def test_malformed_results_for_compare_and_plot(good_result, tmp_path, capsys, edit):
    bad = _copy_and(good_result, tmp_path, "bad.h5", edit)
    assert main(["compare", str(good_result), str(bad)]) == 2
    _one_line(capsys, "bad.h5")
    assert main(["plot", str(bad), "-o", str(tmp_path / "p.png")]) == 2
    _one_line(capsys, "bad.h5")


def test_dashboard_address():
    check_dashboard_address("127.0.0.1:0")
    with pytest.raises(ThermalError, match="HOST:PORT"):
        check_dashboard_address("8787")
    with pytest.raises(ThermalError, match="HOST:PORT"):
        check_dashboard_address("0.0.0.0:99999")


def test_public_dashboard_warns(capsys):
    check_dashboard_address("0.0.0.0:8787")
    assert "no authentication" in capsys.readouterr().err
