"""Sizing under a margin policy: the policy's numbers reach the hot target, the cold floor, the area,
the installed heaters and the N-1 check; each margin's cost is reported; margins that leave no room
are one clear error."""
import dataclasses
import hashlib

import pytest

from thermal.apps.sizing.estimate import design_environment, estimate
from thermal.apps.sizing.input import load_sizing
from thermal.apps.sizing.report import summary_text, trade_studies
from thermal.apps.sizing.size import size
from thermal.apps.sizing.unit_solves import solve_unit
from thermal.cli import main
from thermal.input.materials import library_coatings

from .conftest import CASES
from .test_sizing import SIZING, write

SMC = SIZING.replace('min_temperature = "-10 degC"', 'min_temperature = "-10 degC"\nmargins = "smc-s-016"')


def _spec(tmp_path, text):
    return load_sizing(write(tmp_path, text))


def test_policies_set_their_margins(tmp_path):
    smc = _spec(tmp_path, SMC)
    assert smc.margins.hot_k == 11.0 and smc.margins.cold_k == 11.0
    assert smc.target_k == pytest.approx(273.15 + 85 - 5 - 11)
    assert smc.cold_floor_k == pytest.approx(273.15 - 10 + 11)
    untested = _spec(tmp_path, SMC + "\n[margins]\nthermal_balance_test = false\n")
    assert untested.margins.hot_k == 17.0
    ecss = _spec(tmp_path, SMC.replace('"smc-s-016"', '"ecss-e-st-31c"') + '\n[margins]\nuncertainty = "8 K"\n')
    assert ecss.margins.hot_k == 8.0 + 5.0 + 5.0 and ecss.margins.area == 0.0
    custom = _spec(tmp_path, SMC.replace('"smc-s-016"', '"custom"') + '\n[margins]\nhot = "3 K"\narea = 0.2\n')
    assert (custom.margins.hot_k, custom.margins.cold_k, custom.margins.area) == (3.0, 0.0, 0.2)
    plain = _spec(tmp_path, SIZING)
    assert plain.margins.name == "none" and not plain.margins.any
    assert any("margins" in d for d in plain.defaults_used)  # said, not silent


@pytest.mark.parametrize("text, words", [
    (SMC.replace('"smc-s-016"', '"custom"') + '\n[margins]\nhot = "400 K"\n', ["sizing.margins", "sink"]),
    (SMC.replace('min_temperature = "-10 degC"', 'min_temperature = "60 degC"'), ["sizing.margins", "no room"]),
    (SMC.replace('"smc-s-016"', '"nasa-lore"'), ["sizing.margins", "smc-s-016"]),
    (SIZING + '\n[margins]\nhot = "3 K"\n', ["margins.hot", "none"]),
])
def test_margins_that_leave_no_room_are_one_clear_error(tmp_path, capsys, text, words):
    assert main(["size", str(write(tmp_path, text)), "-o", str(tmp_path / "o"), "-q", "--no-trades"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


def test_sizing_under_smc_applies_and_costs_every_margin(tmp_path):
    res = size(_spec(tmp_path, SMC))
    spec = res.spec
    assert abs(res.tj_k - spec.target_k) <= 0.05  # sized to limit - junction margin - 11 K
    assert res.cold_min_k >= spec.cold_floor_k - 0.05  # the heaters hold min_temperature + 11 K
    assert res.design_area_m2 == pytest.approx(1.10 * res.area_m2)
    assert res.installed_heater_w_per_chip == pytest.approx(1.25 * res.heater_w_per_chip)
    rows = {r[0]: r for r in res.margins["rows"]}
    assert rows["hot uncertainty"][2] > 0.0 and rows["hot uncertainty"][3] > 0.0  # costs area and mass
    assert rows["radiator area"][2] == pytest.approx(0.10 * res.area_m2)
    assert rows["cold uncertainty"][4] > 0.0  # costs heater power
    assert rows["heater power"][4] == pytest.approx(0.25 * res.heater_w_per_chip * spec.chips)
    n1 = res.margins["n_minus_1"]
    assert n1["tj_k"] > res.hot.tj_k  # two pipes carry what three did
    assert n1["passed"] == (n1["utilisation"] <= 0.8 and n1["tj_k"] <= spec.junction_limit_k and not n1["dried"])
    text = summary_text(res)
    assert "smc-s-016" in text and "N-1 heat pipes" in text and "design with margins" in text


def test_cold_control_trade_compares_thermostat_vchp_and_louvers(tmp_path):
    """At the sized radiator: a gas-loaded pipe holds the floor with a fraction of the ideal heater
    (the condenser shuts as the vapour cools); louvers need no heater but more area (the hot case at
    the open emittance); the thermostat's cycle mean protects the coldest point."""
    res = size(_spec(tmp_path, SIZING.replace('min_temperature = "-10 degC"',
                                              'min_temperature = "-10 degC"\ncold_control = true')))
    rows = {r["name"].split(" (")[0]: r for r in res.control["rows"]}
    ideal, thermo, vchp, louver = (rows[k] for k in ("ideal heater", "thermostat heater", "VCHP", "louvers"))
    assert ideal["heater_w"] == pytest.approx(res.heater_w_per_chip)
    floor = res.spec.cold_floor_k
    assert vchp["heater_w"] < 0.5 * ideal["heater_w"] and vchp["coldest_k"] >= floor - 0.05
    assert louver["area_m2"] > res.area_m2 and louver["heater_w"] < ideal["heater_w"]
    assert louver["coldest_k"] >= floor - 0.05
    assert thermo["coldest_k"] >= floor - 1.0  # its set-point carries the plate's gradient (steady law)
    assert "cold control" in summary_text(res)



@pytest.mark.slow  # 110 s; the periodic thermostat itself: test_control's periodic test (3 s)
def test_cold_control_thermostat_on_an_eclipsing_orbit_switches_each_orbit(tmp_path):
    """With an eclipse in the cold case the thermostat is solved orbit-periodic: it switches at its
    thresholds every orbit, its mean power is its orbit energy over the period, and the coldest
    protected point stays at the floor within the set-point's allowance for the plate's gradient."""
    text = (CASES / "sizing" / "two_chips_400w.toml").read_text().replace('beta = "80 deg"', 'beta = "20 deg"')
    res = size(_spec(tmp_path, text.replace('min_temperature = "-10 degC"',
                                            'min_temperature = "-10 degC"\ncold_control = true')))
    assert res.cold_env.eclipse_fraction > 0.3
    thermo = next(r for r in res.control["rows"] if r["name"].startswith("thermostat heater"))
    assert "switches per orbit" in thermo["note"]
    duty = float(thermo["note"].split("duty ")[1].split(" %")[0]) / 100
    switches = int(thermo["note"].split(", ")[1].split(" switches")[0])
    assert 0.0 < duty < 1.0 and switches >= 2
    assert 0.0 < thermo["heater_w"] < res.installed_heater_w_per_chip * 1.25 + 1.0
    assert thermo["coldest_k"] >= res.spec.cold_floor_k - 1.0

def test_interface_conductances_are_inputs_and_said_when_absent(tmp_path):
    """No silent perfect contacts: their absence is echoed; a TIM contact of h at both faces of the
    TIM raises the junction by 2 P / (h A_die) (1-D through the die's footprint) at a given length."""
    base = _spec(tmp_path, SIZING)
    assert any(d.startswith("chip.tim_contact") for d in base.defaults_used)
    assert any(d.startswith("heat_pipes.saddle_conductance") for d in base.defaults_used)
    text = SIZING.replace('cold_plate = "copper"', 'cold_plate = "copper"\ntim_contact = "1e5 W/m^2/K"')
    contact = _spec(tmp_path, text)
    assert not any(d.startswith("chip.tim_contact") for d in contact.defaults_used)
    env = design_environment(base, "hot")
    rise = solve_unit(contact, env, 0.6, 200.0).tj_k - solve_unit(base, env, 0.6, 200.0).tj_k
    expected = 2 * 200.0 / (1e5 * 0.02 * 0.02)
    assert rise == pytest.approx(expected, rel=0.05)


def test_report_is_traceable_and_checks_its_mesh(tmp_path):
    """The summary names the package version, the source revision and the input's SHA-256; the hot
    unit refined once gives the area the refined mesh would need (through the length search's slope),
    and the sizing mesh is adequate for design: under 5 % of area."""
    path = write(tmp_path, SIZING)
    res = size(load_sizing(path))
    text = summary_text(res)
    assert hashlib.sha256(SIZING.encode()).hexdigest()[:16] in text and "thermal " in text
    mc = res.mesh_check
    assert mc["nodes"] > 3 * mc["nodes_base"]
    near = sorted(res.evaluations, key=lambda e: abs(e[0] - res.length_m))[:2]
    slope = (near[0][1] - near[1][1]) / (near[0][0] - near[1][0])
    assert mc["delta_area_m2"] == pytest.approx(-mc["delta_tj_k"] / slope * res.area_m2 / res.length_m)
    assert abs(mc["delta_area_m2"]) < 0.05 * res.area_m2
    assert "mesh check" in text


def test_coating_trade_uses_each_coatings_own_optics(tmp_path):
    """Each library coating at its own beginning- and end-of-life optics (the library's): no coating
    inherits another's degradation (OSR used to get white paint's)."""
    res = size(_spec(tmp_path, SIZING))
    info = trade_studies(res, tmp_path)
    line = next(l for l in info["text"].splitlines() if l.startswith("- Per coating"))
    listed = line.split("): ", 1)[1].split("; the design")[0]
    areas = {name: (float(b), float(e)) for name, b, _, e in (part.split() for part in listed.split(", "))}
    scale = res.area_m2 / res.estimate.area_m2
    p_hot = res.spec.chip_power_w * res.spec.hot_power_factor

    def area(alpha, eps):
        env = dataclasses.replace(res.hot_env, alpha=alpha, eps=eps)
        return estimate(res.spec, res.spec.materials, env, res.spec.target_k, p_hot).area_m2 * scale

    library = library_coatings()
    assert set(areas) == set(library)
    for name in ("osr", "white_paint", "silvered_teflon"):
        c = library[name]
        assert areas[name][0] == pytest.approx(area(c.alpha, c.eps), rel=2e-3)
        assert areas[name][1] == pytest.approx(area(*c.at_end_of_life()), rel=2e-3)
    assert areas["white_paint"][1] > areas["white_paint"][0]  # degradation costs area
