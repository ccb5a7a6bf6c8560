"""Surface-to-surface radiation: the exchange in the residual and its Jacobian, both linear-solver
paths, energy conservation in steady and transient runs, shadows, arrays, the HDF5 group and the
errors for bad geometry."""
import h5py
import numpy as np
import pytest

from thermal.apps.compare import Tolerances, compare_results
from thermal.apps.solve import solve
from thermal.build.environment import Environment
from thermal.build.network import build_network
from thermal.cli import main
from thermal.constants import SIGMA_W_M2K4
from thermal.errors import CaseError, ModelError
from thermal.input.case_file import load_case, parse_case
from thermal.input.overrides import case_text_with
from thermal.output.results import read_result
from thermal.physics import analytic
from thermal.physics.geometry import polygon_set, rectangle, sample_points
from thermal.physics.rays import CLEAR, PARTIAL, SHADOW, batch_visibility, blocked, blocker_state, pair_visibility
from thermal.solvers import solve_steady
from thermal.solvers.linalg import LinearSolver
from thermal.solvers.run_state import RunState
from thermal.solvers.system import Assembler
from tests.conftest import CASES, VALIDATION_CASES as VALIDATION


def _case(name, overrides=None, folder=VALIDATION):
    path = folder / f"{name}.toml"
    text = path.read_text()
    if overrides:
        text = case_text_with(text, overrides, str(path))
    return parse_case(text, str(path))


def _plates(**over):
    """Parallel plates with patches on both facing sides (exchange non-uniform over the faces)."""
    base = {"panels.heated.faces.top.patches": [3, 2], "panels.facing.faces.bottom.patches": [4, 4],
            "panels.heated.cells": [8, 8], "panels.facing.cells": [8, 8]}
    base.update(over)
    return _case("parallel_plates", base)


def test_exchange_jacobian_is_exact():
    """(A - u m j) v against central differences of the residual, with the exchange non-uniform."""
    case = _plates()
    net = build_network(case)
    asm = Assembler(net, RunState.fresh(net))
    rng = np.random.default_rng(3)
    t = 250.0 + 150.0 * rng.random(net.n_nodes)
    asm.evaluate(t)  # sets the Jacobian's values at t
    v = rng.standard_normal(net.n_nodes)
    h = 1e-2
    numeric = (asm.exchange_residual(t + h * v) - asm.exchange_residual(t - h * v)) / (2 * h)
    exact = asm.low_rank.matvec(v)  # d F_exchange / dT v (A_full = A - u m j)
    # central differences of T^4: error h^2 T v^3 ~ 1e-4 x 1e-6 relative
    assert np.max(np.abs(exact - numeric)) <= 1e-8 * np.max(np.abs(exact))
    assert np.max(np.abs(exact)) > 0.0


def test_direct_and_amg_paths_agree_and_conserve_energy():
    case = _plates()
    net = build_network(case)
    sols = {}
    for method in ("direct", "amg"):
        sol = solve_steady(net, case.solver, linear=LinearSolver(method, net.n_nodes, True))
        b = sol.energy[0]
        assert abs(b.relative_error) < 1e-12
        assert b.generated_w == pytest.approx(1000.0)
        sols[method] = sol.t_k[0]
    assert np.max(np.abs(sols["direct"] - sols["amg"])) < 1e-5


def test_patches_converge_towards_the_non_uniform_radiosity_answer():
    """One patch per face assumes uniform radiosity; refining the patches changes the answer by a
    shrinking amount (the exchange converges), and never breaks the energy balance.  (With 2 x 2
    patches symmetry makes every quadrant's radiosity equal: the same answer as 1 x 1.)"""
    temps = []
    for n in (2, 4, 8):
        case = _case("parallel_plates", {"panels.heated.faces.top.patches": [n, n],
                                         "panels.facing.faces.bottom.patches": [n, n],
                                         "panels.heated.cells": [16, 16], "panels.facing.cells": [16, 16]})
        net = build_network(case)
        sol = solve_steady(net, case.solver)
        idx = net.node_index["heated"]
        temps.append(float(sol.t_k[0][idx[idx >= 0]].max()))
        assert abs(sol.energy[0].relative_error) < 1e-12
    steps = np.diff(temps)
    # piecewise-constant radiosity: error ~ h^p with p >= 1 (measured steps 0.182, 0.056, 0.014 K for
    # n = 2 -> 4 -> 8 -> 16, p ~ 1.7-2), so each halving at least halves the step
    assert steps[0] > 0.0 and 0.0 < steps[1] < 0.5 * steps[0]


def test_transient_with_exchange_conserves_energy():
    text = (VALIDATION / "radiation_shield.toml").read_text().replace('mode = "steady"', 'mode = "transient"')
    text += '\n[transient]\ntime_step = "60 s"\nend_time = "1800 s"\n'
    case = parse_case(text, "shield_transient.toml")
    result = solve(case)
    assert max(abs(b.relative_error) for b in result.solution.energy[1:]) < 1e-10
    # the heated plate warms from the initial temperature towards its steady 407 K
    heated = result.fields["heated"][:, 0]
    assert np.nanmax(heated[0]) < np.nanmax(heated[-1]) < 407.2


def test_three_surface_enclosure_matches_the_closed_form():
    case = _case("enclosure")
    net = build_network(case)
    sol = solve_steady(net, case.solver)
    e1, e2 = case.coatings["floor"].eps, case.coatings["ceiling"].eps
    f12 = analytic.vf_parallel_rectangles(1.0, 1.0, 1.0)
    resistance = (1 - e1) / e1 + 1.0 / (f12 + (1 - f12) / 2) + (1 - e2) / e2
    t1 = (800.0 * resistance / SIGMA_W_M2K4 + 250.0**4) ** 0.25
    idx = net.node_index["floor"]
    assert np.max(np.abs(sol.t_k[0][idx[idx >= 0]] - t1)) < 1e-6
    # the ceiling is a fixed wall: the 800 W leave the free nodes by radiation, all of it to the ceiling
    assert sol.energy[0].radiated_w == pytest.approx(800.0, rel=1e-12)


def test_ray_caster_hits_inside_and_misses_outside():
    square = rectangle((0, 0, 1), (1, 0, 0), (0, 1, 0), 0, 1, 0, 1)
    polys = polygon_set([square])
    down = np.array([0.0, 0.0, 1.0])
    assert blocked(np.array([0.5, 0.5, 0.0]), down, 2.0, *polys)
    assert not blocked(np.array([1.5, 0.5, 0.0]), down, 2.0, *polys)
    assert not blocked(np.array([0.5, 0.5, 0.0]), down, 0.5, *polys)  # the segment ends before the square
    assert not blocked(np.array([0.5, 0.5, 0.0]), down, 1.0, *polys)  # ... or on it (its target)


def test_shadow_and_partial_blocking():
    case = _case("shadowing")
    net = build_network(case)
    env = Environment(case, net)
    solar, _, _ = env.at(0.0)
    s = case.orbit.solar_constant_w_m2
    assert solar[net.face_names.index("hidden.top")] == 0.0
    assert solar[net.face_names.index("half.top")] == pytest.approx(0.5 * s, rel=1e-12)
    assert solar[net.face_names.index("open.top")] == pytest.approx(s, rel=1e-12)


def test_blocking_between_patches_is_symmetric_and_partial():
    """A strip between two plates hides part of their exchange: F drops, reciprocity stays exact."""
    base = _case("parallel_plates")
    text = base.source_text + """
[surfaces.strip]
kind = "blocker"
shape = "rectangle"
origin = ["-1 m", "0.25 m", "0.25 m"]
x_axis = "+x"
y_axis = "+y"
size = ["3 m", "0.5 m"]
"""
    net = build_network(parse_case(text, "strip.toml"))
    rad = net.radiation
    i, j = rad.names.index("heated.top"), rad.names.index("facing.bottom")
    exact = analytic.vf_parallel_rectangles(1.0, 1.0, 0.5)
    assert rad.view_factor_unblocked[i, j] == pytest.approx(exact, rel=1e-12)
    assert 0.2 * exact < rad.view_factor[i, j] < 0.8 * exact
    a_f = rad.area_m2[:, None] * rad.view_factor
    assert np.max(np.abs(a_f - a_f.T)) <= 1e-15 * np.max(a_f)
    assert rad.reciprocity_error == 0.0


def test_solar_array_power_leaves_the_balance(tmp_path):
    case = load_case(CASES / "radiator_with_array.toml")
    out = tmp_path / "rwa.h5"
    result = solve(case, output=out)
    series = result.radiation["series"]
    p_el = float(series["electrical_w"][-1][0])
    assert p_el > 0
    # generated = compute power minus the arrays' electrical power
    assert result.energy["generated"][-1] == pytest.approx(1000.0 - p_el, rel=1e-12)
    assert abs(result.energy["balance_error"][-1]) < 1e-10 * result.energy["absorbed"][-1]
    # per surface: what it takes in equals what it sends to space and to the others (+ its own heat)
    net = result.network
    flows = series["from_sun_w"][-1] + series["from_earth_w"][-1] - series["to_space_w"][-1] \
        - series["net_to_w"][-1].sum(axis=1)
    assert flows.sum() == pytest.approx(result.energy["absorbed"][-1] - result.energy["radiated"][-1], rel=1e-10)
    assert np.max(np.abs(series["net_to_w"][-1] + series["net_to_w"][-1].T)) < 1e-9
    # the file holds the same
    back = read_result(out)
    assert back.radiation["surfaces"] == result.radiation["surfaces"]
    assert np.array_equal(back.radiation["view_factor"], net.radiation.view_factor)
    with h5py.File(out) as f:
        assert f["radiation/view_factor"].attrs["units"] == "1"
        assert f["radiation/visibility/sunlit_fraction"].shape == (72, net.radiation.count)
    _compare_sees_the_radiation_group(out, tmp_path)


def _compare_sees_the_radiation_group(out, tmp_path):
    """`thermal compare` judges /radiation: heat flows per surface, view factors, visibility; a file
    without the group is a different answer."""
    import shutil
    for name, edit in (("same", None), ("flows", "radiation/series/to_space_w"),
                       ("vf", "radiation/view_factor"), ("sun", "radiation/visibility/sunlit_fraction"),
                       ("none", "radiation")):
        other = tmp_path / f"{name}.h5"
        shutil.copy(out, other)
        if edit is not None:
            with h5py.File(other, "r+") as f:
                if edit == "radiation":
                    del f[edit]
                else:
                    f[edit][...] = f[edit][...] * (1 + 1e-6) + 1e-6
        lines = "\n".join(compare_results(read_result(out), read_result(other), "A", "B", Tolerances())[1])
        if edit is None:
            assert lines.endswith("same"), lines
        else:
            assert lines.endswith("DIFFERENT"), lines
            words = {"flows": "outside tolerance: radiation to_space_w", "vf": "outside tolerance: radiation view_factor",
                     "sun": "outside tolerance: radiation sunlit_fraction",
                     "none": "only A has a radiation exchange"}[name]
            assert words in lines, lines


def test_neighbouring_array_warms_the_radiator():
    """The same radiator alone and under its array: the array's back (hot, black) and the sky it
    hides raise the junction temperature."""
    with_array = load_case(CASES / "radiator_with_array.toml")
    text = with_array.source_text
    start = text.index("\n[surfaces.array]")
    alone = parse_case(text[:start] + text[text.index("\n[radiation]"):], "alone.toml")
    tj = [float(solve(c).chips["radiator.electronics"]["t_max"][-1]) for c in (alone, with_array)]
    assert tj[1] > tj[0] + 5.0


@pytest.mark.parametrize("change, key, words", [
    ({"panels.heated.faces.top.patches": [5, 1]}, "panels.heated.faces.top.patches", "finer than the cells"),
    ({"panels.facing.placement.origin": ["0.5 m", "0 m", "0 m"]}, "panels.facing.placement", "overlap"),
    ({"panels.facing.placement.y_axis": [1, 1, 0]}, "panels.facing.placement.y_axis", "perpendicular"),
])
def test_bad_geometry_is_one_clear_error(change, key, words):
    with pytest.raises(CaseError) as err:
        build_network(_case("parallel_plates", change))
    assert err.value.key == key and words in str(err.value)


@pytest.mark.parametrize("extra, key, words", [
    ('[surfaces.box]\nkind = "blocker"\nshape = "box"\norigin = ["-1 m", "-1 m", "-1 m"]\nx_axis = "+x"\n'
     'y_axis = "+y"\nsize = ["3 m", "3 m", "3 m"]\n', "surfaces.box", "inside"),
    ('[surfaces.bus]\nkind = "blocker"\nshape = "box"\norigin = ["0 m", "0 m", "0.5 m"]\nx_axis = "+x"\n'
     'y_axis = "+y"\nsize = ["1 m", "1 m", "1 m"]\n', "surfaces.bus", "faces into"),
    ('[surfaces.w]\nkind = "wall"\norigin = ["3 m", "0 m", "0 m"]\nx_axis = "+x"\ny_axis = "+y"\n'
     'size = ["1 m", "1 m"]\nfront = { coating = "lower" }\n', "surfaces.w.temperature", "exactly one"),
])
def test_bad_surfaces_are_one_clear_error(extra, key, words):
    text = (VALIDATION / "parallel_plates.toml").read_text() + "\n" + extra
    with pytest.raises(CaseError) as err:
        build_network(parse_case(text, "bad.toml"))
    assert err.value.key == key and words in str(err.value)


def test_missing_placement_and_missing_radiation_table(tmp_path, capsys):
    text = (VALIDATION / "parallel_plates.toml").read_text()
    no_place = text.replace('[panels.facing.placement]\norigin = ["0 m", "0 m", "0.5 m"]\nx_axis = "+x"\ny_axis = "+y"\n',
                            "")
    with pytest.raises(CaseError, match="needs a placement"):
        parse_case(no_place, "x.toml")
    no_table = text.replace("[radiation]", "") + ('\n[surfaces.a]\nkind = "blocker"\norigin = [0, 0, 2]\nx_axis = "+x"\n'
                                                   'y_axis = "+y"\nsize = ["1 m", "1 m"]\n')
    with pytest.raises(CaseError, match="add a \\[radiation\\] table"):
        parse_case(no_table, "x.toml")
    path = tmp_path / "bad.toml"
    path.write_text(no_place)
    assert main(["run", str(path), "-o", str(tmp_path / "bad.h5")]) == 2
    err = capsys.readouterr().err
    assert "panels.facing.placement" in err and "Traceback" not in err


def test_geometry_figure_from_a_case_and_from_a_result(tmp_path, capsys):
    case_file = CASES / "radiator_with_array.toml"
    png = tmp_path / "geometry.png"
    assert main(["plot", str(case_file), "--geometry", "--time", "1500", "-o", str(png)]) == 0
    assert png.stat().st_size > 10_000
    out = tmp_path / "rwa.h5"
    assert main(["run", str(case_file), "-o", str(out)]) == 0
    assert "net to others" in capsys.readouterr().out
    assert main(["plot", str(out), "--geometry"]) == 0
    assert (tmp_path / "rwa_geometry.png").exists()
    # a case without surface placement has nothing to draw: one line, no traceback
    assert main(["plot", str(CASES / "gpu_radiator.toml"), "--geometry", "-o", str(png)]) == 2
    assert "no [radiation] table" in capsys.readouterr().err


def test_closed_enclosure_without_a_sink_is_refused():
    """Every face emits, but inside a closed box none sees space: no steady state exists."""
    text = (VALIDATION / "enclosure.toml").read_text().replace('temperature = "250 K"', 'node = "lid"')
    text += '\n[nodes.lid]\ncapacitance = "1 kJ/K"\n'
    case = parse_case(text, "closed.toml")
    net = build_network(case)
    with pytest.raises(ModelError, match="sees space"):
        solve_steady(net, case.solver)
    # the same box with its ceiling held at 250 K has one
    solve_steady(build_network(_case("enclosure")), case.solver)


def test_direct_path_iterates_when_woodbury_would_not_fit(monkeypatch):
    """Above WOODBURY_LIMIT the direct path runs GMRES preconditioned by the exact LU: same answer."""
    import thermal.solvers.linalg as linalg

    case = _plates()
    net = build_network(case)
    exact = solve_steady(net, case.solver, linear=LinearSolver("direct", net.n_nodes, True)).t_k[0]
    monkeypatch.setattr(linalg, "WOODBURY_LIMIT", 0)
    linear = LinearSolver("direct", net.n_nodes, True)
    sol = solve_steady(net, case.solver, linear=linear)
    assert np.max(np.abs(sol.t_k[0] - exact)) < 1e-6
    assert linear.stats.iterations > 0


def test_wall_on_a_lumped_node_is_the_same_as_a_fixed_wall():
    """The ceiling as a wall on a node held at 250 K, and as a wall at 250 K: the same temperatures."""
    fixed = _case("enclosure")
    text = fixed.source_text.replace('temperature = "250 K"', 'node = "lid"')
    on_node = parse_case(text + '\n[nodes.lid]\ntemperature = "250 K"\n', "lid.toml")
    a = solve_steady(build_network(fixed), fixed.solver).t_k[0]
    net = build_network(on_node)
    b = solve_steady(net, on_node.solver).t_k[0]
    idx = build_network(fixed).node_index["floor"]
    assert np.max(np.abs(a[idx[idx >= 0]] - b[net.node_index["floor"][net.node_index["floor"] >= 0]])) < 1e-9


def _visibility_both_ways(patches, blockers, n_pts=3):
    """batch_visibility (exact shadow/clear sorting, rays only where needed) and the same pairs with
    every ray cast against every blocker."""
    verts_p, count_p, normals_p, _, _ = polygon_set(patches)
    points = np.array([sample_points(p, n_pts) for p in patches])
    blk = polygon_set(blockers)
    half = len(patches) // 2
    pairs = np.array([(i, j) for i in range(half) for j in range(half, len(patches))], np.int64)
    fast, rays = np.zeros(len(pairs)), np.zeros(1, np.int64)
    batch_visibility(pairs, points, normals_p, np.full(len(patches), -1, np.int64), verts_p, count_p, *blk, 1e-12,
                     fast, rays)
    slow = np.array([pair_visibility(points[i], normals_p[i], points[j], normals_p[j], *blk) for i, j in pairs])
    states = [blocker_state(verts_p[i], count_p[i], normals_p[i], verts_p[j], count_p[j], normals_p[j], blk[0][k],
                            blk[1][k], blk[2][k], blk[3][k], 1e-12, np.empty((16, 2)), np.empty((4, 2)))
              for i, j in pairs for k in range(len(blockers))]
    return fast, slow, rays[0], np.bincount(states, minlength=3)


def test_exact_shadow_sorting_gives_what_casting_every_ray_gives():
    """Blockers sorted out exactly (all segments stopped, none stopped, or some) before any ray:
    the visible shares are bit for bit those of casting every ray at every blocker, on a strip
    between gridded plates (edges projecting exactly onto the strip's) and on random tilted
    blockers, and far fewer rays are cast."""
    n = 6
    grid = [(i / n, (i + 1) / n, j / n, (j + 1) / n) for j in range(n) for i in range(n)]
    lower = [rectangle((0, 0, 0), (1, 0, 0), (0, 1, 0), *c) for c in grid]
    upper = [rectangle((0, 0, 0.5), (0, 1, 0), (1, 0, 0), c[2], c[3], c[0], c[1]) for c in grid]  # facing down
    strip = rectangle((-1, 0.25, 0.25), (1, 0, 0), (0, 1, 0), 0, 3, 0, 0.5)
    fast, slow, rays, states = _visibility_both_ways(lower + upper, [strip])
    assert np.array_equal(fast, slow)
    assert states[CLEAR] > 0 and states[SHADOW] > 0 and states[PARTIAL] > 0
    assert rays < 0.5 * len(fast) * 81
    rng = np.random.default_rng(3)
    blockers = []
    for _ in range(6):
        x_axis = rng.normal(size=3) * [1, 1, 0.3]
        y_axis = np.cross([0.0, 0.0, 1.0], x_axis) + rng.normal(size=3) * 0.2
        blockers.append(rectangle(rng.uniform(-0.2, 0.8, 3) * [1, 1, 0.4] + [0, 0, 0.05], x_axis / np.linalg.norm(x_axis),
                                  y_axis / np.linalg.norm(y_axis), 0, rng.uniform(0.05, 0.5), 0, rng.uniform(0.05, 0.5)))
    fast, slow, rays, states = _visibility_both_ways(lower + upper, blockers)
    assert np.array_equal(fast, slow)
    assert states[CLEAR] > 0 and states[SHADOW] > 0 and states[PARTIAL] > 0


def test_symmetric_and_lu_routes_of_the_grey_exchange_agree():
    """The Cholesky route (C = A/d - X symmetric positive definite) gives the exchange areas and the
    reflection operator of the LU route: off the diagonal to round-off of the entries, on it to
    round-off of A a^2 / d (what the route subtracts there), and S exactly symmetric."""
    from thermal.build import radiation as br

    rng = np.random.default_rng(0)
    r = 120
    area = rng.uniform(0.5, 2.0, r)
    x = rng.uniform(0.0, 1.0, (r, r))
    x = x + x.T
    np.fill_diagonal(x, 0.0)
    x *= (0.9 * area / x.sum(axis=1)).min()  # every closure <= 0.9
    f = x / area[:, None]
    a = rng.uniform(0.1, 0.95, r)
    assert a.max() <= 1.0 - br.SPD_MIN_REFLECTANCE
    s, q = br.grey_exchange(f.copy(), area, a)
    m = np.eye(r) - f * (1.0 - a)[None, :]
    incidence = np.linalg.solve(m, f)
    s_lu = (area * a)[:, None] * incidence * a[None, :]
    q_lu = incidence.T * ((1.0 - a) * area)[None, :] / area[:, None]
    off = ~np.eye(r, dtype=bool)
    assert np.max(np.abs(s - s_lu)[off] / np.abs(s_lu)[off]) < 1e-13
    assert np.max(np.abs(np.diag(s - s_lu)) / (area * a ** 2 / (1.0 - a))) < 1e-13
    assert np.max(np.abs(q - q_lu)) < 1e-13 * np.max(np.abs(q_lu))
    assert np.array_equal(s, s.T)


def test_sunlit_fractions_are_cached_per_sun_direction_and_capped(monkeypatch):
    """An orbit time met again (the periodic search's orbits, the orbit averages) reads its patches'
    sunlit fractions back instead of casting the rays again; what is read back is what a fresh cast
    gives (an oblique Sun, no grazing face); the cache stops growing at its byte cap."""
    import thermal.build.environment as environment
    from thermal.physics.rays import sunlit_fractions

    case = load_case(CASES / "radiator_with_array.toml")
    env = Environment(case, build_network(case))
    sun = np.array([0.3, -0.5, -0.8])
    sun /= np.linalg.norm(sun)
    nadir = np.array([0.0, 0.0, 1.0])
    first, _ = env.visibility(sun, nadir, 1.0)
    again, _ = env.visibility(sun + 1e-14, nadir, 1.0)
    assert again is first and not first.flags.writeable
    rad = env.radiation
    fresh = np.ones(rad.count)
    sunlit_fractions(rad.points, rad.normal, sun, *rad.blockers, fresh)
    assert np.array_equal(first, fresh) and fresh.max() == 1.0 and fresh.min() == 0.0  # lit and unlit faces
    monkeypatch.setattr(environment, "SUNLIT_CACHE_BYTES", 8 * rad.count)  # room for one direction
    for k in range(3):
        env.visibility(np.array([0.1 * k, 0.6, -0.7]) / np.linalg.norm([0.1 * k, 0.6, -0.7]), nadir, 1.0)
    assert len(env._sunlit_cache) == 1
