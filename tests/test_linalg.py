"""Linear solves: the compiled AMG V-cycle is pyamg's, PCG reaches its tolerance, paths agree."""
import numpy as np
import pytest
import scipy.sparse as sp

from thermal.build.network import build_network
from thermal.input.case_file import parse_case
from thermal.input.overrides import case_text_with
from thermal.solvers import solve_steady
from thermal.solvers.linalg import Hierarchy, LinearSolver
from thermal.solvers.system import Assembler

from .conftest import CASES


def plate_system(n=48, t=500.0, inv_dt=0.0):
    case = parse_case(case_text_with((CASES / "reference_plate.toml").read_text(), {"panels.plate.cells": [n, n]}))
    net = build_network(case)
    asm = Assembler(net)
    t_k = np.full(net.n_nodes, t) + np.linspace(0, 300, net.n_nodes)
    residual, a = asm.evaluate(t_k, t_k - 1.0, inv_dt)
    return net, residual.copy(), a


def _pyamg_twin(a, hierarchy):
    """pyamg's smoothed aggregation with the options the compiled set-up reproduces, on the
    aggregates the set-up chose.  (pyamg's own aggregation picks the same aggregates on the finest
    level; on coarser ones it walks its unsorted Galerkin products' columns in another order, so
    ties between equal neighbours fall the other way: equally valid, not comparable entry by entry.)"""
    import pyamg
    from pyamg import amg_core

    levels_a, _, _ = hierarchy.levels()
    aggregates = []
    for m in [a] + levels_a:
        n = m.shape[0]
        agg, centres = np.empty(n, np.int32), np.empty(n, np.int32)
        count = amg_core.standard_aggregation(n, m.indptr.astype(np.int32), m.indices.astype(np.int32), agg, centres)
        aggregates.append(("predefined", {"AggOp": sp.csr_matrix((np.ones(n), agg, np.arange(n + 1)), shape=(n, count))}))
    return pyamg.smoothed_aggregation_solver(a, symmetry="symmetric", max_coarse=100, aggregate=aggregates,
                                             presmoother=("gauss_seidel", {"sweep": "forward"}),
                                             postsmoother=("gauss_seidel", {"sweep": "backward"}),
                                             smooth=("jacobi", {"omega": 4.0 / 3.0, "weighting": "local"}))


@pytest.mark.parametrize("n, inv_dt", [(48, 0.0), (64, 0.1)])
def test_compiled_setup_builds_pyamgs_hierarchy(n, inv_dt):
    """Same prolongators, restrictions and Galerkin operators as pyamg's on the same aggregates, to
    round-off (the set-up sums the same products in another order; P and R are stored in float32,
    so each of their entries is pyamg's correctly rounded: within 2^-24 of it, relatively), and the
    same V-cycle as pyamg's given those float32 values."""
    net, _, a = plate_system(n=n, inv_dt=inv_dt)
    hierarchy = Hierarchy.smoothed_aggregation(a)
    ml = _pyamg_twin(a, hierarchy)
    assert list(hierarchy.arrays.sizes) == [lv.A.shape[0] for lv in ml.levels]
    assert len(ml.levels) >= 3
    levels_a, levels_p, levels_r = hierarchy.levels()
    for k, (p, r) in enumerate(zip(levels_p, levels_r)):
        theirs = sp.csr_matrix(ml.levels[k].P)  # pyamg's is BSR with 1x1 blocks
        assert p.dtype == r.dtype == np.float32 and p.nnz == theirs.nnz
        theirs.sort_indices()
        p64 = p.astype(float)
        p64.sort_indices()
        assert np.array_equal(p64.indices, theirs.indices)
        assert np.all(np.abs(p64.data - theirs.data) <= 2.0**-24 * np.abs(theirs.data) + 1e-13 * abs(theirs).max())
        assert (r - p.T).nnz == 0  # R = P^T exactly
        ml.levels[k].P, ml.levels[k].R = p64, p64.T.tocsr()  # pyamg's cycle on the stored values
    for k, mine in enumerate(levels_a, start=1):
        theirs = ml.levels[k].A
        assert mine.nnz == theirs.nnz and abs(mine - theirs).max() <= 1e-13 * abs(theirs).max()
    coarse = np.linalg.pinv(ml.levels[-1].A.toarray())
    assert np.abs(hierarchy.coarse_inv - coarse).max() <= 1e-11 * np.abs(coarse).max()
    b = np.random.default_rng(1).normal(size=net.n_nodes)
    ours = hierarchy.apply(a, b)
    theirs = ml.aspreconditioner(cycle="V").matvec(b)
    assert np.max(np.abs(ours - theirs)) <= 1e-11 * np.max(np.abs(theirs))


def test_setup_ignores_exact_zeros_and_refuses_a_level_it_cannot_coarsen():
    """Stored zeros (reserved positions) connect nothing, as in pyamg; a network of nodes without
    neighbours cannot be coarsened, which is said instead of inverting a huge dense matrix."""

    from thermal.errors import ConvergenceError

    _, _, a = plate_system(n=32)
    # explicit zeros at (i, i +- 3): a pattern wider than the matrix's values
    extra = sp.eye(a.shape[0], k=3, format="csr") + sp.eye(a.shape[0], k=-3, format="csr")
    wide = (a + 1e-300 * extra).tocsr()
    wide.data[np.abs(wide.data) < 1e-200] = 0.0
    assert wide.nnz > a.nnz and np.count_nonzero(wide.data) == np.count_nonzero(a.data)
    mine, plain = Hierarchy.smoothed_aggregation(wide), Hierarchy.smoothed_aggregation(a)
    assert list(mine.arrays.sizes) == list(plain.arrays.sizes)
    b = np.random.default_rng(4).normal(size=a.shape[0])
    np.testing.assert_allclose(mine.apply(wide, b), plain.apply(a, b), rtol=1e-12, atol=1e-12 * np.abs(b).max())
    with pytest.raises(ConvergenceError, match="could not coarsen"):
        Hierarchy.smoothed_aggregation(sp.diags(np.arange(1.0, 6001.0), format="csr"))


@pytest.mark.parametrize("rtol", [1e-2, 1e-6, 1e-10])
def test_pcg_reaches_its_tolerance_and_agrees_with_lu(rtol):
    net, b, a = plate_system(inv_dt=0.1)
    solver = LinearSolver("amg", net.n_nodes, symmetric=True)
    x = solver.solve(a, b, rtol=rtol)
    assert np.linalg.norm(b - a @ x) <= rtol * np.linalg.norm(b)
    exact = LinearSolver("direct", net.n_nodes, symmetric=True).solve(a, b)
    # for SPD A: ||x - x*|| / ||x*|| <= cond(A) ||r|| / ||b||; cond from the extreme eigenvalues
    from scipy.sparse.linalg import eigsh

    lam_max = eigsh(a, k=1, which="LA", return_eigenvectors=False)[0]
    lam_min = eigsh(a, k=1, sigma=0.0, which="LM", return_eigenvectors=False)[0]
    residual = np.linalg.norm(b - a @ x) / np.linalg.norm(b)
    assert np.linalg.norm(x - exact) <= (lam_max / lam_min) * residual * np.linalg.norm(exact) * (1 + 1e-6) \
        + 1e-12 * np.linalg.norm(exact)


def test_amg_and_direct_paths_give_the_same_steady_state_with_temperature_dependent_k():
    text = case_text_with((CASES / "gpu_radiator.toml").read_text(),
                          {"panels.radiator.cells": [24, 24], "panels.radiator.footprint_cells": 4})
    answers = {}
    for method in ("direct", "amg"):
        case = parse_case(case_text_with(text, {"solver.linear_solver": method}, create=True))
        net = build_network(case)
        assert not net.constant_conductivity  # silicon and copper k(T): GMRES on the AMG path
        answers[method] = solve_steady(net, case.solver).t_k[0]
    # both stop on max|dT| <= 1e-8 max T after quadratic convergence
    assert np.max(np.abs(answers["amg"] - answers["direct"])) <= 1e-8 * answers["direct"].max()


def _hierarchy_levels(solver):
    """Operators from level 0 (the matrix the hierarchy was built on), prolongators, restrictions."""
    levels_a, levels_p, levels_r = solver._hierarchy.levels()
    return [solver._built_from] + levels_a, levels_p, levels_r


def test_vcycle_kernel_matches_its_scipy_twin_on_a_drifted_matrix():
    """The compiled V-cycle against reference.vcycle (Gauss-Seidel as triangular solves); the finest
    level is the current matrix, not the one the hierarchy was built on (the radiation diagonal moved)."""
    from thermal.kernels import reference

    net, _, a = plate_system()
    solver = LinearSolver("amg", net.n_nodes, symmetric=True)
    solver._setup(a)
    drifted = a.copy()
    drifted.data[net.diag_pos] *= 1.3
    b = np.random.default_rng(2).normal(size=net.n_nodes)
    ours = solver._hierarchy.apply(drifted, b)
    levels_a, levels_p, levels_r = _hierarchy_levels(solver)
    twin = reference.vcycle(drifted, levels_a, levels_p, levels_r, solver._hierarchy.coarse_inv, b)
    assert np.max(np.abs(ours - twin)) <= 1e-11 * np.max(np.abs(twin))


@pytest.mark.parametrize("rtol", [1e-4, 1e-10])
def test_pcg_kernel_matches_its_numpy_twin(rtol):
    from thermal.kernels import reference

    net, b, a = plate_system(inv_dt=0.1)
    solver = LinearSolver("amg", net.n_nodes, symmetric=True)
    solver._setup(a)
    levels_a, levels_p, levels_r = _hierarchy_levels(solver)
    x = np.zeros(net.n_nodes)
    iterations = solver._hierarchy.pcg(a, b, x, rtol, 200)
    twin, twin_iterations = reference.pcg(
        a, b, np.zeros(net.n_nodes),
        lambda r: reference.vcycle(a, levels_a, levels_p, levels_r, solver._hierarchy.coarse_inv, r), rtol, 200)
    assert iterations == twin_iterations > 0
    # the same iterates up to summation order: round-off grows with the iteration count
    assert np.max(np.abs(x - twin)) <= 1e-9 * np.max(np.abs(twin))
    # told that the guess is zero, it skips the first product (b - A 0 = b exactly): the same bits
    known_zero = np.zeros(net.n_nodes)
    assert solver._hierarchy.pcg(a, b, known_zero, rtol, 200, zero_guess=True) == iterations
    assert np.array_equal(known_zero, x)
    assert np.linalg.norm(b - a @ x) <= rtol * np.linalg.norm(b)


def test_gauss_seidel_kernel_matches_its_triangular_solve_twin():
    from thermal.kernels import reference
    from thermal.kernels.amg import gauss_seidel

    _, _, a = plate_system(n=12)
    rng = np.random.default_rng(3)
    b, x0 = rng.normal(size=a.shape[0]), rng.normal(size=a.shape[0])
    for forward in (True, False):
        x = x0.copy()
        gauss_seidel(a.indptr.astype(np.int64), a.indices.astype(np.int64), a.data, x, b, forward)
        np.testing.assert_allclose(x, reference.gauss_seidel(a, x0, b, forward), rtol=1e-12, atol=1e-12 * np.abs(x).max())


def test_hybrid_gauss_seidel_kernels_match_their_block_triangular_twin():
    """Gauss-Seidel within 16 blocks, Jacobi between them: each sweep equals the triangular solve of
    the block-diagonal part (on a row count the blocks do not divide evenly); the sweep from zero
    also returns the residual b - A x of its result."""
    from thermal.kernels import reference
    from thermal.kernels.amg import hybrid_gauss_seidel, hybrid_gauss_seidel_from_zero

    _, _, a = plate_system(n=47)
    n = a.shape[0]
    assert n % 16
    ptr, idx = a.indptr.astype(np.int32), a.indices.astype(np.int32)
    rng = np.random.default_rng(5)
    b, x0 = rng.normal(size=n), rng.normal(size=n)
    scale = np.abs(reference.gauss_seidel(a, x0, b, True)).max()
    for forward in (True, False):
        x, before = x0.copy(), np.empty(n)
        hybrid_gauss_seidel(ptr, idx, a.data, x, b, before, forward, 16, False)
        np.testing.assert_allclose(x, reference.hybrid_gauss_seidel(a, x0, b, forward, 16), rtol=0, atol=1e-12 * scale)
        assert np.array_equal(before, x0)
    twin = reference.hybrid_gauss_seidel(a, np.zeros(n), b, True, 16)
    x = np.zeros(n)
    hybrid_gauss_seidel(ptr, idx, a.data, x, b, np.empty(0), True, 16, True)
    np.testing.assert_allclose(x, twin, rtol=0, atol=1e-12 * np.abs(twin).max())
    x, r = rng.normal(size=n), np.empty(n)  # x's values on entry are not read
    hybrid_gauss_seidel_from_zero(ptr, idx, a.data, x, b, r, np.empty(n, np.int32), 16)
    np.testing.assert_allclose(x, twin, rtol=0, atol=1e-12 * np.abs(twin).max())
    # each residual sums the row's terms in another order: round-off of |A| |x| + |b|
    assert np.all(np.abs(r - (b - a @ x)) <= 16 * np.finfo(float).eps * (abs(a) @ np.abs(x) + np.abs(b)))


def test_hybrid_vcycle_gives_the_same_answer_on_any_thread_count_and_matches_its_twin():
    """Above HYBRID_ROWS rows the V-cycle smooths in fixed blocks: the preconditioned CG takes the same
    iterations to the last bit with one thread or all of them, and equals reference.pcg with the
    block sweeps written as triangular solves."""
    import numba

    from thermal.kernels import reference
    from thermal.kernels.amg import HYBRID_ROWS

    net, b, a = plate_system(n=368, inv_dt=0.1)
    assert net.n_nodes >= HYBRID_ROWS
    solver = LinearSolver("amg", net.n_nodes, symmetric=True)
    solver._setup(a)
    answers = []
    threads = numba.get_num_threads()
    try:
        for count in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(count)
            x = np.zeros(net.n_nodes)
            answers.append((solver._hierarchy.pcg(a, b, x, 1e-8, 200), x))
    finally:
        numba.set_num_threads(threads)
    iterations, x = answers[0]
    assert all(its == iterations and np.array_equal(y, x) for its, y in answers)
    levels_a, levels_p, levels_r = _hierarchy_levels(solver)
    twin, twin_iterations = reference.pcg(
        a, b, np.zeros(net.n_nodes), lambda r: reference.vcycle(a, levels_a, levels_p, levels_r,
                                                                solver._hierarchy.coarse_inv, r, HYBRID_ROWS), 1e-8, 200)
    assert iterations == twin_iterations > 0
    assert np.max(np.abs(x - twin)) <= 1e-9 * np.max(np.abs(twin))
    assert np.linalg.norm(b - a @ x) <= 1e-8 * np.linalg.norm(b)


@pytest.mark.parametrize("n", [50, 5000])  # below and above the row count where it goes parallel
def test_csr_matvec_kernel_matches_scipy_on_random_matrices(n):

    from thermal.kernels.amg import PARALLEL_ROWS, csr_matvec

    assert (n >= PARALLEL_ROWS) == (n == 5000)
    rng = np.random.default_rng(n)
    a = sp.random(n, n, density=min(1.0, 8.0 / n), random_state=rng, format="csr")
    a.sort_indices()
    x = rng.normal(size=n)
    out = np.empty(n)
    csr_matvec(a.indptr.astype(np.int64), a.indices.astype(np.int64), a.data, x, out)
    # each row sums the same products in the same order as scipy's: equal to round-off of a row sum
    row_scale = np.abs(a) @ np.abs(x)
    assert np.all(np.abs(out - a @ x) <= 8 * np.finfo(float).eps * row_scale)


def test_kernel_threads_policy():
    """One thread for small networks and on a machine whose load already fills the other cores
    (measured: 2 threads 1.4-3.8x slower there); all threads for a large network on an idle one."""
    from thermal.threads import PARALLEL_MIN_NODES, kernel_threads

    assert kernel_threads(100, available=8, load=0.0) == 1
    assert kernel_threads(PARALLEL_MIN_NODES, available=2, load=0.3) == 2
    assert kernel_threads(10**6, available=2, load=1.8) == 1
    assert kernel_threads(10**6, available=8, load=6.0) == 8
    assert kernel_threads(10**6, available=8, load=7.9) == 1
    assert kernel_threads(10**6, available=1, load=0.0) == 1


def test_own_recent_load_follows_this_process_cpu_use():
    """The process's own share of the load average is the kernel's exponential mean (time constant
    60 s) of its CPU use, brought up to date at each call; the thread policy subtracts it."""
    import math
    import os
    import time

    from thermal.threads import LOAD_TIME_CONSTANT_S, own_recent_load

    before = own_recent_load()
    wall, cpu = time.monotonic(), sum(os.times()[:2])
    while sum(os.times()[:2]) < cpu + 0.3:
        pass
    after = own_recent_load()
    span, used = time.monotonic() - wall, sum(os.times()[:2]) - cpu
    decay = math.exp(-span / LOAD_TIME_CONSTANT_S)
    assert after == pytest.approx(before * decay + used / span * (1.0 - decay), rel=0.02, abs=1e-4)


def test_run_state_shares_the_networks_link_resistances_without_heat_pipes():
    """No heat pipe, nothing changes a resistance: the run state reads the network's (read-only)
    array, and a checkpoint that says otherwise is refused rather than silently ignored."""
    from thermal.solvers.run_state import RunState

    net, _, _ = plate_system(n=8)
    state = RunState.fresh(net)
    assert state.r_link is net.r_link and not state.r_link.flags.writeable
    saved = state.snapshot()
    state.restore(saved)
    saved["r_link"] = saved["r_link"] + 1.0
    with pytest.raises(ValueError, match="r_link"):
        state.restore(saved)


def test_a_steady_solvers_hierarchy_keeps_no_copy_and_says_so_if_asked_for_a_checkpoint():
    """resumable=False (steady solves: no checkpoint) keeps no copy of the set-up matrix; the same
    solves as a resumable solver, and a snapshot is refused rather than written without it."""
    net, b, a = plate_system(inv_dt=0.1)
    lean = LinearSolver("amg", net.n_nodes, symmetric=True, resumable=False)
    full = LinearSolver("amg", net.n_nodes, symmetric=True)
    assert np.array_equal(lean.solve(a, b, rtol=1e-8), full.solve(a, b, rtol=1e-8))
    assert lean._built_from is None and full._built_from is not None
    assert full.snapshot()["matrix"] is not None
    with pytest.raises(RuntimeError, match="without checkpoints"):
        lean.snapshot()


def test_a_march_keeps_the_set_up_matrix_only_when_it_writes_checkpoints():
    """The stepper makes its linear solver resumable (a copy of the matrix the hierarchy was built
    from) only when asked for checkpoints; the march is the same to the bit either way."""
    from thermal.solvers import solve_transient_fixed_step

    text = case_text_with((CASES / "reference_plate.toml").read_text(),
                          {"panels.plate.cells": [48, 48], "case.mode": "transient", "solver.direct_limit": 100,
                           "transient": {"time_step": "10 s", "end_time": "60 s"}}, create=True)
    case = parse_case(text)
    net = build_network(case)
    taken = []
    plain = solve_transient_fixed_step(net, case.solver, case.transient)
    saved = solve_transient_fixed_step(net, case.solver, case.transient, checkpoint=lambda take: taken.append(take()))
    assert plain.linear_method == saved.linear_method == "amg"
    assert np.array_equal(plain.t_k, saved.t_k)
    assert taken and all(snap["linear"]["matrix"] is not None for snap in taken)


def test_large_arrays_are_mapped_unless_the_user_chose_a_threshold(monkeypatch):
    """glibc's mmap threshold is held (thermal/memory.py) on Linux; a user's MALLOC_MMAP_THRESHOLD_
    is left alone."""
    import sys

    from thermal.memory import map_large_arrays

    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6").mallopt
        except (OSError, AttributeError):
            pytest.skip("not glibc")
        assert map_large_arrays()
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert not map_large_arrays()


def _drifted_system(n=60, seed=3):
    """A diagonally dominant, non-symmetric matrix and the same one with its diagonal moved by up to
    20 % (a time step and a Newton iteration later): the old one's LU preconditions the new one."""
    import scipy.sparse.linalg as spla

    rng = np.random.default_rng(seed)
    off = sp.random(n, n, density=0.1, random_state=rng, format="csr")
    off.setdiag(0.0)
    old = (sp.diags(np.asarray(abs(off).sum(axis=1)).ravel() + 1.0) - off).tocsr()
    new = (old + sp.diags(old.diagonal() * rng.uniform(-0.2, 0.2, n))).tocsr()
    return old, new, spla.splu(old.tocsc()), rng.normal(size=n)


@pytest.mark.parametrize("rtol", [1e-3, 1e-8, 1e-12])
def test_right_preconditioned_gmres_meets_its_tolerance_on_the_true_residual(rtol):
    from thermal.solvers.krylov import gmres_right

    old, new, lu, b = _drifted_system()
    x, its = gmres_right(new.dot, lu.solve, b, rtol, 40)
    assert x is not None and 1 <= its <= 40
    assert np.linalg.norm(b - new @ x) <= rtol * np.linalg.norm(b)
    exact = np.linalg.solve(new.toarray(), b)
    assert np.max(np.abs(x - exact)) <= 10 * rtol * np.linalg.cond(new.toarray()) * np.max(np.abs(exact))
    # with the exact inverse as preconditioner one iteration solves it
    x1, its1 = gmres_right(old.dot, lu.solve, b, 1e-10, 5)
    assert its1 == 1 and np.linalg.norm(b - old @ x1) <= 1e-10 * np.linalg.norm(b)


def test_right_preconditioned_gmres_gives_up_when_the_budget_is_too_small_and_starts_from_x0():
    from thermal.solvers.krylov import gmres_right

    old, new, lu, b = _drifted_system()
    x, its = gmres_right(new.dot, lambda v: v.copy(), b, 1e-12, 2)  # no preconditioner, two iterations
    assert x is None and its == 2
    exact = np.linalg.solve(new.toarray(), b)
    x, its = gmres_right(new.dot, lu.solve, b, 1e-6, 10, x0=exact)  # already there: no iteration
    assert its == 0 and np.array_equal(x, exact)
    x, its = gmres_right(new.dot, lu.solve, np.zeros_like(b), 1e-6, 10)
    assert its == 0 and not x.any()
