"""[heat_pipes.NAME] tables -> HeatPipe (called from case_file.parse_case and the sizing input;
geometry checks against the panels happen here too)."""
from __future__ import annotations

import math
from dataclasses import replace

from thermal.errors import CaseError
from thermal.input.table import Table
from thermal.model.heat_pipe import ROLES, WICKS, GasLoad, HeatPipe, Section, Wick
from thermal.physics.fluids import FLUIDS, valid_range_k
from thermal.physics.heat_pipes import SCREEN_CRIMP
from thermal.physics.vchp import front, moles_open_at, vapour_pressure_pa


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
        wick = parse_wick(t.sub("wick"), do, dv)
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
        gas_t = t.sub("gas", None)
        if gas_t is not None:
            pipe = replace(pipe, gas=_parse_gas(gas_t, pipe))
        t.finish()
        out.append(pipe)
    return tuple(out)


def _parse_gas(t: Table, pipe: HeatPipe) -> GasLoad:
    """``[heat_pipes.NAME.gas]``: ``reservoir_volume``, ``reservoir_temperature`` and the inventory as
    ``moles`` or ``open_at`` (the vapour temperature at which the front reaches the condenser's far
    end: every mole in the reservoir); ``reservoir_node``: a lumped node the reservoir follows during
    the solve (``reservoir_temperature`` is then the reference ``open_at`` and the checks refer to)."""
    volume = t.quantity("reservoir_volume", "m^3", minimum=0.0, strict_minimum=True)
    t_res = t.quantity("reservoir_temperature", "K", minimum=0.0, strict_minimum=True)
    lo, hi = valid_range_k(pipe.fluid)
    if t.has("moles") == t.has("open_at"):
        raise t.error("moles", t.raw.get("moles", "<missing>"), "give the gas inventory as moles or as open_at (the "
                      "vapour temperature at which the whole condenser is open), one of them")
    if t.has("moles"):
        moles = t.quantity("moles", "mol", minimum=0.0, strict_minimum=True)
    else:
        t_open = t.quantity("open_at", "K", minimum=lo, strict_minimum=True, maximum=hi - 1.5)
        if t_open <= t_res:
            raise t.error("open_at", t.raw["open_at"], f"must be above the reservoir temperature "
                          f"({t_res - 273.15:.6g} degC): below it the gas would never leave the reservoir")
        moles = moles_open_at(vapour_pressure_pa(pipe.fluid, t_open), vapour_pressure_pa(pipe.fluid, t_res), t_res,
                              volume)
    node = t.string("reservoir_node", "")
    gas = GasLoad(moles, volume, t_res, node)
    probe = replace(pipe, gas=gas)
    condenser = pipe.length_by_role()["condenser"]
    # hottest working vapour, gas at the reservoir's temperature: if even then it fills the
    # condenser, the pipe never opens
    if front(probe, hi - 2.0, t_res) >= condenser:
        raise t.error("moles" if t.has("moles") else "open_at", t.raw.get("moles", t.raw.get("open_at")),
                      f"this much gas blocks the whole condenser ({condenser:g} m) at every vapour temperature "
                      f"{pipe.fluid} can have: the pipe would never conduct; less gas or a larger reservoir")
    t.finish()
    return gas


def _parse_section(st: Table, panels) -> Section:
    panel, lname = parse_panel_layer(st, panels)
    role = st.choice("role", ROLES)
    pts = parse_path(st, panel)
    st.finish()
    return Section(panel.name, lname, role, tuple(pts), st.path)


def parse_panel_layer(st: Table, panels: dict):
    """(panel, layer name) of a table's ``panel`` and ``layer`` keys, both checked."""
    pname = st.string("panel")
    if pname not in panels:
        raise st.error("panel", pname, "unknown panel; defined: " + (", ".join(sorted(panels)) or "none"))
    panel = panels[pname]
    lname = st.string("layer")
    layer_names = [l.name for l in panel.layers]
    if lname not in layer_names:
        raise st.error("layer", lname, "unknown layer of panel '" + pname + "'; defined: " + ", ".join(layer_names))
    return panel, lname


def parse_path(st: Table, panel) -> tuple:
    """``path`` of a table: a polyline of at least two distinct points inside the panel [m]."""
    raw = st.value("path", None)
    if not isinstance(raw, list) or len(raw) < 2:
        raise st.error("path", raw, "must be a list of at least two points [[x, y], ...] with units")
    pts = []
    for p in raw:
        if not isinstance(p, list) or len(p) != 2:
            raise st.error("path", p, "each point must be [x, y] with units, e.g. [\"10 mm\", \"0 mm\"]")
        x, y = (st.convert("path", v, "m") for v in p)
        tol = 1e-9 * max(panel.length_x_m, panel.length_y_m)
        if not (-tol <= x <= panel.length_x_m + tol and -tol <= y <= panel.length_y_m + tol):
            raise st.error("path", p, f"the point ({x * 1e3:g}, {y * 1e3:g}) mm lies outside panel '{panel.name}' "
                           f"[0, {panel.length_x_m * 1e3:g}] x [0, {panel.length_y_m * 1e3:g}] mm")
        pts.append((min(max(x, 0.0), panel.length_x_m), min(max(y, 0.0), panel.length_y_m)))
    for a, b in zip(pts[:-1], pts[1:]):
        if math.dist(a, b) <= 0.0:
            raise st.error("path", raw, "two consecutive points coincide")
    return tuple(pts)


def parse_wick(t: Table, do: float, dv: float) -> Wick:
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
