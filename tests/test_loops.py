"""Pumped fluid loops: closed forms (constant-wall tube, radiating tube-fin, laminar split, Poiseuille
pump head), the advection kernel against its numpy twin and its Jacobian, the correlations, the
coolant tables, energy closure with the pump's heat, the bypass valve, freezing, and bad input."""
from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest

from thermal import solve
from thermal.errors import CaseError, ModelError
from thermal.input.case_file import parse_case
from thermal.kernels import reference
from thermal.physics.channel_flow import churchill_friction, colebrook_friction, mean_nusselt, piece_film_w_k
from thermal.physics.coolants import COOLANTS, liquid_table

TUBE = """
[case]
name = "tube"
mode = "{mode}"
[solver]
initial_temperature = "20 degC"
[nodes.wall]
temperature = "{t_wall}"
[nodes.cooler]
temperature = "10 degC"
[loops.l]
fluid = "water"
[loops.l.pump]
branch = "back"
mass_flow = "{m_dot}"
efficiency = 0.5
[loops.l.branches.heated]
from = "a"
to = "b"
inner_diameter = "6 mm"
{film}
[[loops.l.branches.heated.sections]]
node = "wall"
length = "{length}"
pieces = {pieces}
[loops.l.branches.back]
from = "b"
to = "a"
inner_diameter = "6 mm"
film_coefficient = "1e6 W/m^2/K"
[[loops.l.branches.back.sections]]
node = "cooler"
length = "10 m"
pieces = 3
{extra}
"""


def tube_case(mode="steady", t_wall="60 degC", m_dot="0.02 kg/s", film='film_coefficient = "800 W/m^2/K"',
              length="2 m", pieces=7, extra=""):
    return parse_case(TUBE.format(mode=mode, t_wall=t_wall, m_dot=m_dot, film=film, length=length,
                                       pieces=pieces, extra=extra), "tube.toml")


def test_constant_wall_tube_matches_closed_form_for_any_piece_count():
    """T_out = T_w - (T_w - T_in) exp(-h P L / (m cp)): the exponential form is exact for a wall at
    one temperature, so every piece count gives the closed form to round-off."""
    for pieces in (1, 7, 40):
        r = solve(tube_case(pieces=pieces))
        rec = r.loops["l"]
        t_in, t_out = rec["t_in"][-1][0], rec["t_out"][-1][0]
        m_cp = rec["mass_flow"][-1][0] * rec["cp"][-1]
        # the return branch brings the fluid to the cooler's 10 degC (NTU ~ 1e4 there)
        assert t_in == pytest.approx(283.15, abs=1e-9)
        expected = 333.15 - (333.15 - t_in) * math.exp(-800.0 * math.pi * 0.006 * 2.0 / m_cp)
        assert t_out == pytest.approx(expected, abs=1e-9)


def test_energy_closes_with_the_pump_heat():
    r = solve(tube_case())
    rec = r.loops["l"]
    power = rec["pump_power"][-1]
    # pump power = volume flow x pressure rise / efficiency, all of it heat in the fluid
    assert power > 0
    assert r.energy["generated"][-1] == pytest.approx(power, rel=1e-12)
    gross = r.solution.energy[-1].scale_w
    assert abs(r.energy["balance_error"][-1]) <= 1e-12 * gross


def viscosity_tolerance(rec, t_k=293.15):
    """Relative change of a laminar pressure drop the pump's own heat can cause: it warms the fluid
    by at most P/(m cp) somewhere, and dp follows the viscosity."""
    table = liquid_table("water")
    mu = lambda t: table.at(t)[2]  # noqa: E731
    dlnmu_dt = abs(math.log(mu(t_k + 0.5) / mu(t_k - 0.5)))
    warming = rec["pump_power"][-1] / (rec["mass_flow"][-1].max() * rec["cp"][-1])
    return dlnmu_dt * warming + 1e-9


def test_pump_head_is_poiseuille_in_laminar_flow():
    """Every wall held at 20 degC, laminar flow: the pump's rise equals 64/Re L/d rho v^2/2 summed
    over both branches, within what the pump's own heat changes the viscosity by."""
    case = parse_case(TUBE.format(mode="steady", t_wall="20 degC", m_dot="0.002 kg/s",
                                       film='film_coefficient = "800 W/m^2/K"', length="2 m", pieces=4,
                                       extra="").replace('temperature = "10 degC"', 'temperature = "20 degC"'),
                           "tube.toml")
    r = solve(case)
    rec = r.loops["l"]
    rho, _, mu, _ = liquid_table("water").at(293.15)
    d, m = 0.006, 0.002
    re = 4 * m / (math.pi * d * mu)
    assert re < 1000
    v = m / (rho * math.pi * d * d / 4)
    expected = 64 / re * (2.0 + 10.0) / d * rho * v * v / 2
    assert rec["pump_head"][-1] == pytest.approx(expected, rel=viscosity_tolerance(rec))


def test_laminar_parallel_branches_split_inversely_to_length():
    """Two parallel laminar branches of one diameter at one temperature: dp = 128 mu L m / (pi rho d^4)
    in each, equal across them, so m1/m2 = L2/L1 exactly."""
    text = textwrap.dedent("""
    [case]
    name = "split"
    mode = "steady"
    [solver]
    initial_temperature = "20 degC"
    [nodes.n]
    temperature = "20 degC"
    [loops.l]
    fluid = "water"
    [loops.l.pump]
    branch = "pump"
    mass_flow = "0.003 kg/s"
    efficiency = 0.5
    [loops.l.branches.pump]
    from = "r"
    to = "s"
    inner_diameter = "8 mm"
    extra_length = "0.5 m"
    [loops.l.branches.short]
    from = "s"
    to = "r"
    inner_diameter = "5 mm"
    [[loops.l.branches.short.sections]]
    node = "n"
    length = "1 m"
    [loops.l.branches.long]
    from = "s"
    to = "r"
    inner_diameter = "5 mm"
    [[loops.l.branches.long.sections]]
    node = "n"
    length = "3 m"
    """)
    r = solve(parse_case(text, "split.toml"))
    rec = r.loops["l"]
    flows = dict(zip(rec["branches"], rec["mass_flow"][-1]))
    assert flows["short"] / flows["long"] == pytest.approx(3.0, rel=2 * viscosity_tolerance(rec))
    assert flows["short"] + flows["long"] == pytest.approx(0.003, rel=1e-12)
    dp = dict(zip(rec["branches"], rec["dp"][-1]))
    assert dp["short"] == pytest.approx(dp["long"], rel=1e-9)  # whatever the viscosities: the network's law


def test_advection_kernel_matches_reference_and_its_jacobian():
    """The compiled kernel against the numpy twin, and A = -dF/dT by central differences (the
    terms are linear in T for frozen coefficients, so the difference is exact to round-off)."""
    from thermal import kernels
    from thermal.kernels.bundles import Advection

    rng = np.random.default_rng(3)
    n = 7
    wall = np.array([0, 0, -1, 1, -1])
    inflow = np.array([2, 3, 4, 5, 6])
    outflow = np.array([3, 4, 5, 6, 2])
    c = rng.uniform(1, 5, 5)
    m = rng.uniform(2, 6, 5)
    still = np.array([0, 1, 0, 0, 0], np.uint8)
    fixed = np.zeros(n, np.uint8)
    fixed[1] = 1
    dense_pattern = np.ones((n, n))
    import scipy.sparse as sp
    pat = sp.csr_matrix(dense_pattern)
    pat.sort_indices()
    indptr, indices = pat.indptr.astype(np.int64), pat.indices.astype(np.int64)

    def pos(r, cc):
        return np.array([indptr[a] + np.searchsorted(indices[indptr[a]:indptr[a + 1]], b) if a >= 0 and b >= 0 else -1
                         for a, b in zip(r, cc)], np.int64)

    terms = Advection(wall, inflow, outflow, pos(wall, inflow), pos(wall, outflow), pos(outflow, inflow),
                      pos(outflow, wall), pos(inflow, outflow))
    diag = np.array([indptr[i] + i for i in range(n)], np.int64)
    t = rng.uniform(250, 350, n)
    res = np.zeros(n)
    a = np.zeros(indices.size)
    # terms 1 and 3 belong to a two-phase loop: the wall meets T(theta) of their reference node; the
    # saturation maps put those nodes in the liquid, in the two-phase range and on a rounded corner
    phase = np.array([1, 1, 0, 1, 0], np.uint8)
    sat = np.zeros((5, 7))
    sat[0] = (t[2] - 20.0, t[2] - 10.0, t[2] + 10.0, 1.0, 1.4, 0.5, 0.0)  # node 2 (inflow of a flowing term) boils
    sat[1] = (t[4] - 5.0, t[4] - 30.0, t[4] + 40.0, 1.0, 1.6, 0.5, 0.0)  # node 4 (still: itself) boils
    sat[3] = (t[5] - 2.0, t[5] + 0.2, t[5] + 90.0, 0.9, 1.5, 0.5, 0.0)  # node 5 on the liquid corner
    kernels.add_advection(t, terms, c, m, still, phase, sat, fixed, diag, res, a)
    f_ref, a_ref = reference.advection(t, wall, inflow, outflow, c, m, still, fixed, phase, sat)
    assert np.allclose(res, f_ref, rtol=0, atol=1e-12)
    a_dense = sp.csr_matrix((a, indices, indptr), shape=(n, n)).toarray()
    free = fixed == 0
    # linear terms to round-off; a flowing two-phase piece's slopes are central differences (1e-4 K
    # in the kernel, 1e-3 K in the twin) of a piecewise-exponential heat: agreement to ~1e-7
    assert np.allclose(a_dense[np.ix_(free, free)], a_ref[np.ix_(free, free)], atol=1e-6)
    for j in np.nonzero(free)[0]:
        tp, tm = t.copy(), t.copy()
        tp[j] += 0.01  # inside each map's piece (the corner's half-width is 0.5): exact to round-off
        tm[j] -= 0.01
        fp, _ = reference.advection(tp, wall, inflow, outflow, c, m, still, fixed, phase, sat)
        fm, _ = reference.advection(tm, wall, inflow, outflow, c, m, still, fixed, phase, sat)
        assert np.allclose(-(fp - fm)[free] / 0.02, a_ref[free, j], atol=1e-5)
    # advection alone conserves energy when the carried flows balance at every node (here: a ring)
    ring = np.ones(5)
    f_ring, _ = reference.advection(t, wall, inflow, outflow, c, ring, np.zeros(5, np.uint8), np.zeros(n, np.uint8))
    assert abs(f_ring.sum()) < 1e-10
    # and still fluid (every term stagnant: conduction with walls and along itself) whatever the m
    f_still, _ = reference.advection(t, wall, inflow, outflow, c, m, np.ones(5, np.uint8), np.zeros(n, np.uint8))
    assert abs(f_still.sum()) < 1e-10


def test_friction_factor_laws():
    """Churchill's law is 64/Re in laminar flow (its turbulent terms are below 1e-12 of it at
    Re <= 1000) and follows Colebrook in turbulent flow within 3 % (Colebrook itself fits the pipe
    data it summarises to about +-15 %: Moody 1944)."""
    for re in (10.0, 100.0, 640.0, 1000.0):
        assert churchill_friction(re) == pytest.approx(64.0 / re, rel=1e-10)
    for rough in (0.0, 1e-5, 1e-4, 1e-3, 1e-2):
        for re in np.logspace(4, 8, 17):
            assert churchill_friction(re, rough) == pytest.approx(colebrook_friction(re, rough), rel=0.03)
    # smooth across the laminar-turbulent transition: no jump between neighbouring Re
    re = np.linspace(1500, 5000, 3501)
    f = churchill_friction(re)
    assert np.max(np.abs(np.diff(f)) / f[1:]) < 2e-3


def test_heat_transfer_correlations():
    # long laminar tube: the fully developed constant-wall-temperature Nusselt number, 3.66
    assert mean_nusselt(1000.0, 5.0, 1e-9) == pytest.approx(3.66, rel=2e-3)
    # Gnielinski in fully developed turbulence (d/L -> 0) against Dittus-Boelter's 0.023 Re^0.8 Pr^0.4
    # (within the +-25 % the two are known to differ by: Incropera 7th ed. sec. 8.5)
    nu = mean_nusselt(5e4, 5.0, 1e-9)
    assert nu == pytest.approx(0.023 * 5e4 ** 0.8 * 5.0 ** 0.4, rel=0.25)
    # continuous at both ends of the transition
    assert mean_nusselt(2300 - 1e-9, 5.0, 0.01) == pytest.approx(mean_nusselt(2300 + 1e-9, 5.0, 0.01), rel=1e-6)
    assert mean_nusselt(1e4 - 1e-9, 5.0, 0.01) == pytest.approx(mean_nusselt(1e4 + 1e-9, 5.0, 0.01), rel=1e-6)
    # pieces add up to the mean coefficient of the whole length
    edges = np.linspace(0, 2.0, 11)
    total = piece_film_w_k(1500.0, 5.0, 0.6, 0.006, edges[:-1], edges[1:]).sum()
    assert total == pytest.approx(np.pi * 0.6 * 2.0 * mean_nusselt(1500.0, 5.0, 0.006 / 2.0), rel=1e-12)


def test_coolant_tables_follow_coolprop():
    import CoolProp
    from CoolProp.CoolProp import AbstractState

    table = liquid_table("ammonia")
    st = AbstractState("HEOS", "Ammonia")
    for t in (220.3, 263.17, 301.9):
        st.update(CoolProp.QT_INPUTS, 0.0, t)
        rho, cp, mu, k = table.at(t)
        assert rho == pytest.approx(st.rhomass(), rel=1e-4)
        assert cp == pytest.approx(st.cpmass(), rel=1e-4)
        assert mu == pytest.approx(st.viscosity(), rel=1e-3)
        assert k == pytest.approx(st.conductivity(), rel=1e-3)
    assert table.t_freeze_k == pytest.approx(195.495, abs=0.01)  # ammonia's triple point, -77.65 degC
    glycol = liquid_table("propylene_glycol", 0.4)
    assert 250.0 < glycol.t_freeze_k < 256.0  # 40 % propylene glycol freezes near -21 degC (ASHRAE)
    for name in COOLANTS:
        if not COOLANTS[name][2]:
            tab = liquid_table(name)
            assert np.all(tab.rho_kg_m3 > 0) and np.all(tab.mu_pa_s > 0) and np.all(tab.k_w_mk > 0)


VALVE_LOOP = """
[case]
name = "valve"
mode = "{mode}"
[solver]
initial_temperature = "20 degC"
[nodes.box]
capacitance = "20 kJ/K"
power = "500 W"
[nodes.space]
temperature = "-40 degC"
[loops.l]
fluid = "water"
[loops.l.pump]
branch = "plate"
mass_flow = "0.02 kg/s"
efficiency = 0.5
[loops.l.valve]
split = "hot"
radiator_branch = "rad"
bypass_branch = "bypass"
sensor = "mix"
set_point = "15 degC"
[loops.l.branches.plate]
from = "mix"
to = "hot"
inner_diameter = "6 mm"
film_coefficient = "2000 W/m^2/K"
[[loops.l.branches.plate.sections]]
node = "box"
length = "1 m"
pieces = 4
[loops.l.branches.rad]
from = "hot"
to = "mix"
inner_diameter = "6 mm"
film_coefficient = "300 W/m^2/K"
[[loops.l.branches.rad.sections]]
node = "space"
length = "2 m"
pieces = 6
[loops.l.branches.bypass]
from = "hot"
to = "mix"
inner_diameter = "6 mm"
extra_length = "0.5 m"
{extra}
"""


def test_valve_on_a_small_loop_holds_the_set_point_and_moves_smoothly():
    """A 500 W box cooled through a radiator wall at -40 degC, a bypass holding the box's inlet at
    15 degC: steady, the valve position the set-point needs (checked against the same loop solved
    with that position fixed: one extra steady solve at x); transient from 20 degC, the implicit PI
    valve settles to it without step-to-step reversals, energy closing every step."""
    r = solve(parse_case(VALVE_LOOP.format(mode="steady", extra=""), "valve.toml"))
    rec = r.loops["l"]
    mix = rec["manifold_names"].index("mix")
    assert rec["manifolds"][-1][mix] == pytest.approx(288.15, abs=0.011)
    x = float(rec["valve_position"][-1])
    assert 0.0 < x < 1.0
    tr = VALVE_LOOP.format(mode="transient", extra='[transient]\nend_time = "3600 s"\ntime_step = "30 s"')
    r = solve(parse_case(tr, "valve_t.toml"))
    xs = np.asarray(r.loops["l"]["valve_position"])
    dx = np.diff(xs)
    assert np.sum(np.sign(dx[1:]) * np.sign(dx[:-1]) < 0) <= 2
    assert xs[-1] == pytest.approx(x, abs=0.02)
    scale = [b.scale_w for b in r.solution.energy]
    assert np.all(np.abs(r.energy["balance_error"]) <= 1e-9 * np.asarray(scale))


@pytest.mark.jit_speed
def test_steady_valve_holds_the_set_point_and_transient_valve_does_not_chatter():
    from pathlib import Path

    text = (Path(__file__).parent.parent / "cases" / "four_gpu_pumped_loop.toml").read_text()
    case = parse_case(text, "four_gpu_pumped_loop.toml")
    r = solve(case)
    rec = r.loops["coolant"]
    mix = rec["manifold_names"].index("mix")
    assert 0.0 < rec["valve_position"][-1] < 1.0
    assert rec["manifolds"][-1][mix] == pytest.approx(298.15, abs=0.011)
    # a transient from cold: the PI valve moves, continuous in the sensor: no step-to-step sign flips
    tr = text.replace('mode = "steady"', 'mode = "transient"') + textwrap.dedent("""
    [transient]
    end_time = "1800 s"
    time_step = "20 s"
    scheme = "fixed"
    """)
    r = solve(parse_case(tr, "t.toml"))
    x = r.loops["coolant"]["valve_position"]
    dx = np.diff(x)
    flips = np.sum(np.sign(dx[1:]) * np.sign(dx[:-1]) < 0)
    assert flips <= 2
    assert np.all(np.abs(r.energy["balance_error"]) <= 1e-9 * np.maximum(1.0, r.energy["generated"]))


def test_freezing_is_reported():
    """Water through a wall at -20 degC freezes: the status counts frozen nodes and the margin is
    negative (the run itself completes: the report says where)."""
    case = parse_case(TUBE.format(mode="steady", t_wall="-20 degC", m_dot="0.002 kg/s",
                                       film='film_coefficient = "800 W/m^2/K"', length="20 m", pieces=10,
                                       extra="").replace('temperature = "10 degC"', 'temperature = "5 degC"'),
                           "tube.toml")
    r = solve(case)
    rec = r.loops["l"]
    assert rec["freezing_margin"][-1] < 0
    assert rec["frozen"][-1] > 0


@pytest.mark.parametrize("edit, key", [
    (('from = "b"\nto = "a"', 'from = "b"\nto = "c"'), "branches"),  # manifold a is never re-entered
    (('mass_flow = "0.02 kg/s"', 'mass_flow = "0 kg/s"'), "mass_flow"),
    (('inner_diameter = "6 mm"\nfilm', 'inner_diameter = "-6 mm"\nfilm'), "inner_diameter"),
    (('fluid = "water"', 'fluid = "mercury"'), "fluid"),
    (('branch = "back"', 'branch = "nowhere"'), "branch"),
])
def test_bad_loop_input_names_the_key(edit, key):
    text = TUBE.format(mode="steady", t_wall="60 degC", m_dot="0.02 kg/s", film='film_coefficient = "800 W/m^2/K"',
                       length="2 m", pieces=3, extra="")
    assert edit[0] in text
    with pytest.raises(CaseError) as exc:
        parse_case(text.replace(edit[0], edit[1]), "bad.toml")
    assert key in str(exc.value)


def test_frozen_initial_state_of_a_transient_is_an_error():
    text = TUBE.format(mode="transient", t_wall="60 degC", m_dot="0.02 kg/s", film="", length="2 m", pieces=3,
                       extra='[transient]\nend_time = "60 s"\ntime_step = "10 s"').replace(
        'initial_temperature = "20 degC"', 'initial_temperature = "-30 degC"')
    with pytest.raises(CaseError) as exc:
        solve(parse_case(text, "cold.toml"))
    assert "frozen" in str(exc.value) and "fluid" in str(exc.value)


def test_pump_that_cannot_meet_the_head_is_an_error():
    text = TUBE.format(mode="steady", t_wall="60 degC", m_dot="0.02 kg/s", film="", length="2 m", pieces=3, extra="")
    text = text.replace('mass_flow = "0.02 kg/s"', 'curve = [["0.1 L/min", "200 Pa"], ["1 L/min", "100 Pa"]]')
    with pytest.raises(ModelError) as exc:
        solve(parse_case(text, "weak.toml"))
    assert "cannot meet the loop's head" in str(exc.value)


@pytest.mark.jit_speed
def test_failed_branch_carries_no_flow_and_n_minus_1_lists_branches():
    """A failed radiator tube: no flow, its still fluid conducts with its wall, the other tube takes
    the whole radiator flow, energy still closes; a failure that cuts the radiator off is refused as
    having no steady state, naming the parts (not solved to 1e8 K through still fluid)."""
    from pathlib import Path

    from thermal.apps.failures import failure_candidates
    from thermal.input.overrides import case_text_with

    path = Path(__file__).parent.parent / "cases" / "four_gpu_pumped_loop.toml"
    text = path.read_text()
    case = parse_case(text, str(path))
    labels = [c[0] for c in failure_candidates(case)]
    assert labels == ["coolant.feed", "coolant.bypass", "coolant.tube_a", "coolant.tube_b", "coolant.return"]
    failed = parse_case(case_text_with(text, {"loops.coolant.branches.tube_a.failed": True}, str(path), create=True),
                        str(path))
    r = solve(failed)
    rec = r.loops["coolant"]
    flows = dict(zip(rec["branches"], rec["mass_flow"][-1]))
    assert flows["tube_a"] == 0.0
    assert flows["tube_b"] == pytest.approx(flows["feed"], rel=1e-12)
    assert abs(r.energy["balance_error"][-1]) <= 1e-10 * r.solution.energy[-1].scale_w
    cut = parse_case(case_text_with(text, {"loops.coolant.branches.return.failed": True}, str(path), create=True),
                     str(path))
    with pytest.raises(ModelError) as exc:
        solve(cut)
    assert "no steady state" in str(exc.value) and "coldplate" in str(exc.value)


def test_two_circuits_in_one_loop_are_refused():
    text = TUBE.format(mode="steady", t_wall="60 degC", m_dot="0.02 kg/s", film="", length="2 m", pieces=3, extra="")
    text += textwrap.dedent("""
    [loops.l.branches.c_to_d]
    from = "c"
    to = "d"
    inner_diameter = "6 mm"
    extra_length = "1 m"
    [loops.l.branches.d_to_c]
    from = "d"
    to = "c"
    inner_diameter = "6 mm"
    extra_length = "1 m"
    """)
    with pytest.raises(CaseError) as exc:
        parse_case(text, "two.toml")
    assert "do not close into one loop" in str(exc.value)


def test_pump_curve_and_volume_flow_pumps():
    """A fixed-speed pump settles where its curve meets the loop's losses; a volume-flow pump moves
    rho x V of the fluid at its outlet."""
    base = TUBE.format(mode="steady", t_wall="20 degC", m_dot="0.02 kg/s", film="", length="2 m", pieces=3,
                       extra="").replace('temperature = "10 degC"', 'temperature = "20 degC"')
    curve = base.replace('mass_flow = "0.02 kg/s"', 'curve = [["0.1 L/min", "60 kPa"], ["3 L/min", "10 kPa"]]')
    rec = solve(parse_case(curve, "curve.toml")).loops["l"]
    # the pump sees the fluid between 20 degC and 20 degC + its own heating P/(m cp)
    warming = rec["pump_power"][-1] / (rec["mass_flow"][-1][0] * rec["cp"][-1])
    heads = [np.interp(rec["mass_flow"][-1][0] / liquid_table("water").at(t)[0], [0.1 / 6e4, 3 / 6e4], [60e3, 10e3])
             for t in (293.15, 293.15 + warming)]
    assert min(heads) * (1 - 1e-9) <= rec["pump_head"][-1] <= max(heads) * (1 + 1e-9)
    rho = liquid_table("water").at(293.15)[0]
    assert rec["pump_head"][-1] == pytest.approx(rec["dp"][-1].sum(), rel=1e-9)  # rise = losses around the loop
    volume = base.replace('mass_flow = "0.02 kg/s"', 'volume_flow = "1.2 L/min"')
    rec = solve(parse_case(volume, "vol.toml")).loops["l"]
    assert rec["mass_flow"][-1][0] == pytest.approx(1.2 / 6e4 * rho, rel=1e-4)


@pytest.mark.parametrize("edit, words", [
    (('set_point = "25 degC"', 'set_point = "900 degC"'), ("set_point", "liquid range")),
    (('mass_flow = "0.04 kg/s"', 'mass_flow = "100 kg/s"'), ("m/s", "widen the tubes")),
])
def test_impossible_loop_operation_is_one_clear_error(edit, words):
    from pathlib import Path

    from thermal.errors import ThermalError

    text = (Path(__file__).parent.parent / "cases" / "four_gpu_pumped_loop.toml").read_text()
    assert edit[0] in text
    with pytest.raises(ThermalError) as exc:
        solve(parse_case(text.replace(edit[0], edit[1]), "bad.toml"))
    assert all(w in str(exc.value) for w in words)


def test_two_phase_piece_heat_against_the_ode():
    """The march through a piece's phases (kernel and numpy twin) against integrating
    m dtheta/ds = G (T_w - T(theta)) with the unrounded saturation map, for inflows in liquid,
    two-phase and vapour and walls above and below saturation (crossing zero, one or two boundaries)."""
    from scipy.integrate import solve_ivp

    from thermal import kernels
    from thermal.kernels import reference

    t_sat, th_f, th_g, s_l, s_v = 300.0, 300.0, 550.0, 1.02, 1.6

    def temperature(th):
        if th < th_f:
            return t_sat + s_l * (th - th_f)
        return t_sat if th <= th_g else t_sat + s_v * (th - th_g)

    for theta_in in (260.0, 299.0, 400.0, 549.9, 600.0):
        for t_w in (250.0, 290.0, 330.0, 420.0):
            for g in (0.5, 5.0, 80.0):
                m = 4.0
                sol = solve_ivp(lambda s, y: [g * (t_w - temperature(y[0])) / m], (0.0, 1.0), [theta_in],
                                rtol=1e-11, atol=1e-11, method="LSODA")
                exact = m * (sol.y[0, -1] - theta_in)
                q = kernels.uniform_wall_heat(theta_in, t_w, g, m, t_sat, th_f, th_g, s_l, s_v)
                q_ref = reference.uniform_wall_heat(theta_in, t_w, g, m, t_sat, th_f, th_g, s_l, s_v)
                assert q == pytest.approx(q_ref, rel=1e-12, abs=1e-9)
                assert q == pytest.approx(exact, rel=1e-6, abs=1e-6), (theta_in, t_w, g)
                # never past the wall: the fluid leaving is no hotter (colder) than a hot (cold) wall
                assert (q >= 0) == (t_w >= temperature(theta_in)) or abs(q) < 1e-12


@pytest.mark.parametrize("lagging", [0, 3])
@pytest.mark.parametrize("a,b,expect", [(-40.0, 2.0, "set-point"), (5.0, 2.0, "open"), (-40.0, 1e-4, "stop")])
def test_valve_search_finds_a_one_over_x_miss_fast_and_takes_only_tightly_settled_answers(a, b, expect, lagging):
    """The sensor's miss g(x) = a + b/x (the radiator's outlet near its own temperature: the heat it
    removes ~ 1/flow) is linear in u = 1/x, so the valve moved within the coefficients' passes needs
    few trials; whatever it returns (on the set-point, resting open, resting on the bypass stop) was
    settled to SETTLE_K.  With ``lagging`` the first passes' sensor readings are dominated by the
    coefficients' lag (falling as the valve closes, as no settled miss does): the joint iteration
    gives up and the bracketed search, which settles each trial, still lands on the answer."""
    from types import SimpleNamespace
    from thermal.solvers import loops as lp

    set_k = 300.0
    bypass = SimpleNamespace(source="split", target="merge")
    ln = SimpleNamespace(loop=SimpleNamespace(name="c", valve=SimpleNamespace(set_point_k=set_k, sensor="s",
                                                                              bypass_branch="bypass"),
                                              branch=lambda name: bypass),
                         manifold={"s": 0, "split": 1, "merge": 2})
    ls = SimpleNamespace(valve_position=1.0, valve_integral=1.0)
    calls, failed = [], []

    def reading(x, steered=False):
        lag = -30.0 / x if steered and len(calls) < lagging else 0.0
        calls.append(x)
        # from the split through the radiator to the merge the fluid falls by about dg/du (the heat
        # balance the first step takes its slope from; 20 % off, as the radiator's outlet drifts)
        return SimpleNamespace(t_k=[np.array([set_k + a + b / x + lag, set_k + 0.8 * b, set_k])], tol=lp.SETTLE_K)

    def settle(guess, tol_k=lp.SETTLE_K, steer=None):
        if steer is None:
            sol = reading(ls.valve_position)
            sol.tol = tol_k
            return sol
        for _ in range(lp.STEER_PASSES):
            sol = reading(ls.valve_position, steered=True)
            if steer.held(sol.t_k[0]):
                return sol
            if not steer.move():
                failed.append(True)
                raise lp._SteerFailed(sol)
        raise lp._SteerFailed(sol)

    sol = lp._valve_search(ln, ls, settle, None)
    g = sol.t_k[0][0] - set_k
    assert sol.tol == lp.SETTLE_K
    assert (len(calls) > lp.STEER_PASSES or failed) if lagging else not failed
    if expect == "set-point":
        assert abs(g) <= lp.SET_POINT_TOL_K and abs(ls.valve_position - b / -a) < 1e-3 * b / -a
        if not lagging:
            assert len(set(calls)) <= 4  # x = 1, the heat balance's step, then the exact line in u
    elif expect == "open":
        assert ls.valve_position == 1.0 and g > 0
    else:
        assert ls.valve_position == pytest.approx(lp.MIN_POSITION) and g < 0


