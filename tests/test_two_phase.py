"""Mechanically pumped two-phase loops: correlations, saturation tables, the bundled case's energy
bookkeeping, dry-out and cavitation reports, bad input.  The closed-form checks (evaporator and
condenser qualities, the condensing radiator) are validation cases: tests/test_validation.py."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from thermal import solve
from thermal.errors import CaseError
from thermal.input.case_file import parse_case
from thermal.output.loops import summary_lines
from thermal.physics import two_phase
from thermal.physics.channel_flow import churchill_friction

CASE = Path(__file__).parent.parent / "cases" / "two_phase_loop.toml"


def test_correlations_reduce_to_their_single_phase_limits():
    """Mueller-Steinhagen & Heck: the whole flow as liquid at x = 0 and as vapour at x = 1, a maximum
    in between (their paper's shape); Shah at x = 0 is Dittus-Boelter of the liquid; Gungor-
    Winterton with no heat flux at x = 0 is Dittus-Boelter of the liquid."""
    g, d, rho_f, rho_g, mu_f, mu_g = 200.0, 6e-3, 610.0, 6.7, 1.4e-4, 9.6e-6
    a = churchill_friction(g * d / mu_f) * g * g / (2 * rho_f * d)
    b = churchill_friction(g * d / mu_g) * g * g / (2 * rho_g * d)
    assert two_phase.msh_gradient_pa_m(g, 0.0, d, rho_f, rho_g, mu_f, mu_g) == pytest.approx(a, rel=1e-12)
    assert two_phase.msh_gradient_pa_m(g, 1.0, d, rho_f, rho_g, mu_f, mu_g) == pytest.approx(b, rel=1e-12)
    x = np.linspace(0, 1, 201)
    grad = two_phase.msh_gradient_pa_m(g, x, d, rho_f, rho_g, mu_f, mu_g)
    assert 0.6 < x[np.argmax(grad)] < 1.0 and grad.max() > b
    cp_f, k_f = 4740.0, 0.50
    h_lo = two_phase.dittus_boelter_w_m2k(g * d / mu_f, mu_f * cp_f / k_f, k_f, d)
    assert two_phase.shah_condensation_w_m2k(g, 0.0, d, 0.1, mu_f, cp_f, k_f) == pytest.approx(h_lo, rel=1e-12)
    assert two_phase.gungor_winterton_w_m2k(g, 0.0, d, 0.0, 1.19e6, rho_f, rho_g, mu_f, cp_f, k_f) == \
        pytest.approx(h_lo, rel=1e-12)
    # boiling and condensing films rise with quality (the liquid film thins) up to the hold at 0.95
    xs = np.array([0.1, 0.5, 0.9])
    assert np.all(np.diff(two_phase.shah_condensation_w_m2k(g, xs, d, 0.1, mu_f, cp_f, k_f)) > 0)
    assert np.all(np.diff(two_phase.gungor_winterton_w_m2k(g, xs, d, 2e4, 1.19e6, rho_f, rho_g, mu_f, cp_f,
                                                            k_f)) > 0)


def test_saturation_table_follows_coolprop():
    from CoolProp.CoolProp import PropsSI

    table = two_phase.saturation_table("ammonia")
    for t in (230.0, 273.15, 303.15, 350.0):
        p = PropsSI("P", "T", t, "Q", 0, "Ammonia")
        h_fg = PropsSI("H", "T", t, "Q", 1, "Ammonia") - PropsSI("H", "T", t, "Q", 0, "Ammonia")
        assert float(table.p_sat(t)) == pytest.approx(p, rel=1e-4)
        assert float(table.t_sat(p)) == pytest.approx(t, abs=5e-3)
        assert float(table.at(t, "h_g") - table.at(t, "h_f")) == pytest.approx(h_fg, rel=1e-4)


@pytest.fixture(scope="module")
def bundled():
    return solve(parse_case(CASE.read_text(), CASE.name))


@pytest.mark.jit_speed
def test_bundled_loop_boils_condenses_and_closes_its_energy(bundled):
    """The cold plate's 1.8 kW (+ the pump's heat) is what the evaporator's fluid gains: subcooled
    liquid heated to saturation plus quality x h_fg; the condensers return it subcooled (the pump
    is safe), the plate sits above the saturation temperature by its film's drop."""
    rec = bundled.loops["coolant"]
    b = rec["branches"].index("evaporator")
    sat = two_phase.saturation_table("ammonia")
    m_dot, t_in = float(rec["mass_flow"][-1][b]), float(rec["t_in"][-1][b])
    x_out = float(rec["exit_quality"][-1][b])
    p_in = float(rec["manifold_pressure"][-1][rec["manifold_names"].index("mix")])
    p_out = float(np.asarray(rec["pressure"][-1])[np.asarray(rec["branch_of_node"]) == b][-1])
    t_sat_in, t_sat_out = float(sat.t_sat(p_in)), float(sat.t_sat(p_out))
    h_in = float(sat.at(t_sat_in, "h_f") + sat.at(t_sat_in, "cp_f") * (t_in - t_sat_in))  # subcooled liquid
    h_out = float(sat.at(t_sat_out, "h_f") + x_out * (sat.at(t_sat_out, "h_g") - sat.at(t_sat_out, "h_f")))
    pump = float(rec["pump_power"][-1])  # the pump discharges into the evaporator's first node
    assert t_in < t_sat_in and 0.1 < x_out < 1.0 and int(rec["dryout"][-1]) == 0
    assert m_dot * (h_out - h_in) == pytest.approx(1800.0 + pump, rel=1e-6)
    assert float(rec["pump_inlet_subcooling"][-1]) > 1.0
    balance = bundled.energy
    assert np.all(np.abs(balance["balance_error"]) <= 1e-9 * np.maximum(1.0, balance["generated"]))
    text = "\n".join(summary_lines(bundled.loops))
    assert "two-phase (HEM)" in text and "CAVITATION" not in text and "DRY-OUT" not in text


@pytest.mark.jit_speed
@pytest.mark.parametrize("edit, flag", [
    (('saturation_temperature = "30 degC"', 'saturation_temperature = "20 degC"'), "CAVITATION"),
    (('mass_flow = "4 g/s"', 'mass_flow = "1.2 g/s"'), "DRY-OUT"),
])
def test_cavitation_and_dry_out_are_reported(edit, flag):
    """Too cold an accumulator for this radiator: the condensers cannot condense the load at
    saturation and vapour returns to the pump; too little flow: the evaporator's fluid is all vapour
    before its end (with the correlations' films: Gungor-Winterton falling to the vapour's
    Gnielinski past dry-out).  Both runs complete, close their energy, and the summary says so.
    The dried-out evaporator's exit quality is the enthalpy balance of the evaporator: CoolProp's
    enthalpy of the inlet liquid plus (load + pump heat) / flow, against h_f and h_g at the exit
    pressure; the model's liquid enthalpy is linear in T with cp_f at saturation, which bounds the
    difference by |cp_f(T_sat) - cp_f(T_in)| (T_sat - T_in) / h_fg."""
    import CoolProp.CoolProp as cp

    text = CASE.read_text()
    assert edit[0] in text
    r = solve(parse_case(text.replace(edit[0], edit[1]), CASE.name))
    rec = r.loops["coolant"]
    lines = "\n".join(summary_lines(r.loops))
    assert flag in lines
    if flag == "CAVITATION":
        assert float(rec["pump_inlet_subcooling"][-1]) <= 0.0
    else:
        b = list(rec["branches"]).index("evaporator")
        x_out = float(rec["exit_quality"][-1][b])
        assert x_out > 1.0 and int(rec["dryout"][-1]) > 0
        p_evap = np.asarray(rec["pressure"][-1])[np.asarray(rec["branch_of_node"]) == b]
        p_in = float(np.asarray(rec["manifold_pressure"][-1])[list(rec["manifold_names"]).index("mix")]) + \
            float(rec["pump_head"][-1])
        t_in = float(rec["t_in"][-1][b])
        h_out = cp.PropsSI("H", "T", t_in, "P", p_in, "Ammonia") + \
            (1800.0 + float(rec["pump_power"][-1])) / float(rec["mass_flow"][-1][b])
        h_f, h_g = (cp.PropsSI("H", "P", p_evap[-1], "Q", q, "Ammonia") for q in (0, 1))
        t_sat = cp.PropsSI("T", "P", p_in, "Q", 0, "Ammonia")
        cp_sat, cp_in = (cp.PropsSI("C", "T", t, "Q", 0, "Ammonia") for t in (t_sat, t_in))
        assert x_out == pytest.approx((h_out - h_f) / (h_g - h_f), abs=abs(cp_sat - cp_in) * (t_sat - t_in) / (h_g - h_f))
    assert np.all(np.abs(r.energy["balance_error"]) <= 1e-9 * np.maximum(1.0, r.energy["generated"]))


@pytest.mark.parametrize("edit, key, words", [
    (('saturation_temperature = "30 degC"', 'saturation_temperature = "150 degC"'), "saturation_temperature",
     "critical point"),
    (('fluid = "ammonia"', 'fluid = "propylene_glycol"'), "fluid", "r134a"),
    (('[loops.coolant.accumulator]', '[loops.coolant.valve]\nsplit = "hot"\nradiator_branch = "feed"\n'
      'bypass_branch = "feed"\nsensor = "mix"\nset_point = "25 degC"\n\n[loops.coolant.accumulator]'), "valve",
     "accumulator"),
])
def test_bad_two_phase_input_names_the_key(edit, key, words):
    text = CASE.read_text()
    assert edit[0] in text
    with pytest.raises(CaseError) as exc:
        parse_case(text.replace(edit[0], edit[1]), "bad.toml")
    assert key in str(exc.value) and words in str(exc.value)


@pytest.mark.jit_speed
def test_transient_two_phase_loop_closes_energy_every_step(bundled):
    """Ten minutes from 20 degC in 10 s steps: the energy balance closes at every step, and the
    cold plate, held by boiling at the accumulator's saturation, is already within 1 K of its steady
    temperature (the radiator is still warming up: ~56 W still go into storage at 600 s)."""
    text = CASE.read_text().replace('mode = "steady"', 'mode = "transient"').replace(
        "[solver]", '[transient]\ntime_step = "10 s"\nend_time = "600 s"\n\n[solver]')
    r = solve(parse_case(text, "two_phase_transient.toml"))
    e = r.energy
    assert np.all(np.abs(e["balance_error"]) <= 1e-9 * np.maximum(1.0, e["generated"]))
    rec = r.loops["coolant"]
    assert np.all(np.asarray(rec["dryout"]) == 0)
    i = list(r.node_names).index("coldplate")
    assert abs(float(r.node_t_k[-1, i]) - float(bundled.node_t_k[-1, i])) < 1.0


def test_fluid_heat_capacity_follows_the_quality():
    """A fluid node's volume holds the homogeneous mixture: at quality 1/2 it stores
    rho_mix = 1 / (0.5/rho_g + 0.5/rho_f) of it (CoolProp directly, not the table), subcooled liquid
    its own liquid density, where the network holds the fill of saturated liquid at the accumulator's
    set-point.  The storage the solver integrates is the run state's (solvers/system.Assembler)."""
    from CoolProp.CoolProp import PropsSI

    from thermal.build.network import build_network
    from thermal.solvers.loops import update_loops
    from thermal.solvers.run_state import RunState
    from thermal.solvers.system import Assembler
    from thermal.solvers.two_phase import LoopFluid, initial_state

    net = build_network(parse_case(CASE.read_text(), CASE.name))
    ln = net.loops[0]
    fl = LoopFluid(ln)
    t_acc = ln.loop.accumulator.saturation_temperature_k
    maps = fl.maps(np.full(fl.nodes.size, fl.p_acc))
    t = initial_state(net, 300.0)
    half, cold = fl.fluid[::2], fl.fluid[1::2]
    t[half] = 0.5 * (maps[0, 1] + maps[0, 2])  # quality 1/2 at the accumulator's pressure
    t[cold] = maps[0, 1] - 2.0 / maps[0, 3]  # liquid 2 K below saturation
    state = RunState.fresh(net)
    assert Assembler(net, state).storage.rho_v_kg is state.rho_v_kg
    update_loops(net, state, t)
    rho = lambda q, tk: PropsSI("D", "T", tk, "Q", q, "Ammonia")  # noqa: E731
    fill = net.rho_v_kg / rho(0, t_acc)  # each node's volume
    mix = 1.0 / (0.5 / rho(1, t_acc) + 0.5 / rho(0, t_acc))
    assert np.allclose(state.rho_v_kg[half], fill[half] * mix, rtol=1e-4)
    assert np.allclose(state.rho_v_kg[cold], fill[cold] * PropsSI("D", "T", t_acc - 2.0, "Q", 0, "Ammonia"), rtol=1e-4)
    assert mix < 0.2 * rho(0, t_acc)  # half-vapour ammonia at 30 degC: a fifth of the liquid fill or less
