"""A constant-conductance heat pipe as the case describes it: sections along panel paths, the wick,
the fluid and its bonds (frozen, SI).  Its physics is in thermal/physics/heat_pipes.py."""
from __future__ import annotations

import math
from dataclasses import dataclass

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
class GasLoad:
    """Non-condensable gas of a variable-conductance pipe (physics/vchp.py): its inventory and the
    reservoir it gathers in at the condenser's far end."""

    moles: float
    reservoir_m3: float
    reservoir_t_k: float  # the reservoir's own temperature (held: cold-biased to space or heated)
    # a lumped node whose temperature the reservoir follows during the solve ("" = held at
    # reservoir_t_k, which then is only the reference the inventory's open_at refers to)
    reservoir_node: str = ""


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
    gas: GasLoad | None = None  # a variable-conductance pipe (gas-loaded); None = constant conductance

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
