"""CSV power maps on a footprint: each pixel's share of the power lands on the cells under it."""
import pytest

from thermal.build.network import build_network
from thermal.cli import main
from thermal.input.case_file import load_case

from .conftest import MINIMAL_CASE

MAPPED = MINIMAL_CASE.replace('power = "100 W"', 'power = "100 W"\npower_map = "map.csv"')


def _net(tmp_path, csv):
    (tmp_path / "map.csv").write_text(csv)
    (tmp_path / "c.toml").write_text(MAPPED)
    return build_network(load_case(tmp_path / "c.toml"))


def test_pixels_carry_their_share_and_the_total_is_exact(tmp_path):
    # 2 x 3 map (rows along y from the low edge): weights 1..6
    net = _net(tmp_path, "# first row = low y\n1,2,3\n4,5,6\n")
    mesh = net.meshes["plate"]
    q = net.q_w[net.node_index["plate"][0]]
    assert q.sum() == pytest.approx(100.0, rel=1e-13)
    xc = 0.5 * (mesh.x_edges_m[1:] + mesh.x_edges_m[:-1])
    yc = 0.5 * (mesh.y_edges_m[1:] + mesh.y_edges_m[:-1])
    # footprint [0.45, 0.55] x [0.2, 0.3]: pixel (j, i) covers x in 0.45 + [i, i+1]/30, y in 0.2 + [j, j+1]/20
    for j in range(2):
        for i in range(3):
            inside = ((xc > 0.45 + i * 0.1 / 3) & (xc < 0.45 + (i + 1) * 0.1 / 3))[None, :] & \
                     ((yc > 0.2 + j * 0.05) & (yc < 0.2 + (j + 1) * 0.05))[:, None]
            assert q[inside].sum() == pytest.approx(100.0 * (3 * j + i + 1) / 21.0, rel=1e-12)


@pytest.mark.parametrize("csv,words", [
    ("1,2\n3\n", "rectangular"),
    ("1,-2\n3,4\n", ">= 0"),
    ("1,x\n3,4\n", "numbers only"),
    ("0,0\n0,0\n", "not all zero"),
])
def test_bad_power_maps_are_named(tmp_path, capsys, csv, words):
    (tmp_path / "map.csv").write_text(csv)
    (tmp_path / "c.toml").write_text(MAPPED)
    assert main(["run", str(tmp_path / "c.toml"), "-o", str(tmp_path / "o.h5"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "panels.plate.footprints.chip.power_map" in err and words in err


def test_missing_power_map_file(tmp_path, capsys):
    (tmp_path / "c.toml").write_text(MAPPED)
    assert main(["run", str(tmp_path / "c.toml"), "-q"]) == 2
    assert "cannot read the CSV file" in capsys.readouterr().err
