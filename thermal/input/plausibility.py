"""Plausibility warnings: inputs that are legal but unlike any spacecraft radiator ("8 furlongs" of
panel, ε = 0 on every face, a sink below the cosmic background).  They do not stop the run (a
study may mean them); they are printed before the solve and echoed in the summary, each naming the
key and saying why it looks wrong.  The bounds are generous: a warning is a likely typo, not a
design review."""
from __future__ import annotations

MAX_PANEL_M = 100.0  # the ISS radiators are ~23 m x 3.6 m wings
MIN_PANEL_M = 1e-3
MAX_FLUX_W_M2 = 5e6  # 500 W/cm2 through a footprint: well beyond today's accelerators (~100 W/cm2)
MAX_POWER_W = 50e6  # a 50 MW module
COSMIC_BACKGROUND_K = 2.7
MAX_SINK_K = 400.0  # a sink hotter than a sunlit white radiator
T_RANGE_K = (100.0, 1000.0)  # initial temperatures and junction limits outside: a unit slip (K for degC)?


def plausibility_warnings(case) -> list[str]:
    out = []
    total_w = 0.0
    for p in case.panels:
        for axis, length in (("x", p.length_x_m), ("y", p.length_y_m)):
            if length > MAX_PANEL_M or length < MIN_PANEL_M:
                out.append(f"panels.{p.name}.size: {length:.4g} m along {axis} (a spacecraft panel is between "
                           f"{MIN_PANEL_M * 1e3:g} mm and {MAX_PANEL_M:g} m)")
        for fp in p.footprints:
            total_w += abs(fp.power_w)
            if fp.area_m2 > 0 and fp.power_w / fp.area_m2 > MAX_FLUX_W_M2:
                out.append(f"panels.{p.name}.footprints.{fp.name}.power: {fp.power_w / fp.area_m2 / 1e4:.4g} W/cm2 through "
                           f"the footprint (today's accelerators are ~100 W/cm2)")
            if fp.junction_limit_k is not None and not T_RANGE_K[0] < fp.junction_limit_k < T_RANGE_K[1]:
                out.append(f"panels.{p.name}.footprints.{fp.name}.junction_limit: {fp.junction_limit_k:.4g} K "
                           "(a unit slip? write \"85 degC\")")
    total_w += sum(abs(n.power_w) for n in case.nodes)
    if total_w > MAX_POWER_W:
        out.append(f"total power {total_w / 1e6:.4g} MW (more than a {MAX_POWER_W / 1e6:g} MW module)")
    if not COSMIC_BACKGROUND_K <= case.t_sink_k <= MAX_SINK_K:
        out.append(f"environment.t_sink: {case.t_sink_k:.4g} K (deep space is ~3 K; the cosmic background "
                   f"{COSMIC_BACKGROUND_K} K is the least there is)")
    if not T_RANGE_K[0] < case.solver.initial_t_k < T_RANGE_K[1]:
        out.append(f"solver.initial_temperature: {case.solver.initial_t_k:.4g} K (a unit slip? write \"20 degC\")")
    out += _optics(case)
    return out


def _optics(case) -> list[str]:
    faces = [(f"panels.{p.name}.faces.{side}", face) for p in case.panels for side, face in p.faces.items()]
    if not faces or case.mode == "steady":
        return []  # a steady case with heat and no way out is refused before Newton, naming the parts
    eps = [case.coatings[face.coating].eps for _, face in faces if face.coating in case.coatings]
    if eps and max(eps) <= 0.0 and not case.louvers:
        return ["every face has emittance 0: no panel radiates, heat leaves only through fixed-temperature nodes"]
    return []
