"""Kernels against their numpy twins on random networks, plus the invariants they must keep."""
import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from thermal import kernels
from thermal.build.network import Network, build_network, links_to_csr
from thermal.input.case_file import parse_case
from thermal.input.overrides import case_text_with
from thermal.kernels import reference
from thermal.kernels.bundles import Step
from thermal.solvers.system import Assembler, surfaces_by_node

from .conftest import CASES, VALIDATION_CASES

EPS = np.finfo(float).eps


@st.composite
def networks(draw, max_nodes=24, constant_k=False):
    n = draw(st.integers(2, max_nodes))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    n_links = draw(st.integers(1, min(len(pairs), 3 * n)))
    chosen = rng.choice(len(pairs), size=n_links, replace=False)
    li = np.array([pairs[c][0] for c in chosen])
    lj = np.array([pairs[c][1] for c in chosen])
    si = rng.uniform(0, 50, n_links) * (rng.random(n_links) > 0.2)
    sj = rng.uniform(0, 50, n_links) * (rng.random(n_links) > 0.2)
    r = rng.uniform(0, 0.5, n_links) * (rng.random(n_links) > 0.5)
    r = np.where(si + sj + r == 0, 0.1, r)
    di = rng.integers(0, 2, n_links).astype(np.int8)
    dj = rng.integers(0, 2, n_links).astype(np.int8)
    # property tables: row 0 constant; others 1..4 points in [150, 700] K
    n_tab = 4
    tab_t = np.zeros((n_tab, 4))
    tab_v = np.zeros((n_tab, 4))
    tab_n = np.zeros(n_tab, np.int64)
    for row in range(n_tab):
        m = 1 if (row == 0 or constant_k) else int(rng.integers(1, 5))
        tab_t[row, :m] = np.sort(rng.uniform(150, 700, m)) + np.arange(m)  # distinct
        tab_v[row, :m] = rng.uniform(0.5, 400, m)
        tab_n[row] = m
    k_tab = rng.integers(0, n_tab, (n, 2))
    cp_tab = rng.integers(0, n_tab, n)
    fixed = (rng.random(n) < 0.2).astype(np.uint8)
    t_k = rng.uniform(100, 800, n)
    n_surf = int(rng.integers(0, 2 * n))
    n_face = 3
    net = Network(
        n_nodes=n, rho_v_kg=rng.uniform(0.01, 5, n), cp_tab=cp_tab, k_tab=k_tab, q_w=rng.uniform(-5, 50, n),
        fixed=fixed, t_fixed_k=t_k.copy(), tab_t=tab_t, tab_v=tab_v, tab_n=tab_n,
        **links_to_csr(n, li, lj, si, sj, di, dj, r),
        surf_node=rng.integers(0, n, n_surf), surf_area_m2=rng.uniform(1e-4, 1, n_surf),
        surf_eps=rng.uniform(0, 1, n_surf), surf_alpha=rng.uniform(0, 1, n_surf),
        surf_face=rng.integers(0, n_face, n_surf), face_names=["a", "b", "c"],
        face_q_solar_w_m2=rng.uniform(0, 1400, n_face), face_q_ir_w_m2=rng.uniform(0, 250, n_face),
        t_sink_k=float(rng.uniform(0, 50)))
    t_old = t_k + rng.normal(0, 5, n)
    return net, t_k, t_old


def _tol(values, count):
    return 8 * count * EPS * max(1.0, float(np.max(np.abs(values))))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_assembly_matches_numpy_twin(sample):
    net, t, t_old = sample
    asm = Assembler(net)
    inv_dt = 0.1
    bdf_a = 1.4  # a variable-step BDF2 coefficient (1 + 2w)/(1 + w) with w = 2/3
    offset = np.linspace(-3.0, 5.0, net.n_nodes)
    residual, a = asm.evaluate(t, t_old, inv_dt, bdf_a, offset)
    k_ref, dk_ref = reference.conductivity(t, net.k_tab, net.tab_t, net.tab_v, net.tab_n)
    np.testing.assert_allclose(asm.k_node, k_ref, rtol=1e-14)
    np.testing.assert_allclose(asm.dk_node, dk_ref, rtol=1e-12, atol=1e-14)
    r_c, a_c = reference.conduction(t, net.indptr, net.indices, net.diag_pos, net.s_self, net.s_other,
                                    net.dir_self, net.dir_other, net.r_link, k_ref, dk_ref, net.fixed)
    r_s, d_s = reference.surfaces(t, net.surf_node, net.surf_area_m2, net.surf_eps, net.surf_alpha, net.surf_face,
                                  net.face_q_solar_w_m2, net.face_q_ir_w_m2, net.t_sink_k, net.fixed, net.n_nodes)
    r_q, d_q = reference.sources_and_storage(t, t_old, net.q_w, net.rho_v_kg, net.cp_tab, net.tab_t, net.tab_v,
                                             net.tab_n, inv_dt, net.fixed, bdf_a, offset)
    expected_r = r_c + r_s + r_q
    a_ref = a_c.copy()
    a_ref[net.diag_pos] += d_s + d_q
    free = net.fixed == 0
    # round-off scale of each row: the magnitudes of the terms that are summed, before cancellation
    emitted = np.bincount(net.surf_node, net.surf_eps * 5.67e-8 * net.surf_area_m2 * (t[net.surf_node] ** 4 + 1e4)
                          + net.surf_area_m2 * (net.face_q_solar_w_m2[net.surf_face] + net.face_q_ir_w_m2[net.surf_face]),
                          minlength=net.n_nodes)
    # storage is a difference of enthalpies H(T) - H(T_old): its round-off scales with H itself, not with the change
    stored = bdf_a * net.rho_v_kg * np.max(net.tab_v) * (t + t_old) * inv_dt + np.abs(offset)
    rows = np.repeat(np.arange(net.n_nodes), np.diff(net.indptr))
    off = rows != net.indices
    g, _, _ = reference.link_conductance(t, rows[off], net.indices[off], net.s_self[off], net.s_other[off],
                                         net.dir_self[off], net.dir_other[off], net.r_link[off], k_ref)
    gross_conducted = np.bincount(rows[off], np.abs(g * (t[net.indices[off]] - t[rows[off]])), minlength=net.n_nodes)
    scale = gross_conducted + emitted + stored + np.abs(net.q_w) + 1.0
    assert np.all(np.abs(residual - expected_r) <= 64 * EPS * scale * (1 + np.diff(net.indptr)))
    np.testing.assert_allclose(a.data, a_ref, rtol=1e-12, atol=1e-12 * np.max(np.abs(a_ref)))
    assert np.all(residual[~free] == 0.0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_conduction_only_moves_heat(sample):
    """With no boundary nodes, conduction sums to zero over the network (to round-off)."""
    net, t, _ = sample
    net = dataclasses.replace(net, fixed=np.zeros(net.n_nodes, np.uint8))
    k = np.empty((net.n_nodes, 2))
    dk = np.empty((net.n_nodes, 2))
    bundles = Assembler(net)
    kernels.eval_conductivity(t, net.k_tab, bundles.tables, k, dk)
    res = np.empty(net.n_nodes)
    a = np.empty(net.indices.size)
    kernels.conduction_rows(t, bundles.links, net.r_link, k, dk, net.fixed, res, a)
    bound = 4 * net.indices.size * EPS * float(np.sum(np.abs(res)) + np.max(np.abs(t)) * np.sum(np.abs(a)))
    assert abs(res.sum()) <= bound


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(constant_k=True))
def test_matrix_is_symmetric_for_constant_conductivity(sample):
    net, t, t_old = sample
    asm = Assembler(net)
    _, a = asm.evaluate(t, t_old, 0.5)
    diff = (a - a.T).tocoo()
    assert diff.nnz == 0 or np.max(np.abs(diff.data)) == 0.0  # bit for bit: G_ij == G_ji


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_matrix_is_minus_the_derivative_of_the_residual(sample):
    """A = -dF/dT, checked column by column with central differences."""
    net, t, t_old = sample
    # piecewise-linear tables have kinks at their points: keep the difference stencil off them
    pts = np.concatenate([net.tab_t[r, :net.tab_n[r]] for r in range(len(net.tab_n))])
    assume(np.min(np.abs(t[:, None] - pts[None, :])) > 1e-2)
    asm = Assembler(net)
    _, a = asm.evaluate(t, t_old, 0.2)
    a = a.toarray()
    h = 1e-4
    for j in range(net.n_nodes):
        if net.fixed[j]:
            continue
        tp, tm = t.copy(), t.copy()
        tp[j] += h
        tm[j] -= h
        fp = asm.evaluate(tp, t_old, 0.2)[0].copy()
        fm = asm.evaluate(tm, t_old, 0.2)[0].copy()
        fd = -(fp - fm) / (2 * h)
        free = net.fixed == 0
        # central-difference error: h^2 |F'''| / 6 (the T^4 term: 4 eps sigma A h^2) plus round-off / h
        tol = 1e-6 * np.max(np.abs(a)) + 1e-9 * np.abs(a[:, j]) + 1e-7
        assert np.all(np.abs(fd[free] - a[free, j]) <= tol[free]), j


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_energy_terms_match_twin_and_equal_the_residual_sum(sample):
    net, t, t_old = sample
    asm = Assembler(net)
    inv_dt = 0.05
    offset = np.linspace(-1.0, 2.0, net.n_nodes)
    residual, _ = asm.evaluate(t, t_old, inv_dt, 1.25, offset)
    balance = asm.energy(t, t_old, inv_dt, 1.25, offset)
    ref = reference.energy(net, t, t_old, inv_dt, asm.k_node, 1.25, offset)
    terms = np.array([*balance.as_array(), balance.conducted_gross_w, balance.radiated_gross_w])
    np.testing.assert_allclose(terms, ref, rtol=1e-11, atol=1e-9)
    assert balance.conducted_gross_w >= abs(balance.conducted_out_w)
    # the balance error is, algebraically, the sum of the free nodes' residuals
    free = net.fixed == 0
    scale = float(np.sum(np.abs(balance.as_array())) + np.sum(np.abs(residual)))
    assert abs(balance.error_w - residual[free].sum()) <= 1e-12 * scale + 1e-12


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_heat_input_matches_twin(sample):
    net, _, _ = sample
    asm = Assembler(net)
    ref = reference.heat_input(net.q_w, net.fixed, net.surf_node, net.surf_area_m2, net.surf_eps, net.surf_alpha,
                               net.surf_face, net.face_q_solar_w_m2, net.face_q_ir_w_m2, net.n_nodes)
    # each node sums at most a few non-negative terms: a few ulps of the sum
    assert asm.heat_input_norm() == pytest.approx(float(np.linalg.norm(ref)), rel=1e-14)


def test_table_integral_is_exact_for_piecewise_linear_cp():
    from thermal.kernels.properties import table_integral

    tab_t = np.array([[200.0, 300.0, 400.0, 600.0]])
    tab_v = np.array([[556.0, 712.0, 790.0, 867.0]])
    tab_n = np.array([4])
    # by hand: constant below 200 K, trapezoids inside, constant above 600 K
    expected = 556.0 * 50 + 0.5 * (556 + 712) * 100 + 0.5 * (712 + 790) * 100 + 0.5 * (790 + 867) * 200 + 867 * 100
    assert table_integral(150.0, 700.0, tab_t, tab_v, tab_n, 0) == pytest.approx(expected, rel=1e-14)
    assert table_integral(700.0, 150.0, tab_t, tab_v, tab_n, 0) == pytest.approx(-expected, rel=1e-14)
    assert table_integral(300.0, 300.0, tab_t, tab_v, tab_n, 0) == 0.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_stored_heat_and_heat_capacity_match_their_twins(sample):
    net, t, t_old = sample
    tab = (net.tab_t, net.tab_v, net.tab_n)
    out = np.empty(net.n_nodes)
    storage = Assembler(net).storage
    kernels.stored_heat(t_old, t, storage, out)
    np.testing.assert_allclose(out, reference.stored_heat(t_old, t, net.rho_v_kg, net.cp_tab, *tab), rtol=1e-12,
                               atol=1e-12 * float(np.max(np.abs(out))))
    kernels.heat_capacity(t, storage, out)
    np.testing.assert_allclose(out, reference.heat_capacity(t, net.rho_v_kg, net.cp_tab, *tab), rtol=1e-13)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_serial_builds_give_the_parallel_builds_bits(sample):
    """The serial builds of the node kernels (what a run on one thread calls, compiled without the
    parallel passes) are the same bodies: each node's row comes out bit for bit the same."""
    net, t, t_old = sample
    asm = Assembler(net)
    par, ser = kernels.node_kernels(2, 10**6), kernels.node_kernels(1, 10**6)
    assert kernels.node_kernels(2, 100).conduction_rows is kernels.conduction_rows_serial
    assert par.conduction_rows is kernels.conduction_rows and ser.conduction_rows is kernels.conduction_rows_serial
    n, m = net.n_nodes, net.indices.size
    out = {}
    for name, nk in (("parallel", par), ("serial", ser)):
        k, dk, res, a = np.empty((n, 2)), np.empty((n, 2)), np.empty(n), np.empty(m)
        nk.eval_conductivity(t, net.k_tab, asm.tables, k, dk)
        nk.conduction_rows(t, asm.links, net.r_link, k, dk, net.fixed, res, a)
        nk.add_sources_and_storage(t, Step(t_old, 1.0 / 7.0, 1.5, np.full(n, 0.25)), net.q_w, asm.storage, net.fixed,
                                   net.diag_pos, res, a)
        stored, cap = np.empty(n), np.empty(n)
        nk.stored_heat(t_old, t, asm.storage, stored)
        nk.heat_capacity(t, asm.storage, cap)
        out[name] = (k, dk, res, a, stored, cap)
    for x, y in zip(out["parallel"], out["serial"]):
        assert np.array_equal(x, y)


@pytest.mark.parametrize("case_file", [CASES / "reference_plate.toml", VALIDATION_CASES / "spreading_square.toml"])
def test_frozen_conduction_gives_the_full_rows_bits(case_file):
    """On a network whose conductances cannot change (constant k, no film, no heater, no loop) the
    evaluations after the first read -G back from the matrix: residual and matrix must be bit for
    bit those of a full evaluation, fixed-temperature neighbours (spreading_square's sink, whose
    entries hold 0 and whose G is recomputed) and contact resistances included."""
    text = case_file.read_text()
    if "spreading_square" in case_file.name:
        text = case_text_with(text, {"panels.p.cells": [8, 8], "panels.p.footprint_cells": 2,
                                     "panels.p.layers.plate.cells": 3})
    case = parse_case(text)
    net = build_network(case)
    assert net.symmetric and net.fixed.any() == ("spreading_square" in case_file.name)
    kept = Assembler(net)
    rng = np.random.default_rng(5)
    for inv_dt in (0.0, 0.2, 0.0):
        t = 250.0 + 100.0 * rng.random(net.n_nodes)
        res, a = kept.evaluate(t, t - 1.0, inv_dt)
        fresh_res, fresh_a = Assembler(net).evaluate(t, t - 1.0, inv_dt)
        assert np.array_equal(res, fresh_res) and np.array_equal(a.data, fresh_a.data)
    assert kept._g_diag is not None  # the frozen rows did run


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_surfaces_node_by_node_equal_the_serial_scatter_bit_for_bit(sample):
    """The threaded build adds each node's surfaces in the serial loop's order (a stable sort)."""
    net, t, _ = sample
    asm = Assembler(net)
    ptr, order = surfaces_by_node(net.surf_node, net.n_nodes)
    start_r = np.linspace(-1.0, 1.0, net.n_nodes)
    start_a = np.linspace(0.5, 2.0, net.indices.size)
    out = []
    for by_node in (False, True):
        r, a = start_r.copy(), start_a.copy()
        args = (net.face_q_solar_w_m2, net.face_q_ir_w_m2, net.t_sink_k, net.fixed, asm.diag_pos, r, a)
        if by_node:
            kernels.add_surfaces_by_node(t, asm.surfaces, ptr, order, *args)
        else:
            kernels.add_surfaces(t, asm.surfaces, *args)
        out.append((r, a))
    assert np.array_equal(out[0][0], out[1][0]) and np.array_equal(out[0][1], out[1][1])


def test_newton_bookkeeping_kernels_match_their_numpy_expressions():
    from thermal.kernels import iterates

    rng = np.random.default_rng(5)
    n = 2000
    t = rng.uniform(50.0, 400.0, n)
    step = rng.normal(0.0, 60.0, n)
    fixed = (rng.random(n) < 0.1).astype(np.uint8)
    finite, lam, largest = iterates.scan_step(step, t, fixed)
    shrink = step < -0.5 * t
    assert finite and shrink.any()
    assert lam == np.min(-0.5 * t[shrink] / step[shrink]) < 1.0
    assert largest == np.max(np.abs(step[fixed == 0]))
    assert iterates.scan_step(np.abs(step), t, fixed)[1] == 1.0  # nothing to shrink: the whole step
    step[7] = np.nan
    assert not iterates.scan_step(step, t, fixed)[0]
    step[7] = 1.0
    out = np.empty(n)
    assert iterates.add_scaled(t, 0.25, step, out) == np.max(np.abs(t + 0.25 * step))
    assert np.array_equal(out, t + 0.25 * step)
    step[3] = np.inf
    with np.errstate(invalid="ignore"):  # 0 x inf on purpose (the suite raises on it without the JIT)
        assert np.isnan(iterates.add_scaled(t, 0.0, step, out))  # a NaN temperature shows in the scale
    a_data, diag_pos = rng.normal(size=5 * n), rng.choice(5 * n, n, replace=False).astype(np.uint32)
    assert iterates.diagonal_norm(a_data, diag_pos) == pytest.approx(np.linalg.norm(a_data[diag_pos]), rel=1e-14)
    x0, x1, x2 = rng.normal(size=(3, n))
    iterates.quadratic(1.0, x0, -3.0, x1, 3.0, x2, out)
    assert np.array_equal(out, 1.0 * x0 + -3.0 * x1 + 3.0 * x2)
    stores = rng.random(n) < 0.5
    iterates.guarded_guess(x0 * 300.0, t, stores, out)
    assert np.array_equal(out, np.where(stores, np.maximum(x0 * 300.0, 0.5 * t), t))
