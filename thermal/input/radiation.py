"""Case-file input of surface-to-surface radiation: where panels lie in body axes, the extra surfaces
(solar arrays, bus walls, blockers) and the ``[radiation]`` settings.

    [panels.wing.placement]
    origin = ["0 m", "0.5 m", "0 m"]   # body-axes position of the panel's local (0, 0) corner
    x_axis = "+x"                       # the panel's local x in body axes (a name or [x, y, z])
    y_axis = "+z"                       # its local y; the top face faces x_axis x y_axis

    [surfaces.array]
    kind = "solar_array"                # or "wall", "blocker"
    shape = "rectangle"                 # blockers also "disc", "box", "cylinder"; walls "disc"
    origin = [...], x_axis = ..., y_axis = ..., size = ["4 m", "2 m"]
    front = { coating = "solar_cell", patches = [2, 1] }
    back = { coating = "black_paint" }
    efficiency = 0.30
    capacitance = "40 kJ/K"

    [radiation]                         # turns the exchange on
    blocking_points = 4                 # n x n sample points per patch (blocking, shadows)
    earth_rays = 64                     # rays per point towards the Earth
"""
from __future__ import annotations

from dataclasses import replace

import math

import numpy as np

from thermal.errors import CaseError
from thermal.input.table import MISSING, Table
from thermal.model.case import SHAPES, SURFACE_KINDS, Face, Placement, RadiationSettings, Surface

AXIS_NAMES = {"+x": (1.0, 0.0, 0.0), "-x": (-1.0, 0.0, 0.0), "+y": (0.0, 1.0, 0.0), "-y": (0.0, -1.0, 0.0),
              "+z": (0.0, 0.0, 1.0), "-z": (0.0, 0.0, -1.0)}
MAX_PATCHES = 10_000  # per face: the exchange block is dense in patches
SIZES = {"rectangle": ("size", 2), "disc": ("radius", 1), "box": ("size", 3), "cylinder": ("size", 2)}


def direction(t: Table, name: str, default=MISSING):
    """A unit vector in body axes: an axis name ("+x") or a non-zero [x, y, z]."""
    value = t.value(name, default)
    if value is None:
        return None
    if isinstance(value, str) and value in AXIS_NAMES:
        return AXIS_NAMES[value]
    if (isinstance(value, list) and len(value) == 3
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
            and any(v != 0 for v in value)):
        norm = math.sqrt(sum(v * v for v in value))
        return tuple(float(v) / norm for v in value)
    raise t.error(name, value, "must be a body axis (" + ", ".join(AXIS_NAMES) + ") or a non-zero vector [x, y, z]")


def position(t: Table, name: str) -> tuple:
    value = t.value(name, MISSING)
    if not isinstance(value, list) or len(value) != 3:
        raise t.error(name, value, "must be a list of three lengths [x, y, z] in body axes, e.g. [\"1 m\", 0, 0]")
    return tuple(t.convert(name, v, "m") for v in value)


def placement(t: Table) -> Placement:
    """origin, x_axis, y_axis of a table (keys read from ``t`` itself)."""
    origin = position(t, "origin")
    x_axis = direction(t, "x_axis")
    y_axis = direction(t, "y_axis")
    if abs(float(np.dot(x_axis, y_axis))) > 1e-6:
        raise t.error("y_axis", t.raw["y_axis"], f"must be perpendicular to x_axis {list(x_axis)} (the angle "
                      f"between them is {math.degrees(math.acos(np.clip(np.dot(x_axis, y_axis), -1, 1))):.4g} deg)")
    return Placement(origin, x_axis, y_axis)


def patches(t: Table) -> tuple[int, int]:
    value = t.value("patches", [1, 1])
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_PATCHES for v in value)
            or value[0] * value[1] > MAX_PATCHES):
        raise t.error("patches", value, f"must be two whole numbers >= 1 [along x, along y], at most {MAX_PATCHES} "
                      "patches per face")
    return int(value[0]), int(value[1])


def _face(t: Table, side: str, coatings: dict) -> Face | None:
    st = t.sub(side, None)
    if st is None:
        return None
    coat = st.string("coating")
    if coat not in coatings:
        raise st.error("coating", coat, "unknown coating; known: " + ", ".join(sorted(coatings)))
    face = Face(coat, st.quantity("solar_flux", "W/m^2", 0.0, minimum=0.0),
                st.quantity("ir_flux", "W/m^2", 0.0, minimum=0.0), None, patches(st))
    st.finish()
    return face


def parse_surfaces(root: Table, coatings: dict, node_names: set) -> tuple:
    out = []
    for name, t in root.subtables("surfaces").items():
        kind = t.choice("kind", SURFACE_KINDS)
        shape = t.choice("shape", SHAPES if kind == "blocker" else ("rectangle", "disc") if kind == "wall"
                         else ("rectangle",), "rectangle")
        where = placement(t)
        key, count = SIZES[shape]
        raw = t.value(key, MISSING)
        if count == 1:
            size = (t.convert(key, raw, "m", minimum=0.0, strict_minimum=True),)
        else:
            if not isinstance(raw, list) or len(raw) != count:
                raise t.error(key, raw, f"must be a list of {count} lengths for a {shape}")
            size = tuple(t.convert(key, v, "m", minimum=0.0, strict_minimum=True) for v in raw)
        front = back = None
        node = t_fixed = None
        capacitance = efficiency = 0.0
        if kind != "blocker":
            front = _face(t, "front", coatings)
            back = _face(t, "back", coatings)
            if front is None:
                raise t.error("front", "<missing>", f"a {kind} needs a front face: front = {{ coating = \"...\" }}")
        if kind == "solar_array":
            if back is None:
                raise t.error("back", "<missing>", "a solar array radiates from both faces: back = { coating = ... }")
            efficiency = t.fraction("efficiency")
            capacitance = t.quantity("capacitance", "J/K", minimum=0.0, strict_minimum=True)
        elif kind == "wall":
            node = t.string("node", None)
            t_fixed = t.quantity("temperature", "K", None, minimum=0.0, strict_minimum=True)
            if (node is None) == (t_fixed is None):
                raise t.error("temperature", t.raw.get("temperature", "<missing>"),
                              "a wall needs exactly one of temperature (held fixed) or node (a lumped node's)")
            if node is not None and node not in node_names:
                raise t.error("node", node, "unknown node; defined: " + (", ".join(sorted(node_names)) or "none"))
        t.finish()
        out.append(Surface(name, kind, shape, where, size, front, back, node, t_fixed, capacitance, efficiency))
    return tuple(out)


def parse_radiation(root: Table) -> RadiationSettings | None:
    t = root.sub("radiation", None)
    if t is None:
        return None
    base = RadiationSettings()
    settings = RadiationSettings(t.integer("blocking_points", base.blocking_points, minimum=1, maximum=32),
                                 t.integer("earth_rays", base.earth_rays, minimum=8, maximum=4096))
    t.finish()
    return settings


def check_radiation(file: str, panels, surfaces, radiation, orbit) -> None:
    """Placement, faces and the [radiation] table agree."""
    if radiation is None:
        if surfaces:
            raise CaseError(file, "surfaces", sorted(s.name for s in surfaces)[0],
                            "extra surfaces take part in radiation exchange: add a [radiation] table")
        for p in panels:
            for side, face in p.faces.items():
                if face.patches != (1, 1):
                    raise CaseError(file, f"panels.{p.name}.faces.{side}.patches", list(face.patches),
                                    "patches divide a face for radiation exchange: add a [radiation] table")
        return
    for p in panels:
        if p.faces and p.placement is None:
            raise CaseError(file, f"panels.{p.name}.placement", "<missing>",
                            "with a [radiation] table every panel with a radiating face needs a placement in body "
                            "axes: [panels.NAME.placement] origin, x_axis, y_axis")
        for side, face in p.faces.items():
            px, py = face.patches
            if px > p.x_cells or py > p.y_cells:
                raise CaseError(file, f"panels.{p.name}.faces.{side}.patches", [px, py],
                                f"patches finer than the cells ({p.x_cells} x {p.y_cells}): at most one patch per cell")
    for s in surfaces:
        for side, face in (("front", s.front), ("back", s.back)):
            if face is not None and face.patches != (1, 1) and s.shape != "rectangle":
                raise CaseError(file, f"surfaces.{s.name}.{side}.patches", list(face.patches),
                                "only a rectangle is divided into patches")
            if face is not None and orbit is not None and (face.solar_flux_w_m2 or face.ir_flux_w_m2):
                raise CaseError(file, f"surfaces.{s.name}.{side}.solar_flux", face.solar_flux_w_m2 or face.ir_flux_w_m2,
                                "with an [orbit], fluxes come from the orbit: remove solar_flux/ir_flux")


def placed_normals(p, file: str, defaults: list) -> dict:
    """A placed panel's faces with their normals from the placement (top: x_axis x y_axis)."""
    n = np.asarray(p.placement.normal)
    faces = {}
    for side, face in p.faces.items():
        want = n if side == "top" else -n
        if face.normal is not None and float(np.dot(face.normal, want)) < 1.0 - 1e-9:
            raise CaseError(file, f"panels.{p.name}.faces.{side}.normal", list(face.normal),
                            f"disagrees with the placement, which makes the {side} face's normal "
                            f"{[round(float(v), 6) for v in want]}: remove normal")
        faces[side] = replace(face, normal=tuple(float(v) for v in want))  # patches and louver kept
    return faces
