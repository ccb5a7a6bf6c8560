"""`thermal size`: the field-verified answer meets its target, the cold-case heater does its job,
the closed-form cross-check the README works by hand, and impossible requests say why."""
import math

import numpy as np
import pytest

from thermal.apps.sizing.estimate import (
    DesignEnvironment,
    hand_check_net_flux,
    isothermal_panel_net_w_m2,
    orbit_average_fluxes,
)
from thermal.apps.sizing.input import Env, load_sizing
from thermal.apps.sizing.report import summary_text
from thermal.apps.sizing.size import size
from thermal.apps.solve import solve
from thermal.cli import main
from thermal.input.case_file import parse_case
from thermal.model.case import Orbit

from .conftest import CASES

# small and fast: two 200 W chips, a fixed beta above the critical angle (no eclipse, steady only)
SIZING = """
[sizing]
name = "small"
compute_power = "400 W"
chip_power = "200 W"
junction_limit = "85 degC"
junction_margin = "5 K"
idle_fraction = 0.2
min_temperature = "-10 degC"

[orbit]
altitude = "650 km"
beta = "80 deg"
attitude = "edge_on"

[radiator]
coating = "white_paint"
alpha_eol = 0.30
eps_eol = 0.88
sides = 2
normal = "+y"
facesheet = "al6061"
facesheet_thickness = "0.5 mm"
core = "al_honeycomb"
core_thickness = "10 mm"
pipe_pitch = "100 mm"

[chip]
die_size = ["20 mm", "20 mm"]
cold_plate = "copper"
cold_plate_thickness = "8 mm"
cold_plate_size = ["60 mm", "60 mm"]

[heat_pipes]
per_chip = 3
fluid = "ammonia"
outer_diameter = "12.7 mm"
vapour_diameter = "8.5 mm"
wick = { type = "grooves", count = 20, width = "0.6 mm", depth = "1.0 mm" }
adiabatic_length = "0.2 m"
"""


def write(tmp_path, text=SIZING):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


@pytest.fixture(scope="module")
def sized(tmp_path_factory):
    path = write(tmp_path_factory.mktemp("sizing"))
    return size(load_sizing(path))


def test_hot_case_meets_the_target_and_the_unit_case_reproduces_it(sized, tmp_path):
    s = sized.spec
    assert abs(sized.hot.tj_k - s.target_k) <= 0.02
    assert sized.area_m2 == pytest.approx(s.chips * s.pipes_per_chip * s.pipe_pitch_m * sized.length_m, rel=1e-14)
    m = sized.mass_kg
    assert m["total"] == pytest.approx(m["panel"] + m["heat_pipes"] + m["cold_plates"], rel=1e-14)
    # the panel's mass is its area times two facesheets and the core
    assert m["panel"] == pytest.approx(sized.area_m2 * (2 * 0.5e-3 * 2700 + 10e-3 * 49.7), rel=0.01)
    # the written repeating unit is an ordinary case: solving it again gives the same junction
    again = solve(parse_case(sized.hot.text, "<unit>"))
    assert again.chips["coldplate.chip"]["t_max"][-1] == pytest.approx(sized.hot.tj_k, abs=1e-9)
    # every hot-case solve brackets the answer: a longer radiator is never hotter
    ev = sorted(sized.evaluations)
    assert all(b[1] <= a[1] + 1e-9 for a, b in zip(ev, ev[1:]))
    # energy: what the chip makes leaves the radiator (steady), to round-off
    e = again.energy
    assert abs(e["balance_error"][-1]) <= 1e-10 * e["radiated"][-1]


def test_cold_case_heater_holds_the_minimum(sized):
    s = sized.spec
    assert sized.heater_w_per_chip > 0
    assert abs(sized.cold_min_k - s.min_temperature_k) <= 0.05
    cold = sized.cold.result
    assert np.nanmin(cold.fields["coldplate"]) >= s.min_temperature_k - 0.05
    # generated power in the cold case = idle compute + heater
    assert cold.energy["generated"][-1] == pytest.approx(s.chip_power_w * s.idle_fraction + sized.heater_w_per_chip,
                                                         rel=1e-12)


def test_estimate_and_field_are_reported_side_by_side(sized, tmp_path, capsys):
    from thermal.apps.sizing.report import summary_text, write_outputs

    text = summary_text(sized)
    assert "first estimate" in text and "field-verified" in text and "why they differ" in text
    files = write_outputs(sized, tmp_path, trades=False)
    names = {p.name for p in files}
    assert {"small.h5", "small.md", "small_cold.h5", "hot_unit.png"} <= names
    import h5py

    with h5py.File(tmp_path / "small.h5") as f:
        assert f["sizing"].attrs["area_m2"] == pytest.approx(sized.area_m2)
        assert "fields/radiator/T" in f and "heat_pipes/hp1/Q" in f


def test_hand_calculation_of_the_readme():
    """Two-sided isothermal panel at 20 degC, eps 0.92, alpha 0.09, edge-on at 550 km on a terminator
    orbit (beta 90 deg): emitted 2 eps sigma T^4, Earth IR eps 237 F on each face, no albedo."""
    f, net_hand = hand_check_net_flux(293.15, 0.92, 0.09, 550e3, 237.0)
    assert f == pytest.approx(0.2579, abs=5e-5)  # the README's rounded view factor
    assert net_hand == pytest.approx(658.07, abs=0.005)  # the README's hand result
    orbit = Orbit(altitude_m=550e3, beta_rad=math.radians(90.0), attitude="edge_on")
    normals = np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]])
    qs, qi, ecl = orbit_average_fluxes(orbit, Env(1361.0, 0.30, 237.0), math.radians(90.0), normals)
    env = DesignEnvironment("hot", math.radians(90.0), qs, qi, ecl, 0.09, 0.92)
    assert ecl == 0.0 and np.all(qs < 1e-9)
    assert isothermal_panel_net_w_m2(293.15, env) == pytest.approx(net_hand, rel=1e-12)


BAD = [
    ("limit_below_sink", ('junction_limit = "85 degC"', 'junction_limit = "2 K"'), ["sizing.junction_limit"]),
    ("zero_power", ('compute_power = "400 W"', 'compute_power = "0 W"'), ["sizing.compute_power", "> 0"]),
    ("negative_chip_power", ('chip_power = "200 W"', 'chip_power = "-200 W"'), ["sizing.chip_power", "> 0"]),
    ("chip_bigger_than_total", ('chip_power = "200 W"', 'chip_power = "2 kW"'), ["sizing.chip_power", "larger"]),
    ("unknown_coating", ('coating = "white_paint"', 'coating = "gold_foil"'), ["radiator.coating", "known"]),
    ("die_bigger_than_plate", ('die_size = ["20 mm", "20 mm"]', 'die_size = ["80 mm", "20 mm"]'),
     ["chip.die_size", "fit"]),
    ("eol_better_than_bol", ('alpha_eol = 0.30', 'alpha_eol = 0.05'), ["radiator.alpha_eol", "degrades"]),
    # the junction cannot be met at any area: the stack alone needs more than the room to the sink
    ("stack_exceeds_limit", ('junction_limit = "85 degC"', 'junction_limit = "-75 degC"'),
     ["cannot be met at any radiator area", "chip stack and heat pipes alone"]),
    # one thin pipe per chip cannot carry 200 W
    ("pipes_cannot_carry", ('wick = { type = "grooves", count = 20, width = "0.6 mm", depth = "1.0 mm" }',
      'wick = { type = "grooves", count = 8, width = "0.2 mm", depth = "0.3 mm" }'),
     ["heat pipes cannot carry", "pipes per chip"]),
]


@pytest.mark.parametrize("name,edit,words", BAD, ids=[b[0] for b in BAD])
def test_bad_sizing_requests_say_why(tmp_path, capsys, name, edit, words):
    assert edit[0] in SIZING, edit[0]
    path = write(tmp_path, SIZING.replace(edit[0], edit[1]))
    assert main(["size", str(path), "-o", str(tmp_path / "o"), "-q", "--no-trades"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


def test_every_bundled_sizing_and_sweep_file_loads():
    from pathlib import Path

    from thermal.apps.sweep.spec import expand, load_sweep

    root = Path(__file__).resolve().parents[1] / "cases"
    sizings = sorted((root / "sizing").glob("*.toml"))
    assert len(sizings) >= 4
    for p in sizings:
        spec = load_sizing(p)
        assert spec.chips >= 1 and spec.target_k > 3.0
    for p in sorted((root / "sweeps").glob("*.toml")):
        assert len(expand(load_sweep(p))) >= 2


def test_inertial_attitude_vectors_reach_the_unit_case(tmp_path):
    """A radiator held inertially (body +z on the orbit normal, so a +z-facing radiator never sees
    the Sun at beta 0) keeps its pointing in the generated repeating-unit case."""
    from thermal.apps.sizing.estimate import design_environment
    from thermal.apps.sizing.unit_case import unit_case_text

    text = SIZING.replace('beta = "80 deg"', 'beta = "0 deg"').replace(
        'attitude = "edge_on"', 'attitude = "inertial"\npointing = "orbit_normal"\nalign = [1, 0, 0]').replace(
        'normal = "+y"', 'normal = "+z"')
    spec = load_sizing(write(tmp_path, text))
    assert spec.orbit.pointing == "orbit_normal" and spec.orbit.align == (1.0, 0.0, 0.0)
    env = design_environment(spec, "hot")
    # both faces stay perpendicular to the Earth direction all orbit: IR = q_ir F_perp exactly
    from thermal.physics.orbit import R_EARTH_M, view_factor_to_sphere

    f_perp = view_factor_to_sphere(0.0, (R_EARTH_M + 650e3) / R_EARTH_M)
    np.testing.assert_allclose(env.q_ir_w_m2, spec.hot.earth_ir_w_m2 * f_perp, rtol=1e-12)
    case = parse_case(unit_case_text(spec, env, 1.0, spec.chip_power_w), "unit.toml")
    assert case.orbit.attitude == "inertial" and case.orbit.pointing == "orbit_normal"
    assert case.orbit.align == (1.0, 0.0, 0.0)


def test_auto_pitch_is_the_least_estimated_mass_and_the_field_meets_the_target(tmp_path, capsys):
    """pipe_pitch = "auto": the estimate's mass is smallest at the chosen pitch (checked against its
    neighbours 5 % either side), and the field-verified design at that pitch meets its target."""
    from dataclasses import replace

    from thermal.apps.sizing.estimate import estimate

    text = SIZING.replace('pipe_pitch = "100 mm"', 'pipe_pitch = "auto"\npipe_pitch_range = ["30 mm", "300 mm"]')
    spec = load_sizing(write(tmp_path, text))
    assert spec.pitch_range_m == pytest.approx((0.03, 0.3))
    res = size(spec)
    chosen = res.spec.pipe_pitch_m
    assert 0.03 < chosen < 0.3 and res.pitch_scan and len(res.pitch_scan) == 32
    env, p = res.hot_env, spec.chip_power_w * spec.hot_power_factor

    def mass(pitch):
        v = replace(res.spec, pipe_pitch_m=pitch)
        return estimate(v, v.materials, env, v.target_k, p).mass_kg["total"]

    m0 = mass(chosen)
    assert m0 <= mass(chosen * 0.95) and m0 <= mass(chosen * 1.05)
    assert m0 <= min(m for _, m, _ in res.pitch_scan) + 1e-9
    assert abs(res.tj_k - spec.target_k) <= 0.02 + 1e-9
    assert res.area_m2 == pytest.approx(spec.chips * spec.pipes_per_chip * chosen * res.length_m, rel=1e-12)
    assert main(["size", str(write(tmp_path, text)), "-o", str(tmp_path / "o"), "-q", "--no-trades"]) == 0
    assert "pipe pitch" in capsys.readouterr().out
    import h5py

    with h5py.File(tmp_path / "o" / "small.h5") as f:
        g = f["sizing"]
        assert g.attrs["pipe_pitch_m"] == chosen and bool(g.attrs["pipe_pitch_auto"])  # deterministic: same pitch
        assert g["pitch_scan"].shape == (32, 3) and g["pitch_scan"].attrs["units"] == "m, kg, m2"


def test_bad_pitch_range_says_why(tmp_path, capsys):
    for old, new, words in (('pipe_pitch = "100 mm"', 'pipe_pitch = "auto"\npipe_pitch_range = ["5 mm", "300 mm"]',
                             ["radiator.pipe_pitch_range", "pipe diameter"]),
                            ('pipe_pitch = "100 mm"', 'pipe_pitch = "100 mm"\npipe_pitch_range = ["30 mm", "300 mm"]',
                             ["radiator.pipe_pitch_range", "only with"])):
        path = write(tmp_path, SIZING.replace(old, new))
        assert main(["size", str(path), "-o", str(tmp_path / "o"), "-q", "--no-trades"]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and all(w in err for w in words), err


NEIGHBOURHOOD = """
[neighbourhood.wing]
root = ["0 m", "0 m", "0 m"]
x_axis = "-x"
y_axis = "+z"
aspect = 2.0
patches = [4, 2]

[neighbourhood.surfaces.array]
kind = "solar_array"
origin = ["{gap} m", "-1 m", "-1 m"]
x_axis = "+y"
y_axis = "+z"
size = ["2 m", "2 m"]
efficiency = 0.3
capacitance = "20 kJ/K"
front = {{ coating = "solar_cell" }}
back = {{ coating = "black_paint" }}
"""


def test_neighbourhood_penalty_restores_the_isolated_temperature(sized):
    """An array beside the wing: the wing runs hotter; the area factor found brings it back to the
    temperature it has alone; the same array far away costs nothing."""
    from thermal.apps.sizing.input import parse_sizing
    from thermal.apps.sizing.neighbourhood import neighbourhood_penalty

    power = sized.spec.chips * sized.spec.chip_power_w * sized.spec.hot_power_factor
    near = parse_sizing(SIZING + NEIGHBOURHOOD.format(gap=0.2), "near.toml")
    nb = neighbourhood_penalty(near, sized.hot_env, sized.area_m2, power)
    assert nb["t_with_k"] > nb["t_alone_k"] + 0.5
    assert nb["area_factor"] > 1.01
    final = max(nb["curve"], key=lambda c: c[0] == nb["area_factor"])
    assert abs(final[1] - nb["t_alone_k"]) <= 0.01
    # the solved wing closes its energy balance with the array in it
    assert abs(nb["result_near"].energy["balance_error"][-1]) < 1e-9 * nb["result_near"].energy["absorbed"][-1]
    far = parse_sizing(SIZING + NEIGHBOURHOOD.format(gap=500.0), "far.toml")
    nb_far = neighbourhood_penalty(far, sized.hot_env, sized.area_m2, power)
    assert abs(nb_far["area_factor"] - 1.0) < 1e-3


def test_neighbourhood_wing_must_lie_in_the_radiator_plane(tmp_path, capsys):
    text = SIZING + NEIGHBOURHOOD.format(gap=0.2).replace('x_axis = "-x"\ny_axis = "+z"\naspect',
                                                             'x_axis = "-x"\ny_axis = "+y"\naspect')
    path = write(tmp_path, text)
    assert main(["size", str(path), "-o", str(tmp_path / "o"), "-q", "--no-trades"]) == 2
    err = capsys.readouterr().err
    assert "neighbourhood.wing.y_axis" in err and "radiator's normal" in err


LOOP_SIZING = SIZING[:SIZING.index("[heat_pipes]")] + """
[pumped_loop]
tubes_per_chip = 3
fluid = "ammonia"
tube_outer_diameter = "6.35 mm"
tube_inner_diameter = "4.6 mm"
channel_diameter = "5 mm"
coolant_rise = "10 K"
pump_efficiency = 0.3
pump_mass = "1 kg"
accumulator_mass = "0.5 kg"
header_inner_diameter = "10 mm"
transfer_length = "0.2 m"
"""


@pytest.mark.jit_speed
def test_pumped_loop_architecture_sizes_to_target(tmp_path):
    """The same small module with a pumped loop: the field-verified junction is on target, the
    masses add up from the geometry (tubes, headers, fluid at the design temperature, given pumps),
    the pump's heat is in the hot case's generated power, and in the cold case the coolant stays 10 K
    above freezing with the cold plates at the minimum; a bypass valve holding the cold-plate inlet
    at 0 degC cuts the idle module's heater power (the radiator's still colder coolant, not the
    plates, then sets what heat is left to add)."""
    from thermal.apps.sizing.estimate import bore_length_m, loop_flow_kg_s
    from thermal.apps.sizing.unit_solves import FREEZE_MARGIN_K
    from thermal.physics.coolants import liquid_table

    heaters = {}
    for valve in (False, True):
        text = LOOP_SIZING + ('bypass_set_point = "0 degC"\n' if valve else "")
        res = size(load_sizing(write(tmp_path, text)))
        s = res.spec
        assert s.architecture == "pumped_loop"
        assert abs(res.tj_k - s.target_k) <= 0.02
        hot = res.hot.result.loops["coolant"]
        assert hot["mass_flow"][-1][0] == pytest.approx(loop_flow_kg_s(s), rel=1e-12)
        power = s.chip_power_w * s.hot_power_factor
        assert res.hot.result.energy["generated"][-1] == pytest.approx(power + hot["pump_power"][-1], rel=1e-12)
        m = res.mass_kg
        rho = liquid_table("ammonia").at(s.target_k - 30.0)[0]
        tubes_m = s.chips * s.pipes_per_chip * res.length_m + s.chips * 2 * 0.2
        width = s.chips * s.pipes_per_chip * s.pipe_pitch_m
        bore = lambda d: math.pi * d * d / 4  # noqa: E731
        fluid = rho * (tubes_m * bore(4.6e-3) + 2 * width * bore(10e-3) + s.chips * bore_length_m(s) * bore(5e-3))
        assert m["loop_fluid"] == pytest.approx(fluid, rel=1e-12)
        assert m["pumps_accumulator"] == 1.5
        assert m["total"] == pytest.approx(sum(v for k, v in m.items() if k != "total"), rel=1e-12)
        cold = res.cold.result
        loop = cold.loops["coolant"]
        protected = min(float(np.nanmin(cold.fields["coldplate"])) - s.min_temperature_k,
                        float(np.min(loop["t_min"])) - loop["t_freeze_k"] - FREEZE_MARGIN_K)
        assert abs(protected) <= 0.05 or (res.heater_w_per_chip == 0.0 and protected > 0)
        if valve:
            supply = loop["manifold_names"].index("supply")
            assert loop["manifolds"][-1][supply] >= 273.15 - 0.011
        heaters[valve] = res.heater_w_per_chip
        text = summary_text(res)
        assert "headers, supply + return" in text and "worst-fed unit in the field" in text
        worst = res.worst_unit  # the unit the (same-end) headers feed least, solved at its own flow
        assert 0.0 < worst["fraction"] < 1.0 < worst["best_fraction"] and worst["layout"] == "same_end"
        starved = worst["unit"].result.loops["coolant"]["mass_flow"][-1][0]
        assert starved == pytest.approx(worst["fraction"] * loop_flow_kg_s(s), rel=1e-9)
        assert worst["tj_k"] > res.tj_k and worst["margin_k"] == pytest.approx(s.junction_limit_k - worst["tj_k"])
    assert heaters[True] < heaters[False]


BAD_LOOP = [
    ("tube_inside_out", ('tube_inner_diameter = "4.6 mm"', 'tube_inner_diameter = "7 mm"'),
     ["pumped_loop.tube_inner_diameter", "smaller"]),
    ("unknown_coolant", ('fluid = "ammonia"', 'fluid = "mercury"'), ["pumped_loop.fluid", "one of"]),
    ("no_rise", ('coolant_rise = "10 K"', 'coolant_rise = "0 K"'), ["pumped_loop.coolant_rise", "> 0"]),
    ("pump_mass_missing", ('pump_mass = "1 kg"\n', ''), ["pumped_loop.pump_mass", "required"]),
    ("both_architectures", ('[pumped_loop]', SIZING[SIZING.index("[heat_pipes]"):] + '\n[pumped_loop]'),
     ["[heat_pipes] or [pumped_loop], not both"]),
    ("glycol_without_concentration", ('fluid = "ammonia"', 'fluid = "propylene_glycol"'),
     ["pumped_loop.concentration", "required"]),
    ("starving_headers", ('header_inner_diameter = "10 mm"', 'header_inner_diameter = "0.5 mm"'),
     ["headers", "leave the farthest units with no flow", "reverse return"]),
    ("unknown_header_layout", ('header_inner_diameter = "10 mm"\n',
                               'header_inner_diameter = "10 mm"\nheader_layout = "diagonal"\n'),
     ["pumped_loop.header_layout", "diagonal", "same_end", "reverse_return"]),
]


@pytest.mark.parametrize("name,edit,words", BAD_LOOP, ids=[b[0] for b in BAD_LOOP])
def test_bad_pumped_loop_sizing_says_why(tmp_path, capsys, name, edit, words):
    assert edit[0] in LOOP_SIZING, edit[0]
    path = write(tmp_path, LOOP_SIZING.replace(edit[0], edit[1], 1))
    assert main(["size", str(path), "-o", str(tmp_path / "o"), "-q", "--no-trades"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


def test_orbit_peak_retargeting_reuses_the_first_pass_and_lands_the_peak_on_target(tmp_path):
    """With an eclipse the hot orbit's junction peaks above its orbit-average state: pass 2 aims the
    steady search lower by the overshoot, starting inside the bracket pass 1 already found (no new
    bracketing solves), and the periodic peak ends on the target."""
    from thermal.apps.sizing.size import PERIODIC_TOL_K

    text = (CASES / "sizing" / "two_chips_400w.toml").read_text().replace('beta = "80 deg"', 'beta = "20 deg"')
    res = size(load_sizing(write(tmp_path, text)))
    rounds = res.periodic_hot["rounds"]
    assert len(rounds) >= 2 and res.hot_env.eclipse_fraction > 0.3
    first_target = res.spec.target_k
    length_1, target_1, tj_1, peak_1 = rounds[0]
    assert target_1 == first_target and peak_1 > tj_1  # the eclipse swing puts the peak above the average state
    assert rounds[1][1] == pytest.approx(first_target - (peak_1 - first_target))
    pass_1 = [(l, tj) for (l, tj), t in zip(res.evaluations, res.targets) if t == first_target]
    pass_2 = [l for (l, _), t in zip(res.evaluations, res.targets) if t != first_target]
    too_hot = max(l for l, tj in pass_1 if tj > rounds[1][1])
    too_cold = min(l for l, tj in pass_1 if tj < rounds[1][1])
    assert pass_2 and all(too_hot < l < too_cold for l in pass_2)
    assert abs(res.periodic_hot["tj_max_k"] - first_target) <= PERIODIC_TOL_K


def test_a_spare_process_draws_the_same_report_as_this_one(sized, tmp_path):
    """The plot-only trade studies drawn by a spare (spawned) process: the same report text and the
    same pixels as drawn here; and a helper that died on the way is replaced by drawing here."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    import multiprocessing

    from matplotlib.image import imread

    from thermal.apps.sizing.report import write_outputs

    here, there, broken = tmp_path / "here", tmp_path / "there", tmp_path / "broken"
    write_outputs(sized, here, figures=False)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        write_outputs(sized, there, figures=False, helper=pool)

    class Died:
        def submit(self, *args):
            class Future:
                def result(self):
                    raise BrokenProcessPool("killed")
            return Future()

    write_outputs(sized, broken, figures=False, helper=Died())

    class DiedEarlier:
        def submit(self, *args):
            raise BrokenProcessPool("killed while warming up")

    earlier = tmp_path / "earlier"
    write_outputs(sized, earlier, figures=False, helper=DiedEarlier())
    drop_times = lambda p: [l for l in p.read_text().splitlines() if not l.startswith(("traceable", "wall"))]  # noqa: E731
    pngs = sorted(p.name for p in here.glob("*.png"))
    assert "trade_power.png" in pngs and "trade_pareto.png" in pngs
    for other in (there, broken, earlier):
        assert drop_times(other / "small.md") == drop_times(here / "small.md")
        assert sorted(p.name for p in other.glob("*.png")) == pngs
        for name in pngs:
            assert np.array_equal(imread(other / name), imread(here / name)), name
