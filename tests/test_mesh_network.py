"""Geometry -> network: grid lines, layer presence, heat-load placement, link conductances."""
import numpy as np
import pytest

from thermal.build.mesh import axis_edges, graded_segment
from thermal.build.network import build_network, links_to_csr
from thermal.build.pattern import entry_halves
from thermal.input.case_file import load_case, parse_case

from .conftest import CASES, MINIMAL_CASE


def test_axis_edges_contain_every_footprint_edge_and_honour_counts():
    edges = axis_edges(1.2, 60, 1.1, [0.45, 0.75, 0.587, 0.613], [(0.45, 0.75), (0.587, 0.613)], 12)
    assert edges[0] == 0.0 and edges[-1] == 1.2
    assert np.all(np.diff(edges) > 0)
    for b in (0.45, 0.75, 0.587, 0.613):
        assert np.min(np.abs(edges - b)) < 1e-12
    inside_die = np.sum((edges[:-1] >= 0.587 - 1e-12) & (edges[1:] <= 0.613 + 1e-12))
    assert inside_die >= 12
    assert edges.size - 1 >= 60


def test_graded_segment_grows_geometrically_away_from_fine_ends():
    e = graded_segment(0.0, 1.0, 6, 1.2, True, False)
    w = np.diff(e)
    np.testing.assert_allclose(w[1:] / w[:-1], 1.2, rtol=1e-12)
    assert e[-1] == 1.0


def test_reference_plate_rim_cells_get_fractional_power_summing_exactly():
    case = load_case(CASES / "reference_plate.toml")
    net = build_network(case)
    assert net.q_w.sum() == pytest.approx(2000.0, rel=1e-14)
    h = 1 / 64
    full = 1e8 * h * h * 0.002  # W in a cell wholly inside the chip
    assert net.q_w.max() == pytest.approx(full, rel=1e-12)
    # chip edge 0.45 m = 28.8 h: the rim cell column holds 0.2 of a cell
    idx = net.node_index["plate"][0]
    assert net.q_w[idx[32, 28]] == pytest.approx(0.2 * full, rel=1e-9)
    # cell order p = i + N j (FiPy's Grid2D order)
    assert idx[3, 5] == 5 + 64 * 3


def test_reference_plate_links_have_conductance_k_d():
    case = load_case(CASES / "reference_plate.toml")
    net = build_network(case)
    off = net.indices != np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    g = 1.0 / (net.r_link[off] + net.s_self[off] / 167.0 + net.s_other[off] / 167.0)
    np.testing.assert_allclose(g, 167.0 * 0.002, rtol=1e-13)
    assert net.n_links == 2 * 64 * 63
    assert net.surf_area_m2.sum() == pytest.approx(2.0, rel=1e-13)


def test_footprint_layers_exist_only_on_their_footprints():
    case = load_case(CASES / "gpu_radiator.toml")
    net = build_network(case)
    mesh = net.meshes["radiator"]
    fp = {f.name: f for f in case.panels[0].footprints}
    for k, li in enumerate(mesh.z_layer):
        layer = case.panels[0].layers[li]
        present_area = float(np.sum(mesh.present[k] * (mesh.dy[:, None] * mesh.dx[None, :])))
        expected = 1.2 * 1.2 if layer.on is None else fp[layer.on[0]].area_m2
        assert present_area == pytest.approx(expected, rel=1e-12), layer.name
    assert net.q_w.sum() == pytest.approx(700.0, rel=1e-13)
    # all of the power is in the die
    die = [k for k, li in enumerate(mesh.z_layer) if case.panels[0].layers[li].name == "die"]
    nodes = net.node_index["radiator"][die]
    assert net.q_w[nodes[nodes >= 0]].sum() == pytest.approx(700.0, rel=1e-13)


def test_top_face_radiates_only_where_the_full_layer_is_exposed():
    case = load_case(CASES / "gpu_radiator.toml")
    net = build_network(case)
    top = net.face_names.index("radiator.top")
    area = net.surf_area_m2[net.surf_face == top].sum()
    assert area == pytest.approx(1.2 * 1.2 - 0.3 * 0.3, rel=1e-12)  # the spreader covers its footprint
    bottom = net.face_names.index("radiator.bottom")
    assert net.surf_area_m2[net.surf_face == bottom].sum() == pytest.approx(1.44, rel=1e-12)


def test_contact_conductance_adds_in_series_through_the_thickness():
    text = MINIMAL_CASE.replace("cells = [4, 2]", "cells = [4, 2]\nsnap_to_footprints = false")
    text += ('\n[[panels.plate.layers]]\nname = "cap"\nmaterial = "copper"\nthickness = "1 mm"\n'
             'contact_below = "1000 W/m2/K"\n')
    case = parse_case(text)
    net = build_network(case)
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    through = (net.dir_self == 1) & (rows != net.indices)
    cell_area = 0.25 * 0.25
    expected_r = 1 / (1000 * cell_area)
    np.testing.assert_allclose(net.r_link[through], expected_r, rtol=1e-12)
    s_al = 0.001 / cell_area
    s_cu = 0.0005 / cell_area
    np.testing.assert_allclose(np.sort(np.unique(np.round(net.s_self[through] / s_al, 12))), [0.5, 1.0])
    assert s_cu == pytest.approx(0.5 * s_al)


def test_hot_spots_take_their_share_of_the_chip_power():
    text = MINIMAL_CASE.replace('power = "100 W"', 'power = "100 W"\nhot_spots = [{center = ["0.47 m", "0.24 m"], '
                                'size = ["20 mm", "20 mm"], fraction = 0.25}]')
    case = parse_case(text)
    net = build_network(case)
    assert net.q_w.sum() == pytest.approx(100.0, rel=1e-13)
    mesh = net.meshes["plate"]
    idx = net.node_index["plate"][0]
    area = mesh.dy[:, None] * mesh.dx[None, :]
    flux = net.q_w[idx] / area  # W/m2 per cell column
    xc = 0.5 * (mesh.x_edges_m[1:] + mesh.x_edges_m[:-1])
    yc = 0.5 * (mesh.y_edges_m[1:] + mesh.y_edges_m[:-1])
    in_spot = (np.abs(xc[None, :] - 0.47) < 0.01) & (np.abs(yc[:, None] - 0.24) < 0.01)
    background = 75.0 / 0.01  # the remaining 75 W over the 0.1 m x 0.1 m chip
    np.testing.assert_allclose(flux[in_spot], background + 25.0 / 4e-4, rtol=1e-12)
    in_chip = (np.abs(xc[None, :] - 0.5) < 0.05) & (np.abs(yc[:, None] - 0.25) < 0.05) & ~in_spot
    np.testing.assert_allclose(flux[in_chip], background, rtol=1e-12)


def test_links_to_csr_puts_each_half_link_on_its_entry():
    """The compiled counting sort against a dictionary built link by link: every entry (i, j) holds
    i's half and j's, rows sorted, the diagonal found, the pattern 32-bit."""
    rng = np.random.default_rng(7)
    n = 60
    pairs = {tuple(sorted(p)) for p in rng.integers(0, n, size=(400, 2)) if p[0] != p[1]}
    li, lj = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    flip = rng.random(li.size) < 0.5  # either end may come first
    li, lj = np.where(flip, lj, li), np.where(flip, li, lj)
    si, sj, r = rng.random(li.size), rng.random(li.size), rng.random(li.size)
    di, dj = rng.integers(0, 2, li.size).astype(np.int8), rng.integers(0, 2, li.size).astype(np.int8)
    csr = links_to_csr(n, li, lj, si, sj, di, dj, r)
    assert csr["indptr"].dtype == csr["indices"].dtype == np.int32
    expected = {(i, i): (0.0, 0.0, 0, 0, 0.0) for i in range(n)}
    for k in range(li.size):
        expected[(li[k], lj[k])] = (si[k], sj[k], di[k], dj[k], r[k])
        expected[(lj[k], li[k])] = (sj[k], si[k], dj[k], di[k], r[k])
    got = {}
    for i in range(n):
        cols = csr["indices"][csr["indptr"][i]:csr["indptr"][i + 1]]
        assert np.all(np.diff(cols) > 0)
        assert csr["indices"][csr["diag_pos"][i]] == i
        halves = entry_halves(csr["link_code"], csr["link_s"], csr["link_dir"])
        for e in range(csr["indptr"][i], csr["indptr"][i + 1]):
            got[(i, int(csr["indices"][e]))] = tuple(h[e] for h in halves) + (csr["r_link"][e],)
    assert got == expected


def test_links_share_a_type_exactly_when_their_half_links_are_bit_equal():
    """The network keeps one row per distinct (s_i, s_j, dir_i, dir_j): many links drawn from a few
    values share rows, thousands of distinct ones (the hash table grows several times) get one each,
    and every entry reads back its own values bit for bit."""
    rng = np.random.default_rng(11)
    m = 5000
    few = np.array([0.25, 0.5, 1.0 / 3.0])
    si = np.concatenate([rng.choice(few, m), rng.random(m)])
    sj = np.concatenate([rng.choice(few, m), rng.random(m)])
    di = rng.integers(0, 2, 2 * m).astype(np.int8)
    dj = rng.integers(0, 2, 2 * m).astype(np.int8)
    li = np.arange(2 * m)
    lj = li + 2 * m  # a matching: no pair twice
    csr = links_to_csr(4 * m, li, lj, si, sj, di, dj, np.zeros(2 * m))
    distinct = {(a, b, c, d) for a, b, c, d in zip(si, sj, di, dj)} | {(0.0, 0.0, 0, 0)}
    assert csr["link_s"].shape == (len(distinct), 2)
    assert csr["link_code"].dtype == np.uint32
    s_self, s_other, d_self, d_other = entry_halves(csr["link_code"], csr["link_s"], csr["link_dir"])
    e_of = csr["indptr"][li] + (csr["indices"][csr["indptr"][li]] == li)  # (li, lj): after li's diagonal
    assert np.array_equal(s_self[e_of], si) and np.array_equal(s_other[e_of], sj)
    assert np.array_equal(d_self[e_of], di) and np.array_equal(d_other[e_of], dj)
    back = csr["indptr"][lj]  # (lj, li) comes before lj's diagonal: li < lj
    assert np.array_equal(s_self[back], sj) and np.array_equal(d_other[back], di)


def test_links_to_csr_names_a_pair_joined_twice():
    li, lj = np.array([0, 1, 3, 2]), np.array([1, 2, 1, 1])  # 1-2 twice, once each way round
    z = np.zeros(4)
    with pytest.raises(ValueError, match="nodes 1 and 2"):
        links_to_csr(5, li, lj, z, z, z.astype(np.int8), z.astype(np.int8), z)


def test_all_zero_resistances_and_fixed_temperatures_are_one_shared_zero():
    """A panel with no contact resistance and no fixed node stores no per-entry zeros (42 MB of a
    1024^2 plate): the arrays read as zeros of the full length, read-only; with a contact
    resistance the network keeps every entry's own value."""
    net = build_network(load_case(CASES / "reference_plate.toml"))
    for values, size in ((net.r_link, net.indices.size), (net.t_fixed_k, net.n_nodes)):
        assert values.shape == (size,) and values.strides == (0,) and not values.flags.writeable
        assert not values.any()
    text = MINIMAL_CASE + ('\n[[panels.plate.layers]]\nname = "cap"\nmaterial = "copper"\nthickness = "1 mm"\n'
                           'contact_below = "1000 W/m2/K"\n')
    contact = build_network(parse_case(text))
    assert contact.r_link.strides == (8,) and contact.r_link.any()
