"""Malformed case files: each gives one line naming file, key, value and what is allowed; status 2."""
import subprocess
import sys

import pytest

from thermal.cli import main

from .conftest import MINIMAL_CASE

ORBIT = '\n[orbit]\naltitude = "550 km"\nbeta = "30 deg"\nattitude = "nadir"\n'


def edit(old, new):
    assert old in MINIMAL_CASE, old
    return MINIMAL_CASE.replace(old, new, 1)


BAD = [
    # (id, case text, words that must appear in the message)
    ("not_toml", "[case\nname = 1", ["not valid TOML"]),
    ("no_case_table", MINIMAL_CASE.replace('[case]\nname = "minimal"\n', ""), ["case", "required"]),
    ("no_name", edit('name = "minimal"', 'mode = "steady"'), ["case.name", "required"]),
    ("bad_mode", edit('name = "minimal"', 'name = "minimal"\nmode = "stedy"'), ["case.mode", "'steady'"]),
    ("unknown_top_key", MINIMAL_CASE + '\n[sun]\nflux = 1\n', ["sun", "unknown key"]),
    ("unknown_panel_key", edit('cells = [4, 2]', 'cells = [4, 2]\nsise = 3'), ["panels.plate.sise", "unknown key"]),
    ("negative_size", edit('size = ["1 m", "0.5 m"]', 'size = ["-1 m", "0.5 m"]'), ["panels.plate.size", "> 0"]),
    ("size_wrong_dimension", edit('size = ["1 m", "0.5 m"]', 'size = ["1 kg", "0.5 m"]'), ["panels.plate.size", "kg"]),
    ("size_unknown_unit", edit('size = ["1 m", "0.5 m"]', 'size = ["1 furlongz", "0.5 m"]'), ["unknown unit"]),
    ("size_one_value", edit('size = ["1 m", "0.5 m"]', 'size = "1 m"'), ["panels.plate.size", "two"]),
    ("zero_cells", edit('cells = [4, 2]', 'cells = [0, 2]'), ["panels.plate.cells", ">= 1"]),
    ("fractional_cells", edit('cells = [4, 2]', 'cells = [4.5, 2]'), ["panels.plate.cells", "whole"]),
    ("negative_thickness", edit('thickness = "2 mm"', 'thickness = "-2 mm"'), ["layers[0].thickness", "> 0"]),
    ("thickness_boolean", edit('thickness = "2 mm"', 'thickness = true'), ["layers[0].thickness", "boolean"]),
    ("zero_layer_cells", edit('thickness = "2 mm"', 'thickness = "2 mm"\ncells = 0'), ["layers[0].cells", ">= 1"]),
    ("unknown_material", edit('material = "al6061"', 'material = "unobtainium"'), ["material", "unobtainium", "known:"]),
    ("emissivity_above_one", MINIMAL_CASE + '\n[coatings.shiny]\nalpha = 0.2\neps = 1.3\n',
     ["coatings.shiny.eps", "between 0 and 1"]),
    ("negative_absorptance", MINIMAL_CASE + '\n[coatings.odd]\nalpha = -0.1\neps = 0.8\n', ["coatings.odd.alpha"]),
    ("coating_without_eps", MINIMAL_CASE + '\n[coatings.half]\nalpha = 0.3\n', ["coatings.half.eps", "needs"]),
    ("unknown_coating", edit('coating = "white_paint"', 'coating = "pink_paint"'), ["faces.top.coating", "known:"]),
    ("unknown_face", edit('[panels.plate.faces.top]', '[panels.plate.faces.left]'), ["faces.left", "unknown key"]),
    ("footprint_outside", edit('center = ["0.5 m", "0.25 m"]', 'center = ["0.98 m", "0.25 m"]'),
     ["footprints.chip.center", "outside the panel"]),
    ("negative_power", edit('power = "100 W"', 'power = "-100 W"'), ["footprints.chip.power", ">= 0"]),
    ("power_in_wrong_unit", edit('power = "100 W"', 'power = "100 K"'), ["footprints.chip.power", "W"]),
    ("footprint_unknown_layer", edit('power = "100 W"', 'power = "100 W"\nlayer = "die"'), ["footprints.chip.layer", "die"]),
    ("layer_on_unknown_footprint", edit('thickness = "2 mm"', 'thickness = "2 mm"\non = ["gpu"]'), ["layers[0].on", "gpu"]),
    ("negative_sink", MINIMAL_CASE + '\n[environment]\nt_sink = "-5 K"\n', ["environment.t_sink", ">= 0"]),
    ("sink_wrong_dimension", MINIMAL_CASE + '\n[environment]\nt_sink = "3 m"\n', ["environment.t_sink", "K"]),
    ("initial_below_absolute_zero", MINIMAL_CASE + '\n[solver]\ninitial_temperature = "-300 degC"\n',
     ["solver.initial_temperature", "> -273.15 degC"]),
    ("unknown_linear_solver", MINIMAL_CASE + '\n[solver]\nlinear_solver = "magic"\n', ["linear_solver", "'amg'"]),
    ("contact_unknown_node", MINIMAL_CASE + '\n[[contacts]]\nbetween = ["battery", "plate.bottom"]\n',
     ["contacts[0].between", "battery"]),
    ("contact_bad_region", MINIMAL_CASE + '\n[nodes.box]\ncapacitance = "10 J/K"\n[[contacts]]\n'
     'between = ["box", "plate.side"]\n', ["contacts[0].between", "plate.side", "REGION"]),
    ("contact_nodes_without_conductance", MINIMAL_CASE + '\n[nodes.a]\ncapacitance = "1 J/K"\n[nodes.b]\n'
     'capacitance = "1 J/K"\n[[contacts]]\nbetween = ["a", "b"]\n', ["contacts[0].conductance", "needs"]),
    ("material_without_k", MINIMAL_CASE + '\n[materials.foam]\nrho = 30\ncp = 1000\n', ["materials.foam.k", "needs"]),
    ("k_table_duplicate_t", MINIMAL_CASE + '\n[materials.al6061]\nk = [["300 K", "160 W/m/K"], ["300 K", "170 W/m/K"]]\n',
     ["materials.al6061.k", "distinct"]),
    ("transient_without_table", edit('name = "minimal"', 'name = "minimal"\nmode = "transient"'),
     ["transient", "needs a [transient] table"]),
    ("zero_time_step", edit('name = "minimal"', 'name = "minimal"\nmode = "transient"')
     + '\n[transient]\ntime_step = "0 s"\nend_time = "1 h"\n', ["transient.time_step", "> 0"]),
    ("end_before_first_step", edit('name = "minimal"', 'name = "minimal"\nmode = "transient"')
     + '\n[transient]\ntime_step = "10 min"\nend_time = "1 min"\n', ["transient.end_time", "at least one"]),
    ("grading_too_steep", edit('cells = [4, 2]', 'cells = [4, 2]\ngrading = [5, 1]'), ["panels.plate.grading", "between 1 and 2"]),
    ("no_layers", MINIMAL_CASE.split("[[panels.plate.layers]]")[0], ["panels.plate.layers", "at least one"]),
    ("no_panels_or_nodes", '[case]\nname = "empty"\n', ["panels", "at least one"]),
    # orbits
    ("orbit_inside_the_earth", MINIMAL_CASE + ORBIT.replace('"550 km"', '"-100 km"'), ["orbit.altitude", "atmosphere"]),
    ("orbit_in_the_atmosphere", MINIMAL_CASE + ORBIT.replace('"550 km"', '"90 km"'), ["orbit.altitude", "160 km"]),
    ("beta_out_of_range", MINIMAL_CASE + ORBIT.replace('"30 deg"', '"95 deg"'), ["orbit.beta", "-90 deg and 90 deg"]),
    ("attitude_missing", MINIMAL_CASE + ORBIT.replace('attitude = "nadir"\n', ""), ["orbit.attitude", "required"]),
    ("attitude_unknown", MINIMAL_CASE + ORBIT.replace('"nadir"', '"tumbling"'), ["orbit.attitude", "'edge_on'"]),
    ("plane_without_date", MINIMAL_CASE + ORBIT.replace('beta = "30 deg"', 'inclination = "53 deg"\nraan = "0 deg"'),
     ["orbit.date", "needs a date"]),
    ("inertial_without_pointing", MINIMAL_CASE + ORBIT.replace('"nadir"', '"inertial"'),
     ["orbit.pointing", "needs the direction body +z"]),
    ("pointing_for_nadir", MINIMAL_CASE + ORBIT + 'pointing = "sun"\n', ["orbit.pointing", "only for attitude"]),
    ("pointing_zero_vector", MINIMAL_CASE + ORBIT.replace('"nadir"', '"inertial"') + 'pointing = [0, 0, 0]\n',
     ["orbit.pointing", "not all zero"]),
    ("pointing_unknown_name", MINIMAL_CASE + ORBIT.replace('"nadir"', '"inertial"') + 'pointing = "moon"\n',
     ["orbit.pointing", "'anti_sun'"]),
    ("align_parallel_to_pointing", MINIMAL_CASE + ORBIT.replace('"nadir"', '"inertial"')
     + 'pointing = "orbit_normal"\nalign = [0, 0, -2]\n', ["orbit.align", "must not be parallel"]),
    ("beta_and_inclination", MINIMAL_CASE + ORBIT + 'inclination = "53 deg"\n', ["orbit.inclination", "either beta"]),
    ("face_without_normal", MINIMAL_CASE.replace('coating = "white_paint"\n', 'coating = "white_paint"\n', 1)
     + ORBIT.replace("\n[orbit]", "\n[orbit]"), ["faces.top.normal", "outward normal"]),
    ("flux_with_orbit", MINIMAL_CASE.replace('coating = "white_paint"', 'coating = "white_paint"\nnormal = "-z"\n'
                                             'solar_flux = "1361 W/m2"') + ORBIT, ["faces.top.solar_flux", "from the orbit"]),
    ("output_times_and_output_every", edit('name = "minimal"', 'name = "minimal"\nmode = "transient"')
     + '\n[transient]\ntime_step = "10 s"\nend_time = "1 h"\noutput_every = 2\noutput_times = ["1 min"]\n',
     ["transient.output_times", "not both"]),
    ("output_times_decreasing", edit('name = "minimal"', 'name = "minimal"\nmode = "transient"')
     + '\n[transient]\ntime_step = "10 s"\nend_time = "1 h"\noutput_times = ["10 min", "1 min"]\n',
     ["transient.output_times", "increase"]),
    ("output_time_after_the_end", edit('name = "minimal"', 'name = "minimal"\nmode = "transient"')
     + '\n[transient]\ntime_step = "10 s"\nend_time = "1 h"\noutput_times = ["2 h"]\n',
     ["transient.output_times", "at most end_time"]),
    ("output_times_not_a_list", edit('name = "minimal"', 'name = "minimal"\nmode = "transient"')
     + '\n[transient]\ntime_step = "10 s"\nend_time = "1 h"\noutput_times = "1 min"\n',
     ["transient.output_times", "a list of times"]),
    ("tolerance_with_fixed_scheme", edit('name = "minimal"', 'name = "minimal"\nmode = "transient"')
     + '\n[transient]\ntime_step = "10 s"\nend_time = "1 h"\ntolerance = "0.1 K"\n', ["transient.tolerance", "adaptive"]),
    ("unknown_scheme", edit('name = "minimal"', 'name = "minimal"\nmode = "transient"')
     + '\n[transient]\ntime_step = "10 s"\nend_time = "1 h"\nscheme = "rk4"\n', ["transient.scheme", "'bdf2'"]),
    ("periodic_without_orbit", edit('name = "minimal"', 'name = "minimal"\nmode = "periodic"'),
     ["case.mode", "needs an [orbit]"]),
    ("periodic_table_in_steady_mode", MINIMAL_CASE + '\n[periodic]\ntolerance = "1 mK"\n', ["periodic", "mode = 'periodic'"]),
    ("schedule_unknown", edit('power = "100 W"', 'power = "100 W"\nschedule = "night"'),
     ["footprints.chip.schedule", "night"]),
    ("eclipse_schedule_without_orbit", MINIMAL_CASE + '\n[schedules.b]\nkind = "eclipse"\nscale = 0.3\n',
     ["schedules.b.kind", "needs an [orbit]"]),
    ("schedule_not_from_zero", MINIMAL_CASE + '\n[schedules.t]\nkind = "table"\ntime = ["5 min", "10 min"]\n'
     'scale = [1, 0.5]\n', ["schedules.t.time", "start at 0"]),
    ("schedule_beyond_the_orbit", MINIMAL_CASE.replace('coating = "white_paint"', 'coating = "white_paint"\nnormal = "-z"')
     + ORBIT + '\n[schedules.t]\nkind = "table"\ntime = ["0 min", "100 min"]\nscale = [1, 0.5]\n',
     ["schedules.t.time", "within one orbit"]),
    ("schedule_length_mismatch", MINIMAL_CASE + '\n[schedules.t]\nkind = "table"\ntime = ["0 min", "10 min"]\n'
     'scale = [1]\n', ["schedules.t.scale", "2 factors"]),
    ("junction_limit_wrong_unit", edit('power = "100 W"', 'power = "100 W"\njunction_limit = "85 kg"'),
     ["footprints.chip.junction_limit", "K"]),
    ("hot_spot_outside_the_chip", edit('power = "100 W"', 'power = "100 W"\nhot_spots = [{center = ["0.6 m", '
                                        '"0.25 m"], size = ["20 mm", "20 mm"], fraction = 0.2}]'),
     ["hot_spots[0].center", "inside its footprint"]),
    ("hot_spot_fractions_over_one", edit('power = "100 W"', 'power = "100 W"\nhot_spots = [{center = ["0.5 m", '
                                          '"0.25 m"], size = ["20 mm", "20 mm"], fraction = 0.7}, {center = '
                                          '["0.47 m", "0.22 m"], size = ["5 mm", "5 mm"], fraction = 0.6}]'),
     ["hot_spots", "more than 1"]),
    ("normal_without_orbit", MINIMAL_CASE.replace('coating = "white_paint"', 'coating = "white_paint"\nnormal = "+q"'),
     ["faces.top.normal", "body axis"]),
]


@pytest.mark.parametrize("name, text, words", BAD, ids=[b[0] for b in BAD])
def test_malformed_case_gives_one_clear_line(name, text, words, write_case, capsys):
    path = write_case(text, f"{name}.toml")
    status = main(["run", str(path), "-o", str(path.with_suffix(".h5"))])
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("thermal: error: ")
    assert str(path) in lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert not path.with_suffix(".h5").exists()


def test_missing_file(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml: file not found" in capsys.readouterr().err


def test_console_script_prints_no_traceback(write_case):
    path = write_case(MINIMAL_CASE.replace('thickness = "2 mm"', 'thickness = "2 parsecs per fortnight"'))
    proc = subprocess.run([sys.executable, "-m", "thermal.cli", "run", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "layers[0].thickness" in proc.stderr


def test_at_least_25_malformed_cases_are_covered():
    assert len(BAD) >= 25
