"""Cases with an [orbit]: orbit-averaged steady state, transient through eclipses, time order."""
import math

import h5py
import numpy as np
import pytest

from thermal.apps.solve import solve
from thermal.input.case_file import parse_case
from thermal.physics import orbit as orb

from .conftest import CASES

SIGMA = 5.670374419e-8

SUN_PLATE = """
[case]
name = "sun_plate"
mode = "{mode}"

[environment]
t_sink = "0 K"

[orbit]
altitude = "550 km"
beta = "{beta} deg"
attitude = "sun_tracking"
shadow = "cylindrical"
solar_constant = "1361 W/m2"
earth_ir = "0 W/m2"
albedo = 0.0

[panels.plate]
size = ["0.2 m", "0.2 m"]
cells = [2, 2]

[[panels.plate.layers]]
name = "sheet"
material = "copper"
thickness = "1 mm"

[panels.plate.faces.top]
coating = "black_paint"
normal = "+z"

[panels.plate.faces.bottom]
coating = "black_paint"
{extra}
"""


@pytest.mark.parametrize("beta", [0.0, 40.0, 75.0])
def test_orbit_averaged_steady_state_of_a_sun_tracking_plate(beta):
    """Sun-facing top, no Earth: the orbit-average absorbed flux is alpha S (1 - f_eclipse), so
    2 eps sigma T^4 = alpha S (1 - f).  The average is a 720-point midpoint rule across two
    eclipse edges: its error is at most S/720 on the flux, i.e. dT <= T/4 * (1/720)/(1 - f)."""
    case = parse_case(SUN_PLATE.format(mode="steady", beta=beta, extra=""))
    result = solve(case)
    f = orb.eclipse_fraction(550e3, math.radians(beta))
    c = case.coatings["black_paint"]
    expected = (c.alpha * 1361.0 * (1 - f) / (2 * c.eps * SIGMA)) ** 0.25
    t = result.solution.t_k[0]
    tol = expected / 4 * (1 / 720) / (1 - f) + 1e-9 * expected
    assert np.max(np.abs(t - expected)) <= tol
    assert "orbit-averaged" in result.attrs["environment"]


def test_transient_through_eclipses_writes_orbit_data_and_closes_every_step(tmp_path):
    out = tmp_path / "leo.h5"
    text = (CASES / "leo_53deg_eclipse.toml").read_text().replace('end_time = "3 h"', 'end_time = "100 min"')
    case = parse_case(text.replace('cells = [24, 24]', 'cells = [8, 8]'), "leo.toml")
    result = solve(case, output=out)
    with h5py.File(out) as f:
        sun = f["orbit/sun_fraction"][:]
        q_solar = f["orbit/q_solar"][:]
        q_ir = f["orbit/q_ir"][:]
        assert list(f["orbit/faces"].asstr()[:]) == ["radiator.top", "radiator.bottom"]
        assert f["orbit/q_solar"].attrs["units"] == "W/m^2" and f["orbit/sun_fraction"].attrs["units"] == "1"
        balance = f["energy/balance_error"][:]
        generated = f["energy/generated"][:]
    # the orbit has an eclipse (beta ~ -30 deg at 550 km: ~35% of the orbit) ...
    frac = orb.eclipse_fraction(550e3, case.orbit.beta_rad)
    assert 0.3 < frac < 0.4
    assert np.mean(sun == 0.0) == pytest.approx(frac, abs=0.05)
    # ... where the zenith face gets nothing and the nadir face only Earth IR
    dark = sun == 0.0
    assert np.all(q_solar[dark, 0] == 0.0) and np.all(q_solar[dark, 1] == 0.0)
    h = (orb.R_EARTH_M + 550e3) / orb.R_EARTH_M
    np.testing.assert_allclose(q_ir[:, 1], 237.0 / h**2, rtol=1e-12)  # nadir face: F = 1/H^2
    np.testing.assert_allclose(q_ir[:, 0], 0.0, atol=1e-12)  # zenith face sees no Earth
    assert np.max(np.abs(balance)) <= 1e-9 * generated[0]


def test_backward_euler_is_first_order_on_radiative_cooling():
    """A thin copper plate cooling from 400 K towards a 0 K sink (sunlight switched off):
    m cp(T) dT/dt = -2 eps sigma A T^4, integrated by scipy to 1e-12 with the same cp(T) table.
    Backward Euler's error at a fixed time falls as dt^1."""
    text = SUN_PLATE.format(mode="transient", beta=0.0, extra='[transient]\ntime_step = "{dt} s"\nend_time = "600 s"\n'
                            '[solver]\ninitial_temperature = "400 K"\n')
    text = text.replace('solar_constant = "1361 W/m2"', 'solar_constant = "1e-9 W/m2"')
    errors, steps = [], (60.0, 30.0, 15.0, 7.5)
    for dt in steps:
        case = parse_case(text.replace("{dt}", str(dt)))
        result = solve(case)
        net = result.network
        eps = case.coatings["black_paint"].eps
        errors.append(abs(result.solution.t_k[-1].mean() - _exact_with_table(net, eps, 600.0)))
    order = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert order == pytest.approx(1.0, abs=0.1)


def _exact_with_table(net, eps, t_end_s):
    """Integrate m cp(T) dT/dt = -2 eps sigma A T^4 (the plate's cp(T) table) with scipy to 1e-12."""
    from scipy.integrate import solve_ivp

    mass = float(np.sum(net.rho_v_kg))
    row = int(net.cp_tab[0])
    xs, ys = net.tab_t[row, :net.tab_n[row]], net.tab_v[row, :net.tab_n[row]]
    area = 0.04

    def rhs(_, y):
        return [-2 * eps * SIGMA * area * y[0] ** 4 / (mass * np.interp(y[0], xs, ys))]

    sol = solve_ivp(rhs, (0.0, t_end_s), [400.0], method="DOP853", rtol=1e-12, atol=1e-12)
    return float(sol.y[0, -1])


def _cooling_case():
    text = SUN_PLATE.format(mode="transient", beta=0.0, extra='[transient]\ntime_step = "10 s"\nend_time = "600 s"\n'
                            '[solver]\ninitial_temperature = "400 K"\n')
    return parse_case(text.replace('solar_constant = "1361 W/m2"', 'solar_constant = "1e-9 W/m2"'))


@pytest.mark.parametrize("order", [1, 2])
def test_bdf_orders_are_measured(order):
    """Constant steps (error control off): BDF1 error ~ h, BDF2 error ~ h^2 on radiative cooling."""
    from thermal.build.network import build_network
    from thermal.solvers.stepper import AdaptiveSettings, solve_transient_adaptive

    case = _cooling_case()
    steps, errors = (60.0, 30.0, 15.0, 7.5), []
    for h in steps:
        net = build_network(case)
        sol = solve_transient_adaptive(net, case.solver, 600.0,
                                       AdaptiveSettings(order=order, dt_initial_s=h, fixed_step=True))
        errors.append(abs(sol.t_k[-1].mean() - _exact_with_table(net, case.coatings["black_paint"].eps, 600.0)))
    assert np.polyfit(np.log(steps), np.log(errors), 1)[0] == pytest.approx(order, abs=0.1)


def test_adaptive_bdf2_error_falls_with_the_tolerance_and_steps_land_on_eclipse_edges(tmp_path):
    from thermal.build.network import build_network
    from thermal.solvers.stepper import AdaptiveSettings, solve_transient_adaptive

    case = _cooling_case()
    errs = []
    for tol in (1e-1, 1e-2, 1e-3):
        net = build_network(case)
        sol = solve_transient_adaptive(net, case.solver, 600.0, AdaptiveSettings(order=2, atol_k=tol))
        errs.append(abs(sol.t_k[-1].mean() - _exact_with_table(net, case.coatings["black_paint"].eps, 600.0)))
    assert errs[0] > errs[1] > errs[2]
    # global error of a local-error-per-step controller of order 2 falls about as tol^(2/3)
    assert np.polyfit(np.log([1e-1, 1e-2, 1e-3]), np.log(errs), 1)[0] > 0.5
    # through eclipses: every shadow edge is a step end
    text = (CASES / "leo_53deg_eclipse.toml").read_text()
    text = text.replace('time_step = "30 s"', 'time_step = "10 s"\nscheme = "bdf2"\ntolerance = "0.05 K"\n'
                        'max_step = "120 s"').replace("output_every = 2\n", "").replace('cells = [24, 24]', 'cells = [8, 8]')
    case = parse_case(text, "leo_bdf2.toml")
    result = solve(case, output=tmp_path / "bdf2.h5")
    from thermal.build.environment import Environment

    edges = Environment(case, result.network).events(case.transient.end_time_s)
    assert len(edges) == 4
    for edge in edges:
        assert np.min(np.abs(result.times_s - edge)) <= 1e-9 * edge
    assert max(abs(b.relative_error) for b in result.solution.energy) < 1e-9


def test_periodic_state_found_directly_in_a_fifth_of_marchings_orbits(tmp_path):
    """The heavy radiator (80 mm Al, time constant ~4 orbits): Anderson from the orbit-average state
    against plain marching from 20 degC, same periodicity tolerance."""
    text = (CASES / "leo_heavy_periodic.toml").read_text().replace("cells = [16, 16]", "cells = [8, 8]")
    results = {}
    for method in ("anderson", "march"):
        case = parse_case(text.replace('method = "anderson"', f'method = "{method}"'), f"{method}.toml")
        results[method] = solve(case, output=tmp_path / f"{method}.h5")
    direct, march = results["anderson"].periodic, results["march"].periodic
    assert direct.periodicity_k <= 1e-3 and march.periodicity_k <= 1e-3
    assert direct.orbits * 5 <= march.orbits
    # the orbit's energy closes: what comes in over the orbit goes out (periodic: no net storage)
    assert direct.energy_closure < 1e-3
    # same periodic state: marching stops r/(1 - rho) from the fixed point with rho ~ exp(-1/4) per orbit
    diff = np.nanmax(np.abs(results["anderson"].fields["radiator"][-1] - results["march"].fields["radiator"][-1]))
    assert diff <= 1e-3 / (1 - math.exp(-0.25)) + 1e-3
    with h5py.File(tmp_path / "anderson.h5") as f:
        assert f.attrs["periodic_orbits"] == direct.orbits and f.attrs["mode"] == "periodic"
        assert f["time"][-1] == pytest.approx(orb.orbital_period_s(550e3), rel=1e-12)


SCHEDULED = """
[schedules.batteries]
kind = "eclipse"
scale = 0.3

[schedules.jobs]
kind = "table"
time = ["0 min", "20 min", "50 min"]
scale = [1.0, 0.5, 0.8]
"""


def test_compute_loads_follow_their_schedules(tmp_path):
    """The chip runs at 30% in eclipse (on batteries); a second chip follows a job table that
    repeats every orbit.  The generated power at every step is exactly the scheduled one."""
    text = (CASES / "leo_53deg_eclipse.toml").read_text()
    assert 'power = "200 W"' in text
    text = text.replace('power = "200 W"', 'power = "300 W"\nschedule = "batteries"')
    text = text.replace("[panels.radiator.faces.top]", '[panels.radiator.footprints.chip2]\ncenter = ["0.25 m", '
                        '"0.25 m"]\nsize = ["60 mm", "60 mm"]\npower = "100 W"\nschedule = "jobs"\n\n'
                        "[panels.radiator.faces.top]")
    text = text.replace('end_time = "3 h"', 'end_time = "2 h"').replace("cells = [24, 24]", "cells = [8, 8]")
    text = text.replace('time_step = "30 s"', 'time_step = "10 s"\nscheme = "bdf2"\ntolerance = "0.05 K"\n'
                        'max_step = "120 s"').replace("output_every = 2\n", "")
    case = parse_case(text + SCHEDULED, "scheduled.toml")
    result = solve(case)
    period = orb.orbital_period_s(550e3)
    sun = np.asarray(result.orbit["sun_fraction"])
    gen = result.energy["generated"]
    for t, nu, g in zip(result.times_s[1:], sun[1:], gen[1:]):
        phase = (t % period) / 60.0
        jobs = 1.0 if phase < 20 else (0.5 if phase < 50 else 0.8)
        expected = 300.0 * (1 - 0.7 * (1 - nu)) + 100.0 * jobs
        assert g == pytest.approx(expected, rel=1e-12), (t, nu)
    # the table's switch times and the eclipse edges are step ends
    for switch in (20 * 60.0, 50 * 60.0, period + 20 * 60.0):
        assert np.min(np.abs(result.times_s - switch)) < 1e-9 * switch
    # a steady solve of the same case uses orbit-mean loads
    import tomllib

    from thermal.input.overrides import dumps

    raw = tomllib.loads(text + SCHEDULED)
    raw["case"]["mode"] = "steady"
    del raw["transient"]
    steady = parse_case(dumps(raw), "scheduled_steady.toml")
    mean_gen = solve(steady).energy["generated"][0]
    f = orb.eclipse_fraction(550e3, case.orbit.beta_rad)  # the conical shadow's mean differs by the penumbra
    jobs_mean = (20 * 1.0 + 30 * 0.5 + (period / 60 - 50) * 0.8) / (period / 60)
    assert mean_gen == pytest.approx(300 * (1 - 0.7 * f) + 100 * jobs_mean, rel=2e-3)
