"""Constant-conductance heat pipes: case input, wick models, film conductances, transport limits.

A pipe is one vapour node joined to a chain of wall nodes laid along its path through the host
layer of one or more panels (network.py builds them).  This module holds the physics that does not
depend on the grid:

* wick geometry -> effective capillary radius r_eff, permeability K, liquid flow area A_w, the
  effective radial conductivity of the liquid-filled wick and the pore radius seen by the vapour
  (entrainment).  Correlations: Chi, *Heat Pipe Theory and Practice* (1976); Faghri, *Heat Pipe
  Science and Technology* (1995); Reay, Kew & McGlen, *Heat Pipes* (6th ed., 2014), ch. 2-3.
* the five transport limits at the vapour temperature (capillary, viscous, sonic, entrainment,
  boiling) in the textbook forms of those references;
* the evaporator and condenser film conductances per unit length, from the case or from the wick
  (radial conduction through the liquid-filled wick and the wall).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .case import Table
from .errors import CaseError
from .fluids import FLUIDS, Saturation, saturation

G0_M_S2 = 9.80665
NUCLEATION_RADIUS_M = 2.54e-7  # Chi (1976): the usual conservative nucleation site radius
SCREEN_CRIMP = 1.05  # Chi's crimping factor for woven screen
DRY_FRACTION = 1e-6  # the smallest wetted fraction of a dried-out evaporator (its film conductance floor)
ROLES = ("evaporator", "adiabatic", "condenser")
WICKS = ("grooves", "screen", "sintered", "custom")


@dataclass(frozen=True, slots=True)
class Section:
    panel: str
    layer: str
    role: str
    path_m: tuple  # ((x, y), ...) polyline in the panel's plane
    key: str

    @property
    def length_m(self) -> float:
        return sum(math.dist(a, b) for a, b in zip(self.path_m[:-1], self.path_m[1:]))


@dataclass(frozen=True, slots=True)
class Wick:
    kind: str
    # grooves
    count: int = 0
    width_m: float = 0.0
    depth_m: float = 0.0
    # screen / sintered
    mesh_per_m: float = 0.0
    wire_diameter_m: float = 0.0
    particle_diameter_m: float = 0.0
    porosity: float = 0.0
    thickness_m: float = 0.0
    # custom (vendor data)
    pore_radius_m: float = 0.0
    permeability_m2: float = 0.0
    area_m2: float = 0.0
    k_eff_w_mk: float = 0.0
    surface_pore_radius_m: float = 0.0


@dataclass(frozen=True, slots=True)
class HeatPipe:
    name: str
    fluid: str
    outer_diameter_m: float
    vapour_diameter_m: float
    wall_material: str
    wick: Wick
    sections: tuple[Section, ...]
    saddle_width_m: float
    saddle_w_m2k: float | None  # bond pipe -> host per area of the saddle strip; None = the host cell alone
    film_evaporator_w_mk: float | None  # per unit length; None = from the wick and fluid
    film_condenser_w_mk: float | None
    gravity_m_s2: float  # 0 in orbit; 9.81 for a ground test
    tilt_rad: float  # evaporator above the condenser by L sin(tilt) (adverse)
    failed: bool
    key: str
    adiabatic_length_m: float = 0.0  # a run between panels outside any panel (counted in L_eff and mass)

    def length_by_role(self) -> dict:
        out = {r: 0.0 for r in ROLES}
        for s in self.sections:
            out[s.role] += s.length_m
        out["adiabatic"] += self.adiabatic_length_m
        return out

    @property
    def effective_length_m(self) -> float:
        lengths = self.length_by_role()
        return lengths["adiabatic"] + 0.5 * (lengths["evaporator"] + lengths["condenser"])

    @property
    def total_length_m(self) -> float:
        return sum(self.length_by_role().values())

    @property
    def r_vapour_m(self) -> float:
        return 0.5 * self.vapour_diameter_m

    @property
    def r_wick_outer_m(self) -> float:
        w = self.wick
        if w.kind == "grooves":
            return self.r_vapour_m + w.depth_m
        return self.r_vapour_m + w.thickness_m

    @property
    def wall_area_m2(self) -> float:
        """Metal cross-section for axial conduction and mass: wall plus groove lands."""
        ro, rw = 0.5 * self.outer_diameter_m, self.r_wick_outer_m
        area = math.pi * (ro * ro - rw * rw)
        if self.wick.kind == "grooves":
            area += math.pi * (rw * rw - self.r_vapour_m ** 2) - self.wick.count * self.wick.width_m * self.wick.depth_m
        return area


# ---------------------------------------------------------------------------------------------
# Parsing (called from case.parse_case; geometry checks against the panels happen here too)


def parse_heat_pipes(root: Table, panels, materials) -> tuple[HeatPipe, ...]:
    panel_by_name = {p.name: p for p in panels}
    out = []
    for name, t in root.subtables("heat_pipes").items():
        fluid = t.choice("fluid", tuple(FLUIDS))
        do = t.quantity("outer_diameter", "m", minimum=0.0, strict_minimum=True)
        dv = t.quantity("vapour_diameter", "m", minimum=0.0, strict_minimum=True)
        if dv >= do:
            raise t.error("vapour_diameter", t.raw["vapour_diameter"], f"must be smaller than the outer diameter "
                          f"({do * 1e3:g} mm)")
        wall = t.string("wall_material")
        if wall not in materials:
            raise t.error("wall_material", wall, "unknown material; known: " + ", ".join(sorted(materials)))
        wick = _parse_wick(t.sub("wick"), do, dv)
        sections = []
        for st in t.table_list("sections"):
            sections.append(_parse_section(st, panel_by_name))
        if not sections:
            raise t.error("sections", "<missing>", "a heat pipe needs at least one [[heat_pipes.NAME.sections]] "
                          "with panel, layer, role and path")
        pipe = HeatPipe(
            name, fluid, do, dv, wall, wick, tuple(sections),
            t.quantity("saddle_width", "m", do, minimum=0.0, strict_minimum=True),
            t.quantity("saddle_conductance", "W/m^2/K", None, minimum=0.0, strict_minimum=True),
            t.quantity("film_evaporator", "W/m/K", None, minimum=0.0, strict_minimum=True),
            t.quantity("film_condenser", "W/m/K", None, minimum=0.0, strict_minimum=True),
            t.quantity("gravity", "m/s^2", 0.0, minimum=0.0),
            t.quantity("tilt", "rad", 0.0, minimum=-math.pi / 2, maximum=math.pi / 2),
            t.boolean("failed", False), t.path,
            t.quantity("adiabatic_length", "m", 0.0, minimum=0.0))
        lengths = pipe.length_by_role()
        if lengths["evaporator"] <= 0.0 or lengths["condenser"] <= 0.0:
            raise t.error("sections", [s.role for s in sections], "a heat pipe needs an evaporator and a "
                          "condenser section of non-zero length")
        if wick.kind == "grooves" and pipe.r_wick_outer_m >= 0.5 * do:
            raise CaseError(t.file, f"{t.key('wick')}.depth", f"{wick.depth_m * 1e3:g} mm",
                            f"the grooves reach the outer wall: vapour radius {pipe.r_vapour_m * 1e3:g} mm + depth "
                            f"must stay below the outer radius {0.5e3 * do:g} mm")
        if wick.kind in ("screen", "sintered") and pipe.r_wick_outer_m >= 0.5 * do:
            raise CaseError(t.file, f"{t.key('wick')}.thickness", f"{wick.thickness_m * 1e3:g} mm",
                            f"the wick does not fit: vapour radius {pipe.r_vapour_m * 1e3:g} mm + wick thickness "
                            f"must stay below the outer radius {0.5e3 * do:g} mm")
        if pipe.wall_area_m2 <= 0.0:
            raise t.error("wick", "{...}", "the grooves leave no metal: reduce their count, width or depth")
        t.finish()
        out.append(pipe)
    return tuple(out)


def _parse_section(st: Table, panels) -> Section:
    pname = st.string("panel")
    if pname not in panels:
        raise st.error("panel", pname, "unknown panel; defined: " + (", ".join(sorted(panels)) or "none"))
    panel = panels[pname]
    lname = st.string("layer")
    layer_names = [l.name for l in panel.layers]
    if lname not in layer_names:
        raise st.error("layer", lname, "unknown layer of panel '" + pname + "'; defined: " + ", ".join(layer_names))
    role = st.choice("role", ROLES)
    raw = st._get("path", None)
    if not isinstance(raw, list) or len(raw) < 2:
        raise st.error("path", raw, "must be a list of at least two points [[x, y], ...] with units")
    pts = []
    for p in raw:
        if not isinstance(p, list) or len(p) != 2:
            raise st.error("path", p, "each point must be [x, y] with units, e.g. [\"10 mm\", \"0 mm\"]")
        x, y = (st.convert("path", v, "m") for v in p)
        tol = 1e-9 * max(panel.length_x_m, panel.length_y_m)
        if not (-tol <= x <= panel.length_x_m + tol and -tol <= y <= panel.length_y_m + tol):
            raise st.error("path", p, f"the point ({x * 1e3:g}, {y * 1e3:g}) mm lies outside panel '{pname}' "
                           f"[0, {panel.length_x_m * 1e3:g}] x [0, {panel.length_y_m * 1e3:g}] mm")
        pts.append((min(max(x, 0.0), panel.length_x_m), min(max(y, 0.0), panel.length_y_m)))
    for a, b in zip(pts[:-1], pts[1:]):
        if math.dist(a, b) <= 0.0:
            raise st.error("path", raw, "two consecutive points coincide")
    st.finish()
    return Section(pname, lname, role, tuple(pts), st.path)


def _parse_wick(t: Table, do: float, dv: float) -> Wick:
    kind = t.choice("type", WICKS)
    if kind == "grooves":
        n = t.integer("count", minimum=1, maximum=1000)
        w = t.quantity("width", "m", minimum=0.0, strict_minimum=True)
        d = t.quantity("depth", "m", minimum=0.0, strict_minimum=True)
        if n * w >= math.pi * dv:
            raise t.error("count", n, f"{n} grooves of {w * 1e3:g} mm do not fit around the vapour core "
                          f"(circumference {math.pi * dv * 1e3:.3g} mm): lands would have zero width")
        wick = Wick(kind, count=n, width_m=w, depth_m=d)
    elif kind == "screen":
        mesh = t.quantity("mesh", "1/m", minimum=0.0, strict_minimum=True)
        wire = t.quantity("wire_diameter", "m", minimum=0.0, strict_minimum=True)
        thick = t.quantity("thickness", "m", minimum=0.0, strict_minimum=True)
        porosity = 1.0 - SCREEN_CRIMP * math.pi * mesh * wire / 4.0
        if porosity <= 0.05:
            raise t.error("wire_diameter", t.raw["wire_diameter"], f"a {wire * 1e3:g} mm wire at "
                          f"{mesh * 0.0254:g} per inch leaves porosity {porosity:.2f}: wires overlap (need "
                          "mesh x wire_diameter < 0.97 for a porosity above 0.05)")
        if thick < 2.0 * wire:
            raise t.error("thickness", t.raw["thickness"], f"one screen layer is two wire diameters "
                          f"({2e3 * wire:g} mm) thick at least")
        wick = Wick(kind, mesh_per_m=mesh, wire_diameter_m=wire, thickness_m=thick, porosity=porosity)
    elif kind == "sintered":
        dp = t.quantity("particle_diameter", "m", minimum=0.0, strict_minimum=True)
        por = t.number("porosity", minimum=0.0, maximum=1.0, strict_minimum=True)
        if not 0.2 <= por <= 0.8:
            raise t.error("porosity", por, "sintered powder wicks have a porosity between 0.2 and 0.8")
        thick = t.quantity("thickness", "m", minimum=0.0, strict_minimum=True)
        if thick < dp:
            raise t.error("thickness", t.raw["thickness"], f"a sintered wick is at least one particle "
                          f"({dp * 1e3:g} mm) thick")
        wick = Wick(kind, particle_diameter_m=dp, porosity=por, thickness_m=thick)
    else:
        pore = t.quantity("pore_radius", "m", minimum=0.0, strict_minimum=True)
        wick = Wick(kind, pore_radius_m=pore, surface_pore_radius_m=pore,
                    permeability_m2=t.quantity("permeability", "m^2", minimum=0.0, strict_minimum=True),
                    area_m2=t.quantity("area", "m^2", minimum=0.0, strict_minimum=True),
                    thickness_m=t.quantity("thickness", "m", minimum=0.0, strict_minimum=True),
                    k_eff_w_mk=t.quantity("effective_conductivity", "W/m/K", minimum=0.0, strict_minimum=True))
    t.finish()
    return wick


# ---------------------------------------------------------------------------------------------
# Wick properties


def shah_london_f_re(aspect: float) -> float:
    """Fanning f*Re of laminar flow in a rectangular duct of aspect ratio <= 1 (Shah & London 1978)."""
    a = min(aspect, 1.0 / aspect)
    return 24.0 * (1 - 1.3553 * a + 1.9467 * a**2 - 1.7012 * a**3 + 0.9564 * a**4 - 0.2537 * a**5)


@dataclass(frozen=True)
class WickProperties:
    r_eff_m: float  # capillary radius: max pumping 2 sigma / r_eff (perfect wetting)
    permeability_m2: float
    area_m2: float  # liquid flow cross-section
    k_eff_w_mk: float  # radial conductivity of the liquid-filled wick
    surface_pore_m: float  # hydraulic radius of the wick surface pores (entrainment)


def wick_properties(pipe: HeatPipe, k_liquid: float, k_solid: float) -> WickProperties:
    w = pipe.wick
    rv = pipe.r_vapour_m
    if w.kind == "grooves":
        # open rectangular grooves: capillary radius = width (Chi); the free surface is a symmetry
        # plane, so the liquid flows like half of a w x 2*depth duct
        r_h = 2.0 * w.width_m * w.depth_m / (w.width_m + 2.0 * w.depth_m)
        perm = 2.0 * r_h**2 / shah_london_f_re(w.width_m / (2.0 * w.depth_m))
        land = 2.0 * math.pi * rv / w.count - w.width_m
        # Chi's effective conductivity of a grooved evaporator (lands conduct, liquid in the grooves)
        k_eff = ((land * k_liquid * k_solid * w.depth_m + w.width_m * k_liquid * (0.185 * land * k_solid + w.depth_m * k_liquid))
                 / ((w.width_m + land) * (0.185 * land * k_solid + w.depth_m * k_liquid)))
        return WickProperties(w.width_m, perm, w.count * w.width_m * w.depth_m, k_eff, 0.5 * w.width_m)
    if w.kind == "screen":
        eps, d = w.porosity, w.wire_diameter_m
        perm = d**2 * eps**3 / (122.0 * (1.0 - eps) ** 2)  # Marcus' form of Blake-Kozeny for screens
        k_eff = k_liquid * ((k_liquid + k_solid) - (1 - eps) * (k_liquid - k_solid)) / \
            ((k_liquid + k_solid) + (1 - eps) * (k_liquid - k_solid))
        area = math.pi * ((rv + w.thickness_m) ** 2 - rv**2)
        return WickProperties(0.5 / w.mesh_per_m, perm, area, k_eff, 0.5 * (1.0 / w.mesh_per_m - d))
    if w.kind == "sintered":
        eps, dp = w.porosity, w.particle_diameter_m
        perm = dp**2 * eps**3 / (150.0 * (1.0 - eps) ** 2)  # Blake-Kozeny
        ratio = k_liquid / k_solid
        k_eff = k_solid * (2 + ratio - 2 * eps * (1 - ratio)) / (2 + ratio + eps * (1 - ratio))
        area = math.pi * ((rv + w.thickness_m) ** 2 - rv**2)
        return WickProperties(0.21 * dp, perm, area, k_eff, 0.41 * 0.5 * dp)
    return WickProperties(w.pore_radius_m, w.permeability_m2, w.area_m2, w.k_eff_w_mk, w.surface_pore_radius_m)


def film_conductance_w_mk(pipe: HeatPipe, wick: WickProperties, k_wall: float) -> float:
    """Wall-to-vapour conductance per unit length: radial conduction through the wall and the
    liquid-filled wick (the evaporating/condensing film resistance is small beside it)."""
    ro, rw, rv = 0.5 * pipe.outer_diameter_m, pipe.r_wick_outer_m, pipe.r_vapour_m
    r_per_m = math.log(ro / rw) / (2 * math.pi * k_wall) + math.log(rw / rv) / (2 * math.pi * wick.k_eff_w_mk)
    return 1.0 / r_per_m


# ---------------------------------------------------------------------------------------------
# Transport limits


def capillary_limit_w(sigma, rho_l, mu_l, h_fg, r_eff, permeability, area_w, l_eff, *, rho_v=None, mu_v=None,
                      r_v=None, gravity=0.0, tilt_rad=0.0, l_total=0.0, d_v=0.0) -> float:
    """Q at which the capillary head 2 sigma / r_eff equals the liquid + vapour + gravity losses.
    Vapour losses (laminar, incompressible) are left out when r_v is None."""
    head = 2.0 * sigma / r_eff - rho_l * gravity * (l_total * math.sin(tilt_rad) + d_v * math.cos(tilt_rad))
    if head <= 0.0:
        return 0.0
    f_l = mu_l / (permeability * area_w * rho_l * h_fg)
    f_v = 0.0 if r_v is None else 8.0 * mu_v / (math.pi * r_v**4 * rho_v * h_fg)
    return head / (l_eff * (f_l + f_v))


def transport_limits(pipe: HeatPipe, sat: Saturation, k_solid: float) -> dict:
    """The five limits [W] at the vapour state ``sat``."""
    wick = wick_properties(pipe, sat.k_l, k_solid)
    rv = pipe.r_vapour_m
    a_v = math.pi * rv * rv
    l_eff = pipe.effective_length_m
    capillary = capillary_limit_w(sat.sigma_n_m, sat.rho_l, sat.mu_l, sat.h_fg_j_kg, wick.r_eff_m,
                                  wick.permeability_m2, wick.area_m2, l_eff, rho_v=sat.rho_v, mu_v=sat.mu_v, r_v=rv,
                                  gravity=pipe.gravity_m_s2, tilt_rad=pipe.tilt_rad, l_total=pipe.total_length_m,
                                  d_v=pipe.vapour_diameter_m)
    viscous = a_v * rv * rv * sat.h_fg_j_kg * sat.rho_v * sat.p_pa / (16.0 * sat.mu_v * l_eff)  # Busse
    r_specific = 8.314462618 / sat.molar_mass_kg_mol
    sonic = a_v * sat.rho_v * sat.h_fg_j_kg * math.sqrt(sat.gamma_v * r_specific * sat.t_k / (2.0 * (sat.gamma_v + 1.0)))
    entrainment = a_v * sat.h_fg_j_kg * math.sqrt(sat.sigma_n_m * sat.rho_v / (2.0 * wick.surface_pore_m))
    # Chi's boiling limit is for a wick covering the wall; open axial grooves vent nucleated vapour
    # straight into the core, so it does not apply to them (reported as no limit)
    superheat_head = 2.0 * sat.sigma_n_m / NUCLEATION_RADIUS_M - 2.0 * sat.sigma_n_m / wick.r_eff_m
    l_e = pipe.length_by_role()["evaporator"]
    boiling = math.inf
    if pipe.wick.kind != "grooves":
        boiling = (2 * math.pi * l_e * wick.k_eff_w_mk * sat.t_k * superheat_head
                   / (sat.h_fg_j_kg * sat.rho_v * math.log(pipe.r_wick_outer_m / rv)))
    return {"capillary": capillary, "viscous": viscous, "sonic": sonic, "entrainment": entrainment,
            "boiling": boiling}


def pipe_saturation(pipe: HeatPipe, t_vapour_k: float) -> Saturation:
    """The pipe's fluid at its vapour temperature; FluidRangeError (naming the pipe) if it cannot work."""
    return saturation(pipe.fluid, t_vapour_k, where=f"heat pipe '{pipe.name}': ")
