"""Input sanity for a user who types: a misspelt key is named as a typo with what it was meant to be,
range errors speak the user's unit, pint's own words never reach the user, and legal but implausible
inputs (a panel 8 furlongs long, no face that emits, a sink below the cosmic background) run with a
warning that names the key."""
import re

import pytest

from thermal.cli import main
from thermal.input.case_file import load_case
from thermal.input.plausibility import plausibility_warnings

from .conftest import CASES

ECLIPSE = (CASES / "leo_53deg_eclipse.toml").read_text()


def _error(tmp_path, capsys, text):
    path = tmp_path / "case.toml"
    path.write_text(text)
    assert main(["run", str(path), "-o", str(tmp_path / "out.h5"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err and str(path) in err
    return err


@pytest.mark.parametrize("old, new, words", [
    # a required key misspelt: the typo is named, not "thickness missing"
    ('thickness = "3 mm"', 'thicknes = "3 mm"', ["thicknes = '3 mm'", "did you mean 'thickness'"]),
    ('altitude = "550 km"', 'altitud = "550 km"', ["orbit.altitud", "did you mean 'altitude'"]),
    # an optional key misspelt: unknown, with the suggestion and the keys allowed there
    ("footprint_cells = 4", "footprint_cell = 4", ["did you mean 'footprint_cells'", "allowed here"]),
    # a bound in the user's unit: degrees in, degrees out (was "must be <= 1.5708 rad")
    ('inclination = "53 deg"\nraan = "0 deg"\ndate = 2026-06-21T12:00:00Z', 'beta = "120 deg"',
     ["orbit.beta = '120 deg'", "must be <= 90 deg"]),
    ('time_step = "30 s"', 'time_step = "-2 min"', ["time_step", "min"]),
    # pint's internal message ("unsupported operand type(s) for -: 'ParserHelper' and 'int'") kept out
    ('power = "200 W"', 'power = "200 W m-2"', ["cannot read the unit 'W m-2'", "'*', '/'"]),
])
def test_typos_and_units_are_named_in_the_users_terms(tmp_path, capsys, old, new, words):
    assert old in ECLIPSE
    err = _error(tmp_path, capsys, ECLIPSE.replace(old, new, 1))
    for w in words:
        assert w in err, err
    assert "ParserHelper" not in err and not re.search(r"\d rad\b", err)  # no SI unit the user did not write


@pytest.mark.parametrize("old, new, words", [
    ('size = ["1 m", "1 m"]', 'size = ["8 furlongs", "1 m"]', ["panels.radiator.size", "1609 m"]),
    ('[solver]', '[environment]\nt_sink = "-272 degC"\n\n[solver]', ["environment.t_sink", "1.15 K"]),
    ('power = "200 W"', 'power = "200 kW"', ["footprints.chip.power", "W/cm2"]),
    ('initial_temperature = "20 degC"', 'initial_temperature = 20', ["solver.initial_temperature", "20 K"]),
])
def test_implausible_inputs_run_with_a_warning_naming_the_key(tmp_path, old, new, words):
    assert old in ECLIPSE
    path = tmp_path / "case.toml"
    path.write_text(ECLIPSE.replace(old, new, 1))
    warnings = plausibility_warnings(load_case(path))
    assert len(warnings) == 1 and all(w in warnings[0] for w in words), warnings


def test_no_face_that_emits_is_a_warning_and_bundled_cases_have_none(tmp_path, capsys):
    for case in sorted(CASES.glob("*.toml")):
        assert plausibility_warnings(load_case(case)) == [], case.name
    text = ECLIPSE + '\n[coatings.bare_black_hole]\nalpha = 0.1\neps = 0.0\n'
    text = text.replace('coating = "white_paint"', 'coating = "bare_black_hole"').replace(
        'coating = "black_paint"', 'coating = "bare_black_hole"')
    path = tmp_path / "case.toml"
    path.write_text(text)
    case = load_case(path)
    if any(case.coatings[f.coating].eps > 0 for p in case.panels for f in p.faces.values()):
        pytest.skip("the bundled case changed its coatings")
    assert any("emittance 0" in w for w in plausibility_warnings(case))
