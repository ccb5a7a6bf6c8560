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


def _with_reservoir_node(text, node_table, extra=""):
    """The validation pipe with its reservoir following a lumped node ``res``."""
    return text.replace('reservoir_temperature = "-10 degC"',
                        'reservoir_temperature = "-10 degC"\nreservoir_node = "res"') + node_table + extra


def test_a_reservoir_on_a_node_held_at_the_same_temperature_is_the_same_pipe():
    held = solve(_case())
    on_node = solve(parse_case(_with_reservoir_node(TEXT, '\n[nodes.res]\ntemperature = "-10 degC"\n'), "v.toml"))
    a, b = held.heat_pipes["vchp"], on_node.heat_pipes["vchp"]
    assert b["active_series"][-1] == pytest.approx(a["active_series"][-1], abs=1e-9)
    assert b["t_vapour"][-1] == pytest.approx(a["t_vapour"][-1], abs=1e-6)


def test_a_warmer_reservoir_node_blocks_more_condenser_as_the_gas_balance_says():
    """The same inventory with the reservoir node at 0 degC instead of -10 degC: less gas fits in the
    reservoir (p_v(T_r) is higher), more blocks the condenser; the front the solve settles on is the
    flat-front balance at the solved vapour, wall and reservoir temperatures."""
    moles = _case().heat_pipes[0].gas.moles
    text = TEXT.replace('open_at = "30 degC"', f'moles = "{moles!r} mol"')
    cold = solve(parse_case(_with_reservoir_node(text, '\n[nodes.res]\ntemperature = "-10 degC"\n'), "v.toml"))
    case = parse_case(_with_reservoir_node(text, '\n[nodes.res]\ntemperature = "0 degC"\n'), "v.toml")
    warm = solve(case)
    l_c = 1.0
    active_cold, active_warm = (r.heat_pipes["vchp"]["active_series"][-1] for r in (cold, warm))
    assert active_warm < active_cold
    pipe = case.heat_pipes[0]
    t_v = warm.heat_pipes["vchp"]["t_vapour"][-1]
    t_wall = float(np.nanmean(warm.fields["cond"][-1]))
    blocked = vchp.front(pipe, t_v, t_wall, 273.15)
    assert (1.0 - active_warm) * l_c == pytest.approx(blocked, abs=2e-4)  # the front's 1e-4 K in T_v


def test_a_reservoir_node_that_moves_with_the_solve_settles_self_consistently():
    """A reservoir node coupled to the cold sink and warmed by its own 1 W heater: its temperature is
    a result of the solve, and the front is the gas balance at that temperature."""
    node = ('\n[nodes.res]\ncapacitance = "100 J/K"\npower = "1 W"\n'
            '\n[[contacts]]\nbetween = ["res", "sink"]\nconductance = "0.05 W/K"\n')
    case = parse_case(_with_reservoir_node(TEXT, node), "v.toml")
    result = solve(case)
    t_r = result.node_t_k[-1, result.node_names.index("res")]
    assert t_r == pytest.approx(253.15 + 1.0 / 0.05, abs=1e-6)  # 1 W through 0.05 W/K above the -20 degC sink
    t_v = result.heat_pipes["vchp"]["t_vapour"][-1]
    t_wall = float(np.nanmean(result.fields["cond"][-1]))
    blocked = vchp.front(case.heat_pipes[0], t_v, t_wall, t_r)
    assert (1.0 - result.heat_pipes["vchp"]["active_series"][-1]) == pytest.approx(blocked, abs=2e-4)
    assert abs(result.solution.energy[-1].relative_error) < 1e-9


def test_an_unknown_reservoir_node_names_the_key():
    with pytest.raises(CaseError) as exc:
        parse_case(_with_reservoir_node(TEXT, ""), "bad.toml")
    assert "heat_pipes.vchp.gas.reservoir_node" in str(exc.value) and "res" in str(exc.value)
