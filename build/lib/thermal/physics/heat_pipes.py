"""Constant-conductance heat pipes: wick models, film conductances, transport limits.

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

from thermal.model.heat_pipe import HeatPipe
from thermal.physics.fluids import Saturation, saturation

G0_M_S2 = 9.80665
NUCLEATION_RADIUS_M = 2.54e-7  # Chi (1976): the usual conservative nucleation site radius
SCREEN_CRIMP = 1.05  # Chi's crimping factor for woven screen
DRY_FRACTION = 1e-6  # the smallest wetted fraction of a dried-out evaporator (its film conductance floor)


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
