"""Heaters (thermostat, proportional) and louvers: kernels against their twins and finite
differences, the steady law against its closed form, thermostat switching without chattering,
HDF5 round trip, and bad input as one clear error."""
import numpy as np
import pytest

from thermal import kernels
from thermal.apps.solve import solve
from thermal.build.network import build_network
from thermal.errors import CaseError
from thermal.input.case_file import parse_case
from thermal.kernels import reference
from thermal.output.results import read_result
from thermal.solvers.system import Assembler

CASE = """
[case]
name = "control"
mode = "{mode}"

[solver]
initial_temperature = "{t0}"

[materials.lump]
rho = "2700 kg/m3"
k = "{k}"
cp = "900 J/kg/K"

[coatings.grey]
alpha = 0.5
eps = 0.8

[louvers.blades]
table = [["10 degC", 0.14, 0.09], ["15 degC", 0.30, 0.11], ["20 degC", 0.55, 0.13], ["25 degC", 0.74, 0.16]]

[panels.plate]
size = ["1 m", "0.5 m"]
cells = [3, 2]

[[panels.plate.layers]]
name = "sheet"
material = "lump"
thickness = "2 mm"

[panels.plate.faces.top]
coating = "grey"
louver = "blades"
solar_flux = "300 W/m^2"
ir_flux = "50 W/m^2"

[nodes.box]
capacitance = "20000 J/K"
power = "20 W"

[nodes.space]
temperature = "250 K"

[[contacts]]
between = ["box", "space"]
conductance = "5 W/K"

[[contacts]]
between = ["box", "plate.bottom"]
conductance = "2 W/K"

[heaters.survival]
heats = "box"
power = "300 W"
control = "{control}"
on_below = "0 degC"
off_above = "10 degC"

[heaters.panel]
heats = "plate.bottom"
sensor = "box"
power = "50 W"
control = "proportional"
on_below = "-5 degC"
off_above = "15 degC"
{extra}
"""


def _case(mode="steady", control="proportional", t0="5 degC", k="100 W/m/K", extra=""):
    return parse_case(CASE.format(mode=mode, control=control, t0=t0, k=k, extra=extra), "control.toml")


def _finite_difference_matrix(asm, t, h=1e-4):
    n = t.size
    a = np.zeros((n, n))
    for j in range(n):
        tp, tm = t.copy(), t.copy()
        tp[j] += h
        tm[j] -= h
        fp = asm.evaluate(tp)[0].copy()
        fm = asm.evaluate(tm)[0].copy()
        a[:, j] = -(fp - fm) / (2 * h)
    return a


def test_jacobian_of_louvers_and_heater_laws_is_exact():
    """A = -dF/dT against central differences, with the louvers in their band and both heaters
    inside theirs (away from the tables' kinks: the law is piecewise linear)."""
    net = build_network(_case())
    asm = Assembler(net)
    rng = np.random.default_rng(1)
    t = np.full(net.n_nodes, 250.0)
    free = net.fixed == 0
    t[free] = rng.uniform(285.0, 287.0, free.sum())  # plate: louver between its 10 and 15 degC points
    t[net.heaters.sensor[0]] = 276.7  # box: both laws inside their bands
    _, a = asm.evaluate(t)
    a = a.toarray()
    fd = _finite_difference_matrix(asm, t)
    assert np.allclose(a[np.ix_(free, free)], fd[np.ix_(free, free)], rtol=1e-6, atol=1e-6)
    # the heaters' entries are there and non-symmetric (the sensor does not feel the panel heater)
    box = net.heaters.sensor[0]
    cells = net.heaters.node[net.heaters.heater == 1]
    assert np.all(a[cells, box] < 0) or np.all(fd[cells, box] != 0)


def test_kernels_match_their_numpy_twins():
    net = build_network(_case())
    asm = Assembler(net)
    t = np.linspace(270.0, 300.0, net.n_nodes)
    ht = net.heaters
    res, a_data, power = np.zeros(net.n_nodes), np.zeros(net.indices.size), np.zeros(ht.count)
    switched = np.array([-1.0, -1.0])
    total = kernels.add_heaters(t, asm.heaters, switched, net.fixed, res, a_data, power)
    r_ref, entries, p_ref = reference.heaters(t, ht.power_w, ht.on_k, ht.off_k, ht.sensor, ht.node, ht.weight,
                                              ht.heater, switched, net.fixed, net.n_nodes)
    assert np.allclose(res, r_ref, rtol=1e-14, atol=1e-12) and np.allclose(power, p_ref, rtol=1e-14)
    assert total == pytest.approx(r_ref.sum(), rel=1e-14)
    m = net.matrix(a_data)
    for (i, j), value in entries.items():
        assert m[i, j] == pytest.approx(value, rel=1e-14)
    eps, alpha = asm.surf_eps.copy(), asm.surf_alpha.copy()
    d_eps, d_alpha = np.zeros(net.louver_surf.size), np.zeros(net.louver_surf.size)
    kernels.louver_properties(t, net.surf_node, asm.louvers, asm.tables, eps, alpha, d_eps, d_alpha)
    e_ref, de_ref, a_ref, da_ref = reference.louvers(t, net.surf_node, net.louver_surf, net.louver_eps_row,
                                                     net.louver_alpha_row, net.tab_t, net.tab_v, net.tab_n)
    assert np.allclose(eps[net.louver_surf], e_ref) and np.allclose(alpha[net.louver_surf], a_ref)
    assert np.allclose(d_eps, de_ref) and np.allclose(d_alpha, da_ref)


def test_steady_thermostat_is_the_proportional_law_across_its_deadband():
    """Steady, a thermostat gives the power of the proportional law at its sensor's temperature,
    which sits inside the deadband; the energy balance counts both heaters as generated."""
    result = solve(_case(control="thermostat"))
    t = result.solution.t_k[0]
    net = result.network
    box = net.heaters.sensor[0]
    plate_cells = net.heaters.node[net.heaters.heater == 1]
    rec = result.heaters["survival"]
    assert rec["steady"] and rec["control"] == "thermostat"
    generated = 20.0 + rec["power_w"][-1] + result.heaters["panel"]["power_w"][-1]
    assert result.solution.energy[0].generated_w == pytest.approx(generated, rel=1e-13)
    expected_power = 300.0 * (283.15 - t[box]) / 10.0
    assert rec["power_w"][-1] == pytest.approx(expected_power, rel=1e-10)
    assert 273.15 < t[box] < 283.15
    panel = result.heaters["panel"]["power_w"][-1]
    assert panel == pytest.approx(50.0 * (288.15 - t[box]) / 20.0, rel=1e-10)
    assert plate_cells.size == 6
    assert abs(result.solution.energy[0].relative_error) < 1e-12


def test_thermostat_switches_on_its_thresholds_without_chattering(tmp_path):
    case = _case(mode="transient", control="thermostat", t0="5 degC", extra="""
[transient]
time_step = "10 s"
end_time = "30000 s"
scheme = "bdf2"
tolerance = "0.001 K"
""")
    out = tmp_path / "thermo.h5"
    result = solve(case, output=out)
    rec = result.heaters["survival"]
    times = rec["switch_time_s"]
    assert rec["switches"] == len(times) >= 4
    # alternating on, off, on ... and many minutes apart: no chattering
    assert np.all(rec["switch_on"][1:] != rec["switch_on"][:-1])
    assert np.all(np.diff(times) > 300.0)
    # the box never leaves the deadband by more than the integrator's tolerance once inside it
    box_t = result.node_t_k[:, result.node_names.index("box")]
    assert box_t.min() > 273.15 - 1e-3 and box_t.max() < 283.15 + 1e-3
    for b in result.solution.energy[1:]:
        assert abs(b.relative_error) < 1e-9
    back = read_result(out)
    assert back.heaters["survival"]["switches"] == rec["switches"]
    assert np.allclose(back.heaters["survival"]["switch_time_s"], times)
    assert back.heaters["survival"]["energy_j"] == pytest.approx(rec["energy_j"])
    assert 0.0 < back.heaters["survival"]["duty"] < 1.0


def test_thermostat_in_an_orbit_periodic_run_switches_on_its_thresholds_every_orbit():
    """The one-orbit map with a switching thermostat (a map with jumps) converges: the periodic
    state's box stays inside its deadband, the heater switches on and off on the thresholds, and
    its mean power over the returned orbit is its energy over the period."""
    text = CASE.format(mode="periodic", control="thermostat", t0="5 degC", k="100 W/m/K", extra="""
[orbit]
altitude = "550 km"
beta = "0 deg"
attitude = "nadir"

[periodic]
tolerance = "0.001 K"
step_tolerance = "0.01 K"
max_step = "120 s"
""").replace('solar_flux = "300 W/m^2"\nir_flux = "50 W/m^2"\n', 'normal = "-z"\n')
    result = solve(parse_case(text, "thermostat_orbit.toml"))
    assert result.attrs["periodicity_k"] <= 1e-3
    rec = result.heaters["survival"]
    assert rec["switches"] >= 2 and np.all(rec["switch_on"][1:] != rec["switch_on"][:-1])
    period = result.times_s[-1] - result.times_s[0]
    assert rec["duration_s"] == pytest.approx(period, rel=1e-9)
    assert 0.0 < rec["duty"] < 1.0
    assert rec["energy_j"] == pytest.approx(300.0 * rec["duty"] * period, rel=1e-9)
    box = result.node_t_k[:, result.node_names.index("box")]
    assert box.min() > 273.15 - 2e-2 and box.max() < 283.15 + 2e-2  # the step tolerance, 0.01 K
    for b in result.solution.energy[1:]:
        assert abs(b.relative_error) < 1e-9

@pytest.mark.parametrize("edit, key", [
    (('off_above = "10 degC"', 'off_above = "-1 degC"'), "off_above"),
    (('heats = "box"', 'heats = "nowhere"'), "heats"),
    (('heats = "box"', 'heats = "space"'), "heats"),
    (('louver = "blades"', 'louver = "slats"'), "louver"),
    (('["25 degC", 0.74, 0.16]', '["12 degC", 0.74, 0.16]'), "table"),
    (('control = "proportional"\non_below = "-5', 'control = "bang-bang"\non_below = "-5'), "control"),
    (('["10 degC", 0.14, 0.09]', '["10 degC", 1.4, 0.09]'), "table"),
])
def test_bad_control_input_names_the_key(edit, key):
    text = CASE.format(mode="steady", control="proportional", t0="5 degC", k="100 W/m/K", extra="")
    assert edit[0] in text
    with pytest.raises(CaseError) as exc:
        parse_case(text.replace(edit[0], edit[1]), "bad.toml")
    assert key in str(exc.value)


def _louvered_exchange_text(**over):
    from thermal.input.overrides import case_text_with

    from .conftest import VALIDATION_CASES

    return case_text_with((VALIDATION_CASES / "louvered_exchange.toml").read_text(), over, create=True)


def test_louvers_under_exchange_take_the_patch_optics_of_the_steady_state(tmp_path):
    """A conducting (not isothermal) louvered plate cut into 2 x 2 patches: the steady state's patch
    emittance and absorptance are the area means of its louvered cells' at the solution (followed
    inside Newton), the patches open by different amounts, the exchange written to /radiation/ is
    the one of those optics, and the balance closes to round-off."""
    from thermal.build.radiation import with_optics
    from thermal.solvers.louvers import louvered_patch_optics

    text = _louvered_exchange_text(**{"materials.isothermal.k": "20 W/m/K",
                                      "panels.heated.footprints.heater.size": ["0.4 m", "0.4 m"],
                                      "panels.heated.faces.top.patches": [2, 2], "panels.heated.cells": [8, 8]})
    case = parse_case(text, "louvered.toml")
    result = solve(case, output=tmp_path / "louvered.h5")
    net, t = result.network, result.solution.t_k[0]
    plate = t[net.node_index["heated"][0].ravel()]
    assert plate.max() - plate.min() > 20.0  # the louver sees a spread of temperatures across its band
    eps, alpha = louvered_patch_optics(net, t)
    closed = net.radiation  # the network's own: louvers closed
    assert np.ptp(eps[:4]) > 1e-3 and np.all(eps[:4] > closed.eps[:4])  # open, and by different amounts
    saved = read_result(tmp_path / "louvered.h5")
    np.testing.assert_allclose(saved.radiation["eps"], eps, rtol=0, atol=1e-15)
    np.testing.assert_allclose(saved.radiation["alpha"], alpha, rtol=0, atol=1e-15)
    np.testing.assert_allclose(saved.radiation["exchange_area_m2"], with_optics(closed, eps, alpha).exchange_m2,
                               rtol=1e-14)
    assert abs(result.solution.energy[0].relative_error) <= 1e-12


LOUVERED_TRANSIENT = ('\n[solver]\ninitial_temperature = "300 K"\n[transient]\ntime_step = "20 s"\nend_time = "1600 s"\n'
                      'scheme = "bdf2"\noutput_interval = "200 s"\n')
SUNLIT_FACING = {"panels.facing.faces.bottom.solar_flux": "400 W/m^2", "panels.facing.faces.bottom.ir_flux": "100 W/m^2"}


def test_followed_patch_optics_have_an_exact_jacobian():
    """Assemblers follow the louvered patches' optics at every evaluation: A - low_rank
    against central differences of F, with the louver in its band on a conducting plate cut into
    2 x 2 patches, and sunlight and infrared on the facing plate that reflect onto the louvered one
    (so the slopes in eps through the exchange and the reflected IR, and in alpha through the
    reflected sunlight, all count)."""
    text = _louvered_exchange_text(**{"materials.isothermal.k": "20 W/m/K", "panels.heated.faces.top.patches": [2, 2],
                                      **SUNLIT_FACING})
    net = build_network(parse_case(text, "louvered.toml"))
    asm = Assembler(net)
    rng = np.random.default_rng(3)
    t = np.full(net.n_nodes, 350.0) + rng.uniform(-5.0, 5.0, net.n_nodes)
    heated = net.node_index["heated"][net.node_index["heated"] >= 0]
    t[heated] = rng.uniform(445.0, 455.0, heated.size)  # the louver between its 440 and 460 K points
    _, a = asm.evaluate(t)
    lr = asm.low_rank
    full = a.toarray() - lr.u.toarray() @ lr.m @ lr.j.toarray()
    assert lr.m.shape[0] == net.radiation.count + 2 * 4  # the exchange's rank, and two slopes per louvered patch
    fd = _finite_difference_matrix(asm, t)
    assert np.allclose(full, fd, rtol=1e-6, atol=1e-7 * np.abs(fd).max())
    base = asm._exchange_jacobian
    without = a.toarray() - base.u.toarray() @ base.m @ base.j.toarray()
    assert not np.allclose(without, fd, rtol=1e-6, atol=1e-7 * np.abs(fd).max())  # the slopes matter


def test_louvers_under_exchange_in_a_transient_follow_the_patch_optics(tmp_path):
    """A transient warming through the louver's band: at every output the saved patch optics are the
    area means of the cells' louver values at that output's temperatures, they open as the plate
    warms, the exchange saved is the last output's, and every step's balance closes to round-off."""
    from thermal.solvers.louvers import louvered_patch_optics

    text = _louvered_exchange_text(**{"case.mode": "transient", "materials.isothermal.k": "20 W/m/K",
                                      "panels.heated.faces.top.patches": [2, 2], **SUNLIT_FACING})
    case = parse_case(text + LOUVERED_TRANSIENT, "louvered.toml")
    result = solve(case, output=tmp_path / "louvered.h5")
    net = result.network
    saved = read_result(tmp_path / "louvered.h5")
    eps = saved.radiation["series"]["patch_eps"]
    assert eps.shape == (len(saved.times_s), net.radiation.count)
    for k in range(len(saved.times_s)):
        t_k = result.solution.t_k[k]
        want, _ = louvered_patch_optics(net, t_k)
        np.testing.assert_allclose(eps[k], want, rtol=0, atol=1e-12)
    assert eps[0, 0] == pytest.approx(0.20) and eps[-1, 0] > 0.3  # closed at 300 K, open by the end
    np.testing.assert_allclose(saved.radiation["eps"], eps[-1], rtol=0, atol=1e-15)
    worst = max(abs(b.relative_error) for b in result.solution.energy[1:])
    assert worst <= 1e-12


def test_louvers_under_exchange_in_orbit_keep_their_louver_and_follow_it_round_the_orbit():
    """Placed panels in an orbit keep their faces' louver and patches (the placement used to rebuild
    the faces without them, silently); an orbit-periodic run's louvered patch opens and closes with
    the orbit, its saved optics are those of each step's temperatures, and the balance closes."""
    from thermal.solvers.louvers import louvered_patch_optics

    text = _louvered_exchange_text(**{"case.mode": "periodic", "panels.heated.footprints.heater.power": "600 W",
                                      "panels.facing.faces.top.patches": [1, 2]})
    text += ('\n[orbit]\naltitude = "550 km"\nbeta = "20 deg"\nattitude = "nadir"\nshadow = "cylindrical"\n'
             '[periodic]\ntolerance = "0.001 K"\nstep_tolerance = "0.0005 K"\nmax_step = "120 s"\n')
    case = parse_case(text, "louvered_orbit.toml")
    faces = {p.name: p.faces for p in case.panels}
    assert faces["heated"]["top"].louver == "band" and faces["facing"]["top"].patches == (1, 2)
    result = solve(case)
    net = result.network
    eps = result.radiation["series"]["patch_eps"]
    assert np.ptp(eps[:, 0]) > 1e-3  # the louver moves round the orbit
    for k in (0, len(eps) // 2, len(eps) - 1):
        np.testing.assert_allclose(eps[k], louvered_patch_optics(net, result.solution.t_k[k])[0], rtol=0, atol=1e-12)
    assert max(abs(b.relative_error) for b in result.solution.energy[1:]) <= 1e-11
