"""Heat pipes: network construction, conservation, transport limits, dry-out, failures, bad input."""
import math

import h5py
import numpy as np
import pytest

from thermal.apps.solve import solve
from thermal.build.network import build_network
from thermal.cli import main
from thermal.input.case_file import load_case, parse_case
from thermal.physics import heat_pipes as heatpipes
from thermal.physics.fluids import saturation
from thermal.solvers.heat_pipes import film_heat_w
from thermal.solvers.system import Assembler

from .conftest import CASES, VALIDATION_CASES

PIPE_CASE = (VALIDATION_CASES / "parallel_pipes.toml").read_text()


def pipe_case(old=None, new=None, extra=""):
    text = PIPE_CASE
    if old is not None:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text + extra


def test_wall_pieces_cover_the_path_exactly_on_any_grid():
    for cells in ("[41, 10]", "[17, 7]"):
        case = parse_case(pipe_case("cells = [41, 10]", f"cells = {cells}"))
        net = build_network(case)
        pn = net.heat_pipes[0]
        assert np.isclose(pn.length_m[pn.role < 0].sum(), 0.5, rtol=1e-14)  # the 0.5 m condenser
        assert np.isclose(pn.length_m[pn.role > 0].sum(), 0.04, rtol=1e-14)  # the 40 mm evaporator
        # the wall's mass is its metal cross-section times its length
        wall_mass = net.rho_v_kg[pn.wall].sum()
        assert np.isclose(wall_mass, case.materials["fin_al"].rho_kg_m3 * pn.pipe.wall_area_m2 * 0.54, rtol=1e-12)


def test_vapour_node_conserves_energy_and_the_balance_closes():
    result = solve(parse_case(pipe_case()))
    net = result.network
    pn = net.heat_pipes[0]
    t = result.solution.t_k[0]
    q = film_heat_w(result.solution.state, pn, t)
    # the vapour node's residual is this sum; Newton's test bounds it by tol x ||heat input||
    assert abs(q.sum()) <= 1e-8 * Assembler(net, result.solution.state).heat_input_norm()
    assert abs(result.energy["balance_error"][-1]) <= 1e-12 * 60.0
    # the heat that reaches the radiating sheet arrives through the pipe: its wall or its vapour
    assert result.heat_pipes["hp"]["q"][-1] == pytest.approx(60.0, rel=0.01)


def test_film_conductance_sets_the_wall_to_vapour_drop():
    """Heat in the condenser = G' L (T_wall - T_v) summed over pieces: the film law itself."""
    result = solve(parse_case(pipe_case()))
    net, t = result.network, result.solution.t_k[0]
    pn = net.heat_pipes[0]
    cond = pn.role[pn.film] < 0
    walls = pn.wall[pn.film][cond]
    expected = 1e4 * pn.length_m[pn.film][cond] * (t[walls] - t[pn.vapour])
    np.testing.assert_allclose(film_heat_w(result.solution.state, pn, t)[cond], expected, rtol=1e-12)


def test_capillary_limit_closed_form_and_gravity():
    """Liquid-only capillary limit = 2 sigma/r_eff x rho K A_w h_fg / (mu L_eff); an adverse tilt
    removes rho g L sin(tilt) from the head and the limit reaches zero when gravity wins."""
    args = (0.02, 600.0, 1.3e-4, 1.16e6, 4e-4, 2e-9, 2e-5, 0.8)
    q0 = heatpipes.capillary_limit_w(*args)
    assert q0 == pytest.approx(2 * 0.02 / 4e-4 * 600 * 2e-9 * 2e-5 * 1.16e6 / (1.3e-4 * 0.8), rel=1e-14)
    head = 2 * 0.02 / 4e-4
    tilt = math.asin(0.5 * head / (600 * 9.80665 * 1.0))  # gravity takes half the head
    q_half = heatpipes.capillary_limit_w(*args, gravity=9.80665, tilt_rad=tilt, l_total=1.0)
    assert q_half == pytest.approx(0.5 * q0, rel=1e-12)
    assert heatpipes.capillary_limit_w(*args, gravity=9.80665, tilt_rad=math.pi / 2, l_total=1.0) == 0.0


def test_limits_scale_with_length_as_the_formulas_say():
    case = parse_case(pipe_case())
    pipe = case.heat_pipes[0]
    sat = saturation("ammonia", 300.0)
    base = heatpipes.transport_limits(pipe, sat, 167.0)
    longer = parse_case(pipe_case('["100 mm", "500 mm"]]', '["100 mm", "500 mm"], ["150 mm", "500 mm"]]'))
    pipe2 = longer.heat_pipes[0]
    lim2 = heatpipes.transport_limits(pipe2, sat, 167.0)
    ratio = pipe.effective_length_m / pipe2.effective_length_m
    assert lim2["capillary"] == pytest.approx(base["capillary"] * ratio, rel=1e-12)
    assert lim2["viscous"] == pytest.approx(base["viscous"] * ratio, rel=1e-12)
    assert lim2["sonic"] == base["sonic"] and lim2["entrainment"] == base["entrainment"]
    assert math.isinf(base["boiling"])  # open grooves: no boiling limit
    # sonic limit: choked vapour at the evaporator exit, rho_v h_fg A_v sqrt(gamma R T / (2 (gamma + 1)))
    r = 8.314462618 / sat.molar_mass_kg_mol
    a_v = math.pi * 0.003**2
    assert base["sonic"] == pytest.approx(a_v * sat.rho_v * sat.h_fg_j_kg
                                          * math.sqrt(sat.gamma_v * r * 300.0 / (2 * (sat.gamma_v + 1))), rel=1e-14)


def test_overloaded_pipe_dries_out_to_its_limit_and_says_so(tmp_path, capsys):
    text = pipe_case('power = "60 W"', 'power = "150 W"')
    path = tmp_path / "overload.toml"
    path.write_text(text)
    nominal = solve(parse_case(pipe_case()))
    assert main(["run", str(path), "-o", str(tmp_path / "o.h5"), "-q"]) == 0
    out = capsys.readouterr().out
    assert "DRIED OUT" in out and "WARNING" in out
    result = solve(load_case(path))
    hp = result.heat_pipes["hp"]
    assert hp["dried"] and 0.0 < hp["wetted"] < 1.0
    # a dried pipe carries its limit (to the outer loop's 1 %), the rest goes through the wall
    assert hp["q"][-1] == pytest.approx(hp["limits"][hp["governing"]], rel=0.011)
    assert result.chips["block.heater"]["t_max"][-1] > nominal.chips["block.heater"]["t_max"][-1] + 50.0
    with h5py.File(tmp_path / "o.h5") as f:
        g = f["heat_pipes/hp"]
        assert bool(g.attrs["dried"]) and g["T_vapour"].attrs["units"] == "K"
        assert g["Q"][-1] == pytest.approx(hp["q"][-1], rel=1e-12)


def test_failed_pipe_keeps_its_wall_and_n_minus_1_table(tmp_path, capsys):
    failed = parse_case(pipe_case("film_condenser = ", "failed = true\nfilm_condenser = "))
    net = build_network(failed)
    assert net.heat_pipes[0].vapour == -1 and net.heat_pipes[0].wall.size > 0
    nominal = solve(parse_case(pipe_case()))
    broken = solve(failed)
    # without its vapour the pipe is a thin aluminium rod: the block runs far hotter
    assert broken.chips["block.heater"]["t_max"][-1] > nominal.chips["block.heater"]["t_max"][-1] + 100.0
    path = tmp_path / "two.toml"
    path.write_text(pipe_case())
    assert main(["run", str(path), "-o", str(tmp_path / "n.h5"), "-q", "--n-minus-1"]) == 0
    out = capsys.readouterr().out
    assert "N-1" in out and "(nominal)" in out and "\nhp " in out and "worst single failure: hp" in out


def test_four_gpu_case_every_pipe_conserves_and_stays_below_limits():
    result = solve(load_case(CASES / "four_gpu_ammonia.toml"))
    net, t = result.network, result.solution.t_k[0]
    bound = 1e-8 * Assembler(net, result.solution.state).heat_input_norm()
    for pn in net.heat_pipes:
        assert abs(film_heat_w(result.solution.state, pn, t).sum()) <= bound
    uses = [float(p["utilisation"][-1]) for p in result.heat_pipes.values()]
    assert max(uses) < 1.0 and all(p["governing"] == "capillary" for p in result.heat_pipes.values())
    # all 1800 W of the GPUs leave through the pipes (vapour or wall): the radiator receives it
    assert sum(p["q"][-1] for p in result.heat_pipes.values()) == pytest.approx(1800.0, rel=0.02)
    for c in result.chips.values():
        assert c["t_max"][-1] < c["limit_k"]


def test_acetone_transport_from_dippr_is_sane():
    s = saturation("acetone", 298.15)
    assert s.mu_l == pytest.approx(0.306e-3, rel=0.03)  # CRC Handbook: 0.306 mPa s at 25 degC
    assert s.k_l == pytest.approx(0.161, rel=0.05)  # CRC: 0.161 W/m/K at 25 degC


HP_BAD = [
    ("path_leaves_panel", pipe_case('["100 mm", "500 mm"]]', '["100 mm", "600 mm"]]'),
     ["heat_pipes.hp.sections[1].path", "outside panel 'sheet'"]),
    # a water pipe whose radiator settles near 200 K: the steady state says the pipe would be frozen
    ("water_frozen", pipe_case('fluid = "ammonia"', 'fluid = "water"').replace('power = "60 W"', 'power = "10 W"'),
     ["heat pipe 'hp'", "water", "frozen", "273.16 K"]),
    # a transient that starts with the ammonia above its critical point
    ("ammonia_supercritical_start", pipe_case('mode = "steady"', 'mode = "transient"').replace('"300 K"', '"420 K"', 1)
     + '\n[transient]\ntime_step = "10 s"\nend_time = "100 s"\n',
     ["heat_pipes.hp.fluid", "critical point", "solver.initial_temperature"]),
    ("grooves_do_not_fit", pipe_case("count = 12", "count = 60"), ["heat_pipes.hp.wick.count", "do not fit"]),
    ("grooves_reach_wall", pipe_case('depth = "0.8 mm"', 'depth = "2.5 mm"'),
     ["heat_pipes.hp.wick.depth", "outer wall"]),
    ("screen_wires_overlap", pipe_case('wick = { type = "grooves", count = 12, width = "0.5 mm", depth = "0.8 mm" }',
                                       'wick = { type = "screen", mesh = "100 1/inch", wire_diameter = "0.3 mm", '
                                       'thickness = "1 mm" }'), ["wick.wire_diameter", "overlap"]),
    ("sintered_porosity", pipe_case('wick = { type = "grooves", count = 12, width = "0.5 mm", depth = "0.8 mm" }',
                                    'wick = { type = "sintered", particle_diameter = "50 um", porosity = 0.95, '
                                    'thickness = "0.5 mm" }'), ["wick.porosity", "0.2 and 0.8"]),
    ("vapour_wider_than_pipe", pipe_case('vapour_diameter = "6 mm"', 'vapour_diameter = "12 mm"'),
     ["heat_pipes.hp.vapour_diameter", "smaller than the outer"]),
    ("unknown_fluid", pipe_case('fluid = "ammonia"', 'fluid = "mercury"'), ["heat_pipes.hp.fluid", "'ammonia'"]),
    ("no_condenser", pipe_case('role = "condenser"', 'role = "adiabatic"'), ["heat_pipes.hp.sections", "condenser"]),
    ("unknown_layer", pipe_case('layer = "sheet"', 'layer = "core"'), ["sections[1].layer", "core"]),
    ("unknown_pipe_key", pipe_case('fluid = "ammonia"', 'fluid = "ammonia"\nlenght = 1'),
     ["heat_pipes.hp.lenght", "unknown key"]),
]


@pytest.mark.parametrize("name,text,words", HP_BAD, ids=[b[0] for b in HP_BAD])
def test_bad_heat_pipe_input_gives_one_clear_line(name, text, words, write_case, capsys):
    path = write_case(text)
    assert main(["run", str(path), "-o", str(path.with_suffix(".h5")), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


def test_a_pipe_driven_supercritical_stops_with_a_diagnosis(write_case, capsys):
    """A pipe that would have to run above the critical point: exit 2 naming the pipe and range."""
    text = pipe_case('power = "60 W"', 'power = "2000 W"').replace('"10000 W/m/K"', '"1e5 W/m/K"')
    text = text.replace('size = ["0.2 m", "0.5 m"]', 'size = ["0.2 m", "0.1 m"]').replace('"500 mm"]]', '"100 mm"]]')
    path = write_case(text)
    code = main(["run", str(path), "-o", str(path.with_suffix(".h5")), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "heat pipe 'hp'" in err and "critical point" in err


def test_transient_with_a_pipe_streams_its_series(tmp_path):
    text = pipe_case('mode = "steady"', 'mode = "transient"') + (
        '\n[transient]\ntime_step = "10 s"\nend_time = "1800 s"\nscheme = "bdf2"\ntolerance = "0.05 K"\n'
        'output_interval = "300 s"\n')
    result = solve(parse_case(text), output=tmp_path / "t.h5")
    hp = result.heat_pipes["hp"]
    steady = solve(parse_case(pipe_case())).heat_pipes["hp"]["t_vapour"][-1]
    # from 300 K the sheet cools towards its steady state, monotonically, and gets close in 30 min
    assert len(hp["t_vapour"]) == len(result.times_s) and np.all(np.diff(hp["t_vapour"]) < 0)
    assert 0.0 < hp["t_vapour"][-1] - steady < 0.5
    scale = np.abs(result.energy["generated"]) + np.abs(result.energy["stored"])
    assert np.all(np.abs(result.energy["balance_error"]) <= 1e-9 * scale)
    with h5py.File(tmp_path / "t.h5") as f:
        assert f["heat_pipes/hp/T_vapour"].shape == (len(result.times_s),)
        names = [n.decode() if isinstance(n, bytes) else n for n in f["nodes/names"][:]]
        assert "hp.vapour" in names


def test_custom_wick_takes_vendor_values():
    """Vendor wick data pass straight through; the capillary head is 2 sigma / r_eff with them, and
    vapour losses only lower the liquid-only limit."""
    text = pipe_case('wick = { type = "grooves", count = 12, width = "0.5 mm", depth = "0.8 mm" }',
                     'wick = { type = "custom", pore_radius = "31 um", permeability = "1e-9 m2", area = "4 mm2", '
                     'thickness = "0.5 mm", effective_conductivity = "5 W/m/K" }')
    pipe = parse_case(text).heat_pipes[0]
    w = heatpipes.wick_properties(pipe, 0.5, 167.0)
    assert (w.r_eff_m, w.permeability_m2, w.area_m2, w.k_eff_w_mk, w.surface_pore_m) == (31e-6, 1e-9, 4e-6, 5.0, 31e-6)
    sat = saturation("ammonia", 300.0)
    full = heatpipes.transport_limits(pipe, sat, 167.0)["capillary"]
    liquid_only = heatpipes.capillary_limit_w(sat.sigma_n_m, sat.rho_l, sat.mu_l, sat.h_fg_j_kg, 31e-6, 1e-9, 4e-6,
                                              pipe.effective_length_m)
    assert 0.0 < full < liquid_only


@pytest.mark.jit_speed
def test_transient_overload_dries_the_pipe_and_it_rewets_when_the_load_falls(tmp_path):
    """60 W (the pipe at ~45 % of its limit), then 150 W for an hour (more than it can carry), then
    60 W again.  In the overload the pipe dries back until it carries its limit (to 1 %); when the
    load falls it re-wets and the plate returns to the state it had before."""
    text = pipe_case('power = "60 W"', 'power = "150 W"\nschedule = "ramp"').replace(
        'mode = "steady"', 'mode = "transient"') + (
        '\n[schedules.ramp]\nkind = "table"\ntime = ["0 s", "1 h", "2 h"]\nscale = [0.4, 1.0, 0.4]\n'
        '\n[transient]\ntime_step = "10 s"\nend_time = "4 h"\nscheme = "bdf2"\ntolerance = "0.05 K"\n'
        'output_interval = "600 s"\n')
    out = tmp_path / "ramp.h5"
    result = solve(parse_case(text), output=out)
    hp = result.heat_pipes["hp"]
    t = result.times_s
    first = (t > 0) & (t < 3600)
    overload = (t >= 4800) & (t <= 7200)  # settled into the overload
    assert np.all(hp["wetted_series"][first] == 1.0) and np.all(hp["utilisation"][first] < 0.5)
    assert np.all(hp["wetted_series"][overload] < 1e-3)
    np.testing.assert_allclose(hp["utilisation"][overload], 1.0, atol=0.011)
    assert hp["wetted_series"][-1] == 1.0 and not hp["dried"]
    before = hp["utilisation"][t == 3000.0][0]
    assert hp["utilisation"][-1] == pytest.approx(before, abs=2e-3)  # back where it was
    scale = np.abs(result.energy["generated"]) + np.abs(result.energy["stored"])
    assert np.all(np.abs(result.energy["balance_error"]) <= 1e-9 * scale)
    with h5py.File(out) as f:
        np.testing.assert_array_equal(f["heat_pipes/hp/wetted"][:], hp["wetted_series"])
        assert f["heat_pipes/hp/wetted"].attrs["units"] == "1"
