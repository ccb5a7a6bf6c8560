"""Variable-conductance heat pipes (flat-front gas model): the front's closed form, the steady
search, a transient with the gas front moving, HDF5, and bad gas loads as one clear error."""
import h5py
import numpy as np
import pytest

from thermal.apps.solve import solve
from thermal.apps.validation import CASES_DIR
from thermal.errors import CaseError
from thermal.input.case_file import parse_case
from thermal.input.overrides import case_text_with
from thermal.physics import vchp

TEXT = (CASES_DIR / "vchp_front.toml").read_text()


def _case(overrides=None):
    text = case_text_with(TEXT, overrides, "vchp.toml") if overrides else TEXT
    return parse_case(text, "vchp.toml")


def test_front_closed_form_limits():
    """All the gas in the reservoir at T_open (open_at's definition), none blocked above it, more
    blocked as the vapour cools, and the whole condenser at most."""
    p_open, p_res = 6.0e5, 2.9e5
    n = vchp.moles_open_at(p_open, p_res, 263.15, 2e-5)
    assert n * vchp.R_GAS == pytest.approx((p_open - p_res) * 2e-5 / 263.15)
    args = (p_res, 263.15, 2e-5, 2.0e5, 253.15, 5e-5, 1.0)
    assert vchp.blocked_length_m(n, p_open, *args) == 0.0
    lengths = [vchp.blocked_length_m(n, p, *args) for p in (5.5e5, 5e5, 4e5)]
    assert 0.0 < lengths[0] < lengths[1] < lengths[2] <= 1.0
    assert vchp.blocked_length_m(n, 2.1e5, *args) == 1.0
    shares = vchp.active_shares([0.2, 0.3, 0.5], True, 0.6)
    assert shares == pytest.approx([1.0, 2 / 3, 0.0])


def test_vchp_holds_its_vapour_temperature_where_a_plain_pipe_would_not():
    """10 -> 60 W: the gas-loaded pipe's vapour moves a few kelvin, the same pipe without gas (the
    whole condenser always open) moves Q / (g L_c) = 10 K."""
    t_gas = [solve(_case({"panels.evap.footprints.load.power": f"{p} W"})).heat_pipes["vchp"]["t_vapour"][-1]
             for p in (10, 60)]
    no_gas = TEXT.replace("[heat_pipes.vchp.gas]", "[unused_gas]")
    plain = []
    for p in (10, 60):
        text = no_gas.replace('power = "60 W"', f'power = "{p} W"').split("[unused_gas]")
        text = text[0] + "\n".join(line for line in text[1].splitlines()[4:])
        plain.append(solve(parse_case(text, "plain.toml")).heat_pipes["vchp"]["t_vapour"][-1])
    assert t_gas[1] - t_gas[0] < 6.0
    assert plain[1] - plain[0] == pytest.approx(10.0, abs=0.1)
    assert t_gas[0] > plain[0] + 20.0  # the gas holds it warm at low power


def test_transient_vchp_moves_its_front_and_writes_it(tmp_path):
    text = TEXT.replace('mode = "steady"', 'mode = "transient"') + """
[transient]
time_step = "30 s"
end_time = "1800 s"
"""
    case = parse_case(text, "vchp_transient.toml")
    out = tmp_path / "vchp.h5"
    result = solve(case, output=out)
    active = result.heat_pipes["vchp"]["active_series"]
    assert active[0] == 1.0 and 0.0 < active[-1] < 1.0  # the fresh state is open; the gas closes part of it
    assert np.all(np.diff(active[1:]) >= -1e-5)  # monotonically to within the front tolerance: no swinging
    steady = solve(_case()).heat_pipes["vchp"]
    assert active[-1] == pytest.approx(steady["active_series"][-1], abs=1e-3)
    for b in result.solution.energy[1:]:
        assert abs(b.relative_error) < 1e-9
    with h5py.File(out) as f:
        assert np.allclose(f["heat_pipes/vchp/active_condenser"][:], active)
        assert bool(f["heat_pipes/vchp"].attrs["gas_loaded"])


@pytest.mark.parametrize("edit, key", [
    (('open_at = "30 degC"', 'moles = "5 mol"'), "moles"),  # fills the condenser at every temperature
    (('open_at = "30 degC"', 'open_at = "-15 degC"'), "open_at"),  # below the reservoir
    (('open_at = "30 degC"', 'open_at = "30 degC"\nmoles = "0.001 mol"'), "moles"),
    (('reservoir_volume = "20 cm^3"', 'reservoir_volume = "-1 cm^3"'), "reservoir_volume"),
])
def test_bad_gas_load_names_the_key(edit, key):
    assert edit[0] in TEXT
    with pytest.raises(CaseError) as exc:
        parse_case(TEXT.replace(edit[0], edit[1]), "bad.toml")
    assert key in str(exc.value)
