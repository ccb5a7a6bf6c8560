"""The network built from a case is immutable; what a run changes lives in its run state.  So one
network solved again, in any order and any mode, gives the same answer bit for bit."""
from pathlib import Path

import numpy as np
import pytest

from thermal import load_case, parse_case, solve
from thermal.build.network import build_network
from thermal.input.overrides import case_text_with

from .test_heat_pipes import pipe_case

CASES = Path(__file__).resolve().parent.parent / "cases"


def _same(a, b):
    np.testing.assert_array_equal(a.solution.t_k, b.solution.t_k)
    np.testing.assert_array_equal(a.times_s, b.times_s)
    for term in a.energy:
        np.testing.assert_array_equal(a.energy[term], b.energy[term])
    for name, pipe in a.heat_pipes.items():
        for key in ("t_vapour", "q", "utilisation", "wetted_series"):
            np.testing.assert_array_equal(pipe[key], b.heat_pipes[name][key])
    for name, loop in a.loops.items():  # flows, valve positions (and its integral), pump heat
        for key in ("mass_flow", "valve_position", "pump_power", "t_fluid"):
            np.testing.assert_array_equal(loop[key], b.loops[name][key])
    assert a.attrs["newton_iterations"] == b.attrs["newton_iterations"]


# the pumped-loop cases take minutes without compiled kernels; the small loop tests stay in that pass
LOOP_CASES = {"four_gpu_pumped_loop", "pumped_loop_orbit"}
SHORTENED = {"pumped_loop_orbit": "20 min"}  # two orbits solved twice is 2.5 min: 20 min shows the same


@pytest.mark.parametrize("name", [pytest.param(p.stem, marks=pytest.mark.jit_speed) if p.stem in LOOP_CASES
                                  else p.stem for p in sorted(CASES.glob("*.toml"))])
def test_every_bundled_case_solved_twice_on_one_network_is_identical(name):
    case = load_case(CASES / f"{name}.toml")
    if name in SHORTENED:
        case = parse_case(case_text_with(case.source_text, {"transient.end_time": SHORTENED[name]}), case.file)
    first = solve(case)
    again = solve(case, network=first.network)
    _same(first, again)


def test_eclipse_scaled_load_starts_the_second_run_at_full_power():
    """The review's wrong answer: the environment took the already-scaled load of the first run
    (100 W at its end, in eclipse) as the base load of the second, which then ended 57.5 K off."""
    text = (CASES / "leo_53deg_eclipse.toml").read_text()
    text = text.replace('power = "200 W"', 'power = "200 W"\nschedule = "batteries"')
    text += '\n[schedules.batteries]\nkind = "eclipse"\nscale = 0.5\n'
    text = case_text_with(text, {"transient.end_time": "1 h"})  # the first run ends in eclipse
    case = parse_case(text, "eclipse_scaled.toml")
    first = solve(case)
    sun = first.orbit["sun_fraction"]
    assert sun[-1] == 0.0, "the first run must end in eclipse for this check to bite"
    again = solve(case, network=first.network)
    _same(first, again)
    # the heat generated at t = 0 is the full 200 W on both runs (sunlit: no scaling)
    assert first.energy["generated"][0] == pytest.approx(200.0, rel=1e-12)
    assert again.energy["generated"][0] == pytest.approx(200.0, rel=1e-12)


def test_a_dried_out_pipe_does_not_carry_into_the_next_run():
    """A steady overload dries the pipe; a nominal run and the overload again on the same networks
    start fully wetted, whatever ran before."""
    overload = parse_case(pipe_case('power = "60 W"', 'power = "150 W"'))
    net = build_network(overload)
    first = solve(overload, network=net)
    assert first.heat_pipes["hp"]["dried"]
    again = solve(overload, network=net)
    _same(first, again)
    nominal = parse_case(pipe_case())
    nominal_net = build_network(nominal)
    fresh = solve(nominal, network=nominal_net)
    assert not fresh.heat_pipes["hp"]["dried"]
    # a transient on the nominal network in between changes nothing either
    transient = parse_case(pipe_case().replace('mode = "steady"', 'mode = "transient"')
                           + '\n[transient]\ntime_step = "60 s"\nend_time = "10 min"\n')
    solve(transient, network=nominal_net)
    _same(fresh, solve(nominal, network=nominal_net))


def test_network_arrays_are_read_only():
    net = build_network(load_case(CASES / "gpu_radiator.toml"))
    for name in ("q_w", "r_link", "face_q_solar_w_m2", "indptr", "rho_v_kg"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(net, name)[0] = 1.0
    with pytest.raises(AttributeError):
        net.q_w = np.zeros(net.n_nodes)
