"""The first estimate: closed forms a thermal engineer can redo by hand.

* Design environments: the beta angle over the year that makes the radiator absorb most (hot case)
  and least (cold case), with the orbit-average incident fluxes on each radiating face (exact view
  factors, thermal/physics/orbit.py).
* Net rejection of an isothermal panel: n_sides eps sigma (T^4 - T_sink^4) - absorbed.
* A chip's thermal chain, each drop a closed form: die and TIM conduction (1-D), spreading in the
  cold plate (series solution, isothermal base at the pipes), evaporator and condenser films
  (conductance per length x length), then the radiator as radiating fins between pipes at the
  pitch (solve_bvp), with the absorbed flux folded into an effective sink temperature.
The field solver then checks and corrects this on a repeating unit (thermal/sizing.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import minimize_scalar

from thermal.model.heat_pipe import HeatPipe, Section
from thermal.constants import DEFAULT_T_SINK_K, SIGMA_W_M2K4
from thermal.physics.manifolds import ladder_flows, power_law_unit
from thermal.physics import analytic, channel_flow
from thermal.physics.coolants import liquid_table
from thermal.physics.fluids import saturation
from thermal.physics.heat_pipes import film_conductance_w_mk, transport_limits, wick_properties
from thermal.physics.orbit import R_EARTH_M, OrbitGeometry, beta_through_year, eclipse_fraction



def face_normals(spec) -> np.ndarray:
    n = np.asarray(spec.normal, float)
    return np.vstack([n, -n]) if spec.sides == 2 else n[None, :]


def candidate_betas(orbit) -> np.ndarray:
    if orbit.inclination_rad is None:
        return np.array([orbit.beta_rad])
    _, beta = beta_through_year(orbit.altitude_m, orbit.inclination_rad, orbit.raan_rad, orbit.date, 365, 5.0)
    return np.asarray(beta)


def orbit_average_fluxes(orbit, env, beta, normals, samples=180):
    """(mean solar+albedo per face, mean IR per face, eclipse fraction) over one orbit at ``beta``."""
    g = OrbitGeometry(orbit.altitude_m, float(beta), env.solar_constant_w_m2, env.earth_ir_w_m2, env.albedo,
                      orbit.shadow)
    ts = (np.arange(samples) + 0.5) * g.period_s / samples
    solar, ir, _ = g.face_fluxes_over(ts, normals, orbit.attitude, orbit.pointing, orbit.align)
    return solar.mean(axis=0), ir.mean(axis=0), eclipse_fraction(orbit.altitude_m, float(beta))


@dataclass
class DesignEnvironment:
    which: str
    beta_rad: float
    q_solar_w_m2: np.ndarray  # per radiating face, orbit average
    q_ir_w_m2: np.ndarray
    eclipse_fraction: float
    alpha: float
    eps: float

    @property
    def absorbed_per_face_w_m2(self) -> np.ndarray:
        return self.alpha * self.q_solar_w_m2 + self.eps * self.q_ir_w_m2

    @property
    def effective_sink_k(self) -> float:
        """The sink that gives the same net exchange: eps sigma T_eff^4 = eps sigma T_sink^4 + mean absorbed."""
        return (DEFAULT_T_SINK_K**4 + float(np.mean(self.absorbed_per_face_w_m2)) / (self.eps * SIGMA_W_M2K4)) ** 0.25


def design_environment(spec, which: str) -> DesignEnvironment:
    """Hot: end-of-life optics, hot fluxes, the beta of the year that makes the radiator absorb most.
    Cold: beginning-of-life optics, cold fluxes, the beta that absorbs least (ties: longest eclipse)."""
    env = spec.hot if which == "hot" else spec.cold
    alpha, eps = (spec.alpha_eol, spec.eps_eol) if which == "hot" else (spec.alpha_bol, spec.eps_bol)
    normals = face_normals(spec)
    betas = np.unique(np.round(candidate_betas(spec.orbit), 4))
    best = None
    for beta in betas:
        qs, qi, ecl = orbit_average_fluxes(spec.orbit, env, beta, normals)
        absorbed = float(np.sum(alpha * qs + eps * qi))
        key = absorbed if which == "hot" else (-absorbed, ecl)
        if best is None or key > best[0]:
            best = (key, beta, qs, qi, ecl)
    _, beta, qs, qi, ecl = best
    return DesignEnvironment(which, float(beta), qs, qi, ecl, alpha, eps)


def isothermal_panel_net_w_m2(t_k: float, env: DesignEnvironment) -> float:
    """Net heat rejected per m2 of panel by an isothermal panel radiating from its faces."""
    n = env.q_solar_w_m2.size
    return float(n * env.eps * SIGMA_W_M2K4 * (t_k**4 - DEFAULT_T_SINK_K**4) - np.sum(env.absorbed_per_face_w_m2))


@dataclass
class Estimate:
    length_m: float  # radiator length along the pipes, per repeating unit
    width_m: float  # pipes per chip x pitch
    area_per_chip_m2: float
    area_m2: float  # total panel area
    t_base_k: float  # radiator temperature at the pipe line
    t_fin_tip_k: float
    fin_efficiency: float
    drops_k: dict  # die, tim, spreading, evaporator, condenser
    q_net_w_m2: float
    mass_kg: dict
    pipe_limit_w: float  # capillary-governed limit per pipe at the vapour temperature
    pipe_load_w: float
    film_w_mk: float
    t_radiative_mean_k: float = 0.0  # (mean of T^4 over the fin)^(1/4), from the fin efficiency


def pipe_for(spec, length_m: float):
    """A HeatPipe object of the sizing's pipe design for a radiator of ``length_m``."""
    sections = (Section("coldplate", "plate", "evaporator", ((0.0, 0.0), (spec.plate_x_m, 0.0)), ""),
                Section("radiator", "sheet", "condenser", ((0.0, 0.0), (0.0, length_m)), ""))
    return HeatPipe("hp", spec.fluid, spec.outer_diameter_m, spec.vapour_diameter_m, spec.wall_material, spec.wick,
                    sections, spec.outer_diameter_m, None, None, None, 0.0, 0.0, False, "",
                    spec.adiabatic_length_m)


def areal_density_kg_m2(spec, materials) -> float:
    return 2 * spec.facesheet_m * materials[spec.facesheet].rho_kg_m3 + spec.core_m * materials[spec.core].rho_kg_m3


def masses(spec, materials, length_m: float, pipe) -> dict:
    """Mass of the whole system [kg]: radiator panel, heat pipes (wall + liquid charge), cold plates
    (a pumped loop: its tubes, headers, fluid, pumps and accumulator instead of the pipes)."""
    if spec.architecture == "pumped_loop":
        return loop_masses(spec, materials, length_m)
    n = spec.chips
    area = n * spec.pipes_per_chip * spec.pipe_pitch_m * length_m
    panel = area * areal_density_kg_m2(spec, materials)
    wall = materials[spec.wall_material]
    sat = saturation(spec.fluid, 293.15)
    wick = wick_properties(pipe, sat.k_l, wall.k_inplane(293.15))
    per_m = pipe.wall_area_m2 * wall.rho_kg_m3 + wick.area_m2 * sat.rho_l
    pipes = n * spec.pipes_per_chip * pipe.total_length_m * per_m
    plates = n * spec.plate_x_m * spec.plate_y_m * spec.plate_m * materials[spec.plate].rho_kg_m3
    return {"panel": panel, "heat_pipes": pipes, "cold_plates": plates, "total": panel + pipes + plates}


def stack_drops_k(spec, materials, t_k: float, power_w: float) -> dict:
    """Die and TIM (1-D conduction) and cold-plate spreading (series solution, isothermal base at
    the pipes) temperature drops [K] of one chip, with conductivities at ``t_k``."""
    area = spec.die_x_m * spec.die_y_m
    k_plate = materials[spec.plate].k_inplane(t_k)
    contacts = 2.0 / spec.tim_contact_w_m2k if spec.tim_contact_w_m2k else 0.0  # die/TIM and TIM/plate faces
    return {"die": power_w * spec.die_m / (materials["silicon"].k_through(t_k) * area),
            "tim": power_w * (spec.tim_m / materials[spec.tim].k_through(t_k) + contacts) / area,
            "spreading": power_w * analytic.spreading_resistance_isothermal_base(
                spec.die_x_m, spec.die_y_m, spec.plate_x_m, spec.plate_y_m, spec.plate_m, k_plate, terms=400)}


def film_w_mk(spec, materials, t_k: float) -> float:
    """Host-to-vapour conductance per length of the sizing's pipe (the film, and the saddle bond in
    series when given), fluid at ``t_k`` (kept in 200-400 K for the properties: a first estimate only
    needs their trend)."""
    pipe = pipe_for(spec, 1.0)
    sat = saturation(spec.fluid, min(max(t_k, 200.0), 400.0))
    k_wall = materials[spec.wall_material].k_inplane(sat.t_k)
    g = film_conductance_w_mk(pipe, wick_properties(pipe, sat.k_l, k_wall), k_wall)
    if spec.saddle_w_m2k:  # the bond in series, over the saddle's width (the outer diameter)
        g = 1.0 / (1.0 / g + 1.0 / (spec.saddle_w_m2k * spec.outer_diameter_m))
    return g


def estimate(spec, materials, env: DesignEnvironment, target_k: float, power_w: float) -> Estimate:
    """Radiator length per repeating unit so the junction sits at ``target_k`` with ``power_w`` per chip."""
    if spec.architecture == "pumped_loop":
        return estimate_loop(spec, materials, env, target_k, power_w)
    n_p = spec.pipes_per_chip
    drops = stack_drops_k(spec, materials, target_k, power_w)
    q_pipe = power_w / n_p

    def films(length):
        g = film_w_mk(spec, materials, target_k - sum(drops.values()))
        drops["evaporator"] = q_pipe / (g * spec.plate_x_m)
        drops["condenser"] = q_pipe / (g * length)
        return g

    fin = _radiator_length(spec, materials, env, target_k, power_w, drops, films)
    if fin is None:
        return None  # the chain alone uses up the margin to the sink: no length works
    length, t_base, eff, t_tip, g = fin
    t_eff = env.effective_sink_k
    pipe = pipe_for(spec, length)
    sat = saturation(spec.fluid, min(max(t_base + drops["condenser"], 200.0), 400.0))
    limit = min(transport_limits(pipe, sat, materials[spec.wall_material].k_inplane(sat.t_k)).values())
    area_chip = n_p * spec.pipe_pitch_m * length
    t_rm = (t_eff**4 + eff * (t_base**4 - t_eff**4)) ** 0.25
    return Estimate(length, n_p * spec.pipe_pitch_m, area_chip, area_chip * spec.chips, t_base, t_tip,
                    eff, drops, power_w / area_chip, masses(spec, materials, length, pipe), limit, q_pipe, g, t_rm)


def _radiator_length(spec, materials, env, target_k, power_w, drops, films):
    """The radiator length per unit that rejects ``power_w`` with the junction at ``target_k``:
    ``films(length)`` writes the film drops (they depend on the length) into ``drops`` and returns
    the condenser-side conductance per length; then a radiating fin each side of each pipe or tube
    from the base temperature that leaves (shooting solution, absorbed flux as an effective sink),
    iterated on the length.  Returns (length, t_base, fin efficiency, t_tip, g) or None when the
    chain alone reaches the sink."""
    k_face = materials[spec.facesheet].k_inplane(target_k)
    kt = k_face * 2 * spec.facesheet_m  # both facesheets conduct along the fin
    half = 0.5 * spec.pipe_pitch_m
    t_eff = env.effective_sink_k
    length = 1.0
    for _ in range(30):
        g = films(length)
        t_base = target_k - sum(drops.values())
        if t_base <= t_eff:
            return None
        # one-sided: the same ODE with twice the thickness
        thick = kt / k_face if spec.sides == 2 else 2 * kt / k_face
        q_per_len, eff, t_tip = analytic.radiating_fin_first_integral(half, thick, k_face, env.eps, t_base, t_eff)
        q_per_len = q_per_len * (1.0 if spec.sides == 2 else 0.5)
        new = power_w / (spec.pipes_per_chip * 2 * q_per_len)
        if abs(new - length) <= 1e-9 * new:
            return new, t_base, eff, t_tip, g
        length = new
    return length, t_base, eff, t_tip, g


def hand_check_net_flux(t_k: float, eps: float, alpha: float, altitude_m: float, earth_ir_w_m2: float,
                        albedo_w_m2: float = 0.0) -> tuple[float, float]:
    """The README's hand calculation: a two-sided isothermal panel edge-on to the Sun with both faces
    vertical (perpendicular to the nadir): view factor of each face to the Earth from the closed form
    for a plate perpendicular to the radius, F = (atan(1/x) - x/H^2)/pi with H = r/R, x = sqrt(H^2 - 1).
    Returns (F, net W/m2).  ``albedo_w_m2``: the orbit-average albedo incident on a face (0 on a
    terminator orbit, beta = 90 deg)."""
    h = (R_EARTH_M + altitude_m) / R_EARTH_M
    x = math.sqrt(h * h - 1.0)
    f = (math.atan(1.0 / x) - x / (h * h)) / math.pi
    net = 2 * eps * SIGMA_W_M2K4 * (t_k**4 - DEFAULT_T_SINK_K**4) - 2 * (eps * earth_ir_w_m2 * f + alpha * albedo_w_m2)
    return f, net


def choose_pitch(spec, materials, env: DesignEnvironment, power_w: float):
    """The pipe pitch in ``spec.pitch_range_m`` with the least estimated system mass.

    A wider pitch means fewer pipe-metres per square metre but a less efficient fin, hence more
    area. The estimate's mass is smooth in the pitch, so a log-spaced scan (32 pitches) followed by a
    bounded scalar minimisation (scipy) between the best point's neighbours finds the minimum. Pitches whose
    pipes would exceed their transport limit, or whose radiator would be longer than max_length, are
    infeasible. Returns (spec with that pitch, [(pitch, mass, area), ...] of the scan), or (None, scan)
    when no pitch in the range works."""
    lo, hi = spec.pitch_range_m

    def mass_at(pitch):
        v = replace(spec, pipe_pitch_m=float(pitch))
        est = estimate(v, materials, env, v.target_k, power_w)
        if est is None or est.pipe_load_w > est.pipe_limit_w or est.length_m > spec.max_length_m:
            return math.inf, math.nan
        return est.mass_kg["total"], est.area_m2

    grid = np.geomspace(lo, hi, 32)
    scan = [(float(p), *mass_at(p)) for p in grid]
    masses_ = np.array([m for _, m, _ in scan])
    if not np.isfinite(masses_).any():
        return None, scan
    i = int(np.argmin(masses_))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    refined = minimize_scalar(lambda p: mass_at(p)[0], bounds=(a, b), method="bounded",
                              options={"xatol": 1e-3 * a})
    best = refined.x if refined.fun <= masses_[i] else grid[i]
    return replace(spec, pipe_pitch_m=float(best)), scan


# --- the pumped-loop architecture -------------------------------------------------------------------

def loop_flow_kg_s(spec) -> float:
    """Coolant flow per chip: the chip's full (hot-case) power raises it by ``coolant_rise``."""
    loop = spec.loop
    cp = float(liquid_table(loop.fluid, loop.concentration).at(spec.target_k - 30.0)[1])
    return spec.chip_power_w * spec.hot_power_factor / (cp * loop.coolant_rise_k)


def bore_length_m(spec) -> float:
    """The serpentine bore through a cold plate: one pass across it per radiator tube."""
    return spec.pipes_per_chip * (spec.plate_x_m - 0.01)


def _film_per_length(loop, m_dot, d_m, heated_m, t_k) -> float:
    """Mean film conductance per length [W/(m K)] of a channel of ``heated_m`` (Gnielinski)."""
    rho, cp, mu, k = liquid_table(loop.fluid, loop.concentration).at(t_k)
    re = float(channel_flow.reynolds(m_dot, mu, d_m))
    nu = float(channel_flow.mean_nusselt(re, mu * cp / k, d_m / heated_m))
    return math.pi * k * nu


def estimate_loop(spec, materials, env: DesignEnvironment, target_k: float, power_w: float) -> Estimate:
    """The loop's chain: die, TIM, spreading into the bore (isothermal base), the bore's film, half
    the coolant rise (the chip sits over the mean fluid), the radiator tubes' film, then fins between
    the tubes from the mean fluid temperature (the rise along a tube is ``coolant_rise``; its mean is
    what the fin sees, to first order)."""
    loop, n = spec.loop, spec.pipes_per_chip
    m_chip = loop_flow_kg_s(spec)
    drops = stack_drops_k(spec, materials, target_k, power_w)
    bore = bore_length_m(spec)
    t_fluid = target_k - sum(drops.values())
    drops["bore film"] = power_w / (_film_per_length(loop, m_chip, loop.channel_m, bore, t_fluid) * bore)
    drops["coolant rise / 2"] = 0.5 * loop.coolant_rise_k * power_w / (spec.chip_power_w * spec.hot_power_factor)

    def films(length):
        t_mean = target_k - sum(v for k, v in drops.items() if k != "condenser")
        g = _film_per_length(loop, m_chip / n, loop.tube_inner_m, length, t_mean)
        drops["condenser"] = power_w / n / (g * length)
        return g

    fin = _radiator_length(spec, materials, env, target_k, power_w, drops, films)
    if fin is None:
        return None
    length, t_base, eff, t_tip, g = fin
    t_eff = env.effective_sink_k
    area_chip = n * spec.pipe_pitch_m * length
    t_rm = (t_eff**4 + eff * (t_base**4 - t_eff**4)) ** 0.25
    return Estimate(length, n * spec.pipe_pitch_m, area_chip, area_chip * spec.chips, t_base, t_tip, eff, drops,
                    power_w / area_chip, loop_masses(spec, materials, length), math.inf, power_w / n, g, t_rm)


def header_drop_pa(m_in_kg_s: float, length_m: float, d_m: float, rho: float, mu: float, points: int = 400) -> float:
    """Friction drop [Pa] along a header that hands its flow out (or gathers it) evenly over its
    length: the flow falls linearly from ``m_in`` to 0, Churchill's friction at each local Reynolds
    number, integrated by the midpoint rule (laminar closed form 16 mu v0 L / D^2 to 1e-5 at 400
    points).  Momentum recovery at the branch take-offs is left out (it lowers the supply header's
    drop: this is the upper bound)."""
    x = (np.arange(points) + 0.5) / points
    m = m_in_kg_s * (1.0 - x)
    area = 0.25 * math.pi * d_m * d_m
    f = channel_flow.churchill_friction(channel_flow.reynolds(m, mu, d_m))
    return float(np.mean(f * length_m / d_m * m * m / (2.0 * rho * area * area)))


def header_hydraulics(spec, unit_dp_pa: float) -> dict:
    """The two headers along the radiator's root at the design flow: their drop (evenly handed out,
    ``header_drop_pa``), the pumping it adds, and the flow each unit gets when the headers' drops
    are solved with the units' (physics/manifolds.py: a march along the headers with Churchill's
    friction per segment at its own flow, each unit's drop going as its flow^n through the design
    point, n = 1 laminar, 1.75 turbulent in its tubes; same-end or reverse-return connections).
    ``unit_flow_fraction``: per unit (first at the inlet end), of the design flow."""
    loop = spec.loop
    rho, _, mu, _ = (float(v) for v in liquid_table(loop.fluid, loop.concentration).at(spec.target_k - 30.0))
    m_chip = loop_flow_kg_s(spec)
    width = spec.chips * spec.pipes_per_chip * spec.pipe_pitch_m
    drop = 2.0 * header_drop_pa(spec.chips * m_chip, width, loop.header_inner_m, rho, mu)
    re_tube = float(channel_flow.reynolds(m_chip / spec.pipes_per_chip, mu, loop.tube_inner_m))
    n = 1.0 if re_tube < 2300.0 else 1.75
    fractions = np.ones(spec.chips)
    if unit_dp_pa > 0.0 and spec.chips > 1:
        segment_m = width / spec.chips

        def segment_dp(m):
            return channel_flow.pressure_drop_pa(m, rho, mu, loop.header_inner_m, segment_m)

        unit_dp, unit_flow = power_law_unit(m_chip, unit_dp_pa, n)
        fractions = ladder_flows(spec.chips * m_chip, spec.chips, unit_dp, unit_flow, segment_dp,
                                 loop.header_layout) / m_chip
    return {"drop_pa": drop, "pump_w": spec.chips * m_chip * drop / (rho * loop.pump_efficiency),
            "unit_flow_fraction": fractions, "worst_fraction": float(fractions.min()),
            "far_unit_shortfall": 1.0 - float(fractions.min()), "tube_re": re_tube, "layout": loop.header_layout,
            "velocity_m_s": spec.chips * m_chip / (rho * 0.25 * math.pi * loop.header_inner_m ** 2)}


def loop_masses(spec, materials, length_m: float) -> dict:
    """Panel; tubes (radiator tubes, a feed and a return run of ``transfer_length`` per chip, two
    headers along the radiator's root with the tubes' wall thickness); the fluid in all of them and in
    the bores; the pumps and accumulator as given; cold plates."""
    loop, n, chips = spec.loop, spec.pipes_per_chip, spec.chips
    wall = materials[spec.wall_material].rho_kg_m3
    rho = float(liquid_table(loop.fluid, loop.concentration).at(spec.target_k - 30.0)[0])
    t_wall = 0.5 * (spec.outer_diameter_m - loop.tube_inner_m)
    ring = lambda d: math.pi * ((d / 2 + t_wall) ** 2 - (d / 2) ** 2)  # noqa: E731
    bore = lambda d: 0.25 * math.pi * d * d  # noqa: E731
    width = chips * n * spec.pipe_pitch_m  # the radiator's root: the headers run along it
    tubes_m = chips * n * length_m
    transfer_m = chips * 2 * spec.adiabatic_length_m
    tubes = (tubes_m + transfer_m) * ring(loop.tube_inner_m) * wall + 2 * width * ring(loop.header_inner_m) * wall
    fluid = rho * ((tubes_m + transfer_m) * bore(loop.tube_inner_m) + 2 * width * bore(loop.header_inner_m)
                   + chips * bore_length_m(spec) * bore(loop.channel_m))
    panel = chips * n * spec.pipe_pitch_m * length_m * areal_density_kg_m2(spec, materials)
    plates = chips * spec.plate_x_m * spec.plate_y_m * spec.plate_m * materials[spec.plate].rho_kg_m3
    pumps = loop.pump_mass_kg + loop.accumulator_mass_kg
    return {"panel": panel, "loop_tubes": tubes, "loop_fluid": fluid, "pumps_accumulator": pumps,
            "cold_plates": plates, "total": panel + tubes + fluid + pumps + plates}
