"""What the radiator's neighbourhood costs: the wing with and without the surfaces around it.

The repeating unit sizes the radiator as if it saw only space and the Earth.  Here the whole wing,
at the sized area, becomes one plate (the heat pipes spread the heat: the plate is made isothermal
by a very high in-plane conductivity) carrying the hot-case compute power, in the hot design orbit
with the end-of-life optics, in body axes with the sizing file's surfaces around it (solar arrays
with their own heat balance, bus walls, blockers).  Its orbit-average temperature alone, T_alone,
is what the unit sizing achieved.  With the neighbours the same wing runs hotter; the area is then
scaled (length and width by sqrt(s), the aspect kept) until the wing is back at T_alone (secant on
s, to 0.01 K).  s is the area penalty; the mass that scales with the radiator (panel, heat pipes)
scales with it.  An isothermal wing is the first-order model of a heat-pipe radiator: the unit
solve has the in-plane gradients, this adds what the neighbours do to its radiation.
"""
from __future__ import annotations

import math

import numpy as np

from thermal.apps.sizing.solve_cache import cached_solve
from thermal.errors import ThermalError
from thermal.input.case_file import parse_case

T_TOL_K = 0.01
MAX_STEPS = 12


def _q(value: float, unit: str = "m") -> str:
    return f'"{float(value)!r} {unit}"'


def wing_case_text(spec, env, area_m2: float, power_w: float, neighbours: bool) -> str:
    nb = spec.neighbourhood
    length = math.sqrt(area_m2 * nb.aspect)
    width = area_m2 / length
    origin = np.asarray(nb.root_m) - 0.5 * width * np.asarray(nb.y_axis)
    env_src = spec.hot if env.which == "hot" else spec.cold
    px, py = nb.patches
    lines = ["[case]", f'name = "{spec.name}_wing"', 'mode = "steady"', "",
             "[solver]", f"initial_temperature = {_q(spec.target_k - 30.0, 'K')}", "",
             "[orbit]", f"altitude = {_q(spec.orbit.altitude_m)}", f'beta = "{math.degrees(env.beta_rad)!r} deg"',
             f'attitude = "{spec.orbit.attitude}"', f'shadow = "{spec.orbit.shadow}"',
             f"solar_constant = {_q(env_src.solar_constant_w_m2, 'W/m2')}", f"albedo = {float(env_src.albedo)!r}",
             f"earth_ir = {_q(env_src.earth_ir_w_m2, 'W/m2')}"]
    for key in ("pointing", "align"):
        value = getattr(spec.orbit, key)
        if value is not None:
            lines.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {[float(v) for v in value]!r}")
    lines += ["", spec.materials_text,
              "[materials.spread_wing]", 'rho = "1000 kg/m3"', 'k = "1e7 W/m/K"', 'cp = "900 J/kg/K"', "",
              "[coatings.radiator_coating]", f'base = "{spec.coating}"', f"alpha = {float(env.alpha)!r}",
              f"eps = {float(env.eps)!r}", "",
              "[panels.wing]", f"size = [{_q(length)}, {_q(width)}]", f"cells = [{max(px, 8)}, {max(py, 4)}]", "",
              "[[panels.wing.layers]]", 'name = "plate"', 'material = "spread_wing"', 'thickness = "10 mm"', "",
              "[panels.wing.footprints.compute]", f"center = [{_q(length / 2)}, {_q(width / 2)}]",
              f"size = [{_q(length)}, {_q(width)}]", f'power = "{float(power_w)!r} W"', "",
              "[panels.wing.faces.top]", 'coating = "radiator_coating"', f"patches = [{px}, {py}]", ""]
    if spec.sides == 2:
        lines += ["[panels.wing.faces.bottom]", 'coating = "radiator_coating"', f"patches = [{px}, {py}]", ""]
    lines += ["[panels.wing.placement]", f"origin = [{', '.join(_q(v) for v in origin)}]",
              f"x_axis = {[float(v) for v in nb.x_axis]!r}", f"y_axis = {[float(v) for v in nb.y_axis]!r}", ""]
    if neighbours:
        lines += [nb.surfaces_text, nb.radiation_text]
    else:
        lines += ["[radiation]"]
    return "\n".join(lines) + "\n"


def _wing(spec, env, area, power, neighbours):
    text = wing_case_text(spec, env, area, power, neighbours)
    case = parse_case(text, f"<{spec.name} wing{' with neighbourhood' if neighbours else ''}>")
    try:
        result = cached_solve(case)
    except ThermalError as exc:
        raise ThermalError(f"{spec.file}: [neighbourhood]: the wing at {area:.4g} m2 with its neighbours could not "
                           f"be solved: {exc}") from None
    t = result.fields["wing"][-1]
    return float(np.nanmean(t)), result, text


def neighbourhood_penalty(spec, env, area_m2: float, power_w: float, progress=None) -> dict:
    """Area factor s that brings the wing with its neighbours back to the temperature it has alone."""
    t_alone, alone, _ = _wing(spec, env, area_m2, power_w, False)
    t_near, near, text = _wing(spec, env, area_m2, power_w, True)
    curve = [(1.0, t_near)]
    # T ~ (P / (eps sigma A))^(1/4): the first guess for the area that takes back the rise
    s_prev, f_prev = 1.0, t_near - t_alone
    s = (t_near / t_alone) ** 4
    result, t_s = near, t_near
    for _ in range(MAX_STEPS):
        t_s, result, text = _wing(spec, env, s * area_m2, power_w, True)
        curve.append((s, t_s))
        if progress:
            progress(f"neighbourhood: area x {s:.4f}: wing {t_s - 273.15:.2f} degC (alone {t_alone - 273.15:.2f} degC)")
        f = t_s - t_alone
        if abs(f) <= T_TOL_K:
            break
        if f == f_prev:
            break
        s, s_prev, f_prev = s - f * (s - s_prev) / (f - f_prev), s, f
        s = max(s, 0.5 * s_prev)
    else:
        raise ThermalError(f"{spec.file}: [neighbourhood]: the area search did not bring the wing back to "
                           f"{t_alone - 273.15:.2f} degC in {MAX_STEPS} steps (last {t_s - 273.15:.2f} degC)")
    alone_curve = [(c, _wing(spec, env, c * area_m2, power_w, False)[0]) for c in sorted({1.0, s, 0.5 * (1 + s)})]
    rad = near.radiation
    names = rad["surfaces"]
    wing_faces = [i for i, n in enumerate(names) if n.startswith("wing.")]
    series = rad["series"]
    returned = {n: float(-series["net_to_w"][-1][wing_faces, j].sum()) for j, n in enumerate(names)
                if j not in wing_faces}
    return {"area_factor": s, "t_alone_k": t_alone, "t_with_k": t_near, "returned_w": returned,
            "electrical_w": dict(zip(rad["arrays"], series["electrical_w"][-1])), "curve": curve,
            "alone_curve": alone_curve, "case_text": text, "result_near": near, "result_alone": alone}
