"""Case files: TOML in, frozen dataclasses in SI units out (thermal/model/case.py).

Every read goes through :class:`~thermal.input.table.Table`, which converts units (via :mod:`thermal.input.units`), checks
ranges, rejects unknown keys and raises :class:`~thermal.errors.CaseError` naming the file, the key
path, the value and what is allowed.  Defaults exist only where they are standard and documented
(README "Case file reference"); the run summary echoes them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
import math
import tomllib
from pathlib import Path

import numpy as np

from thermal.constants import DEFAULT_T_SINK_K
from thermal.errors import CaseError
from thermal.input import materials as matlib
from thermal.input.control import check_face_louver, parse_heaters, parse_louvers
from thermal.input.endpoints import parse_endpoint
from thermal.input.heat_pipes import parse_heat_pipes
from thermal.input.loops import parse_loops
from thermal.input.overrides import case_text_with
from thermal.input.radiation import check_radiation, direction, parse_radiation, parse_surfaces, patches, \
    placed_normals, placement
from thermal.input.table import MISSING, Table
from thermal.model.case import (
    SCHEDULE_KINDS,
    SCHEMES,
    Case,
    Contact,

    Face,
    Footprint,
    Layer,
    LumpedNode,
    Orbit,
    Panel,
    PeriodicSettings,
    Schedule,
    SolverSettings,
    TransientSettings,
)
from thermal.physics import orbit as orb

MODES = ("steady", "transient", "periodic")
OPTICS = ("beginning_of_life", "end_of_life")  # which of the coatings' alpha/eps a case uses
LINEAR_SOLVERS = ("auto", "direct", "amg")
FACES = ("top", "bottom")


def load_case(path) -> Case:
    """Read and validate a case file; raise CaseError naming file, key, value and what is allowed."""
    path = Path(path)
    try:
        text = read_text_capped(path, MAX_CASE_BYTES, "utf-8-sig")  # a BOM (Windows editors) is not content
    except FileNotFoundError:
        raise CaseError(str(path), "", None, "file not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CaseError(str(path), "", None, f"cannot read the file ({exc})") from None
    return parse_case(text, str(path))


MAX_CASE_BYTES = 4 * 2**20  # a case file is a page or two; /dev/zero or a result given by mistake is not
MAX_POWER_MAP_BYTES = 4 * 2**20  # 4096 pixels of text


def read_text_capped(path, limit: int, encoding: str = "utf-8") -> str:
    """The file's text, refusing one larger than ``limit`` bytes without reading more than that (an
    endless device such as /dev/zero must not fill the memory)."""
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit // 2**20} MiB: not a case input file")
    return data.decode(encoding)


def parse_case(text: str, file: str = "<string>") -> Case:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(file, "", None, f"not valid TOML: {exc}") from None
    root = Table(raw, file)
    defaults: list[str] = []

    head = root.sub("case")
    name = head.string("name")
    description = head.string("description", "")
    mode = head.choice("mode", MODES, "steady")
    optics = head.choice("optics", OPTICS, "beginning_of_life")
    head.finish()

    env = root.sub("environment", {})
    if env.has("t_sink"):
        t_sink_k = env.quantity("t_sink", "K", minimum=0.0, what="sink temperature")
    else:
        t_sink_k = DEFAULT_T_SINK_K
        defaults.append(f"environment.t_sink = {DEFAULT_T_SINK_K} K (deep space)")
    env.finish()

    materials = matlib.resolve_materials(root.subtables("materials"))
    coatings = matlib.resolve_coatings(root.subtables("coatings"))
    if optics == "end_of_life":  # every coating at its end-of-life alpha and eps (a hot case)
        coatings = {n: replace(c, alpha=c.at_end_of_life()[0], eps=c.at_end_of_life()[1]) for n, c in coatings.items()}

    louvers = parse_louvers(root)
    panels = tuple(_parse_panel(pname, pt, materials, coatings, louvers)
                   for pname, pt in root.subtables("panels").items())
    nodes = tuple(_parse_node(nname, nt) for nname, nt in root.subtables("nodes").items())
    orbit_table = root.sub("orbit", None)
    orbit = parse_orbit(orbit_table, file, defaults) if orbit_table is not None else None
    if orbit is not None:
        panels = tuple(replace(p, faces=placed_normals(p, file, defaults)) if p.placement is not None else p
                       for p in panels)
    _check_faces(panels, orbit, file, defaults)
    surfaces = parse_surfaces(root, coatings, {n.name for n in nodes})
    radiation = parse_radiation(root)
    check_radiation(file, panels, surfaces, radiation, orbit)
    schedules = {name: _parse_schedule(name, st, orbit) for name, st in root.subtables("schedules").items()}
    _check_references(panels, nodes, schedules, file)
    contacts = tuple(_parse_contact(ct, panels, nodes) for ct in root.table_list("contacts"))
    heat_pipes = parse_heat_pipes(root, panels, materials)
    node_names = {n.name for n in nodes}
    for hp in heat_pipes:
        if hp.gas is not None and hp.gas.reservoir_node and hp.gas.reservoir_node not in node_names:
            raise CaseError(file, f"{hp.key}.gas.reservoir_node", hp.gas.reservoir_node,
                            "unknown lumped node; defined: " + (", ".join(sorted(node_names)) or "none"))
    loops = parse_loops(root, panels, nodes, materials)
    heaters = parse_heaters(root, panels, nodes)
    if not panels and not nodes:
        raise CaseError(file, "panels", "<missing>", "a case needs at least one [panels.NAME] or [nodes.NAME]")

    solver = _parse_solver(root.sub("solver", {}), defaults)
    transient = _parse_transient(root.sub("transient", None), mode, file)
    periodic = _parse_periodic(root.sub("periodic", None), mode, orbit, file)
    root.finish()
    return Case(name=name, description=description, mode=mode, file=file, source_text=text,
                t_sink_k=t_sink_k, materials=materials, coatings=coatings, panels=panels, nodes=nodes,
                contacts=contacts, solver=solver, transient=transient, defaults_used=tuple(defaults), orbit=orbit,
                periodic=periodic, schedules=schedules, heat_pipes=heat_pipes, surfaces=surfaces, radiation=radiation,
                loops=loops, heaters=heaters, louvers=louvers, reader=_with_overrides)


def _with_overrides(text: str, overrides: dict, file: str, create: bool) -> Case:
    return parse_case(case_text_with(text, overrides, file, create), file)


def _check_references(panels, nodes, schedules: dict, file: str) -> None:
    """Every footprint's schedule exists; no lumped node shares a panel's name."""
    for p in panels:
        for fp in p.footprints:
            if fp.schedule is not None and fp.schedule not in schedules:
                raise CaseError(file, f"panels.{p.name}.footprints.{fp.name}.schedule", fp.schedule,
                                "unknown schedule; defined: " + (", ".join(sorted(schedules)) or "none"))
    names = [p.name for p in panels] + [n.name for n in nodes]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise CaseError(file, "nodes", sorted(dup)[0], "a lumped node may not share a panel's name")


def _parse_solver(st: Table, defaults: list) -> SolverSettings:
    base = SolverSettings()
    if st.has("initial_temperature"):
        t0 = st.quantity("initial_temperature", "K", minimum=0.0, strict_minimum=True)
    else:
        t0 = base.initial_t_k
        defaults.append("solver.initial_temperature = 293.15 K (Newton's first guess)")
    solver = SolverSettings(
        initial_t_k=t0,
        step_tolerance=st.number("step_tolerance", base.step_tolerance, minimum=0.0, maximum=1e-2, strict_minimum=True),
        residual_tolerance=st.number("residual_tolerance", base.residual_tolerance, minimum=0.0, maximum=1e-2,
                                     strict_minimum=True),
        max_iterations=st.integer("max_iterations", base.max_iterations, minimum=1, maximum=10_000),
        linear_solver=st.choice("linear_solver", LINEAR_SOLVERS, base.linear_solver),
        direct_limit=st.integer("direct_limit", base.direct_limit, minimum=0),
    )
    st.finish()
    return solver


def _parse_transient(tt: Table | None, mode: str, file: str) -> TransientSettings | None:
    if mode != "transient":
        if tt is not None:
            raise CaseError(file, "transient", "{...}", "a [transient] table needs case.mode = 'transient'")
        return None
    if tt is None:
        raise CaseError(file, "transient", "<missing>", "mode 'transient' needs a [transient] table "
                        "with time_step and end_time")
    dt = tt.quantity("time_step", "s", minimum=0.0, strict_minimum=True)
    t_end = tt.quantity("end_time", "s", minimum=0.0, strict_minimum=True)
    if t_end < dt:
        raise tt.error("end_time", tt.raw["end_time"], "must be at least one time_step")
    scheme = tt.choice("scheme", SCHEMES, "fixed")
    output_times = _output_times(tt, t_end)
    if scheme == "fixed":
        for key in ("tolerance", "max_step", "output_interval"):
            if tt.has(key):
                raise tt.error(key, tt.raw[key], "only for an adaptive scheme ('bdf1' or 'bdf2')")
        transient = TransientSettings(dt, t_end, tt.integer("output_every", 1, minimum=1),
                                      output_times_s=output_times)
    else:
        if tt.has("output_every"):
            raise tt.error("output_every", tt.raw["output_every"], "for the 'fixed' scheme; adaptive "
                           "schemes take output_interval")
        transient = TransientSettings(
            dt, t_end, 1, scheme, tt.quantity("tolerance", "K", 0.01, minimum=0.0, strict_minimum=True),
            tt.quantity("max_step", "s", float("inf"), minimum=0.0, strict_minimum=True),
            tt.quantity("output_interval", "s", None, minimum=0.0, strict_minimum=True), output_times)
    tt.finish()
    return transient


def _output_times(tt: Table, t_end: float) -> tuple | None:
    """[transient] output_times: the field is kept (and written) at these times only, besides the
    start and the end -- e.g. ["60 s", "10 min", "1 h"]; the steps are shortened to land on them."""
    if not tt.has("output_times"):
        return None
    raw = tt.raw["output_times"]
    for other in ("output_every", "output_interval"):
        if tt.has(other):
            raise tt.error("output_times", raw, f"either output_times or {other}, not both")
    if not isinstance(raw, list) or not raw:
        raise tt.error("output_times", raw, 'a list of times, e.g. ["60 s", "10 min", "1 h"]')
    times = [tt.convert("output_times", v, "s", minimum=0.0, strict_minimum=True) for v in raw]
    if any(b <= a for a, b in zip(times, times[1:])):
        raise tt.error("output_times", raw, "times must increase")
    if times[-1] > t_end * (1 + 1e-12):
        raise tt.error("output_times", raw, f"every time must be at most end_time ({t_end:g} s)")
    return tuple(times)


def _parse_periodic(pt: Table | None, mode: str, orbit, file: str) -> PeriodicSettings | None:
    if mode != "periodic":
        if pt is not None:
            raise CaseError(file, "periodic", "{...}", "a [periodic] table needs case.mode = 'periodic'")
        return None
    if orbit is None:
        raise CaseError(file, "case.mode", "periodic", "an orbit-periodic solve needs an [orbit] table")
    pt = pt if pt is not None else Table({}, file, "periodic")
    base = PeriodicSettings()
    periodic = PeriodicSettings(
        pt.quantity("tolerance", "K", base.tolerance_k, minimum=0.0, strict_minimum=True),
        pt.choice("method", ("anderson", "march"), base.method),
        pt.integer("max_orbits", base.max_orbits, minimum=1, maximum=10_000),
        pt.quantity("step_tolerance", "K", base.step_tolerance_k, minimum=0.0, strict_minimum=True),
        pt.quantity("max_step", "s", base.max_step_s, minimum=0.0, strict_minimum=True))
    pt.finish()
    return periodic


def _parse_panel(name: str, t: Table, materials: dict, coatings: dict, louvers: dict) -> Panel:
    lx, ly = t.pair("size", "m", minimum=0.0, strict_minimum=True)
    cells = t.value("cells", MISSING)
    if (not isinstance(cells, list) or len(cells) != 2
            or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 1 for c in cells)):
        raise t.error("cells", cells, "must be two whole numbers >= 1: [x_cells, y_cells]")
    grading = t.value("grading", [1.0, 1.0])
    if (not isinstance(grading, list) or len(grading) != 2
            or not all(isinstance(g, (int, float)) and not isinstance(g, bool) and 1.0 <= g <= 2.0 for g in grading)):
        raise t.error("grading", grading, "must be two growth ratios between 1 and 2: [x, y]")
    snap = t.boolean("snap_to_footprints", True)
    surface_nodes = t.boolean("surface_nodes", False)
    footprint_cells = t.integer("footprint_cells", 1, minimum=1, maximum=10_000)

    footprints = _parse_footprints(t, lx, ly)
    layers = _parse_layers(t, materials, {f.name for f in footprints})
    lnames = [l.name for l in layers]
    for fp in footprints:
        if fp.layer is not None and fp.layer not in lnames:
            raise CaseError(t.file, f"{t.key('footprints')}.{fp.name}.layer", fp.layer,
                            "unknown layer; defined: " + ", ".join(lnames))
        if fp.layer is not None:
            lay = layers[lnames.index(fp.layer)]
            if lay.on is not None and fp.name not in lay.on:
                raise CaseError(t.file, f"{t.key('footprints')}.{fp.name}.layer", fp.layer,
                                f"layer '{fp.layer}' does not exist on footprint '{fp.name}'")
    faces = {}
    ftab = t.sub("faces", {})
    for side in FACES:
        st = ftab.sub(side, None)
        if st is None:
            continue
        coat = st.string("coating")
        if coat not in coatings:
            raise st.error("coating", coat, "unknown coating; known: " + ", ".join(sorted(coatings)))
        faces[side] = Face(coat, st.quantity("solar_flux", "W/m^2", 0.0, minimum=0.0),
                           st.quantity("ir_flux", "W/m^2", 0.0, minimum=0.0), direction(st, "normal", None),
                           patches(st), check_face_louver(st, louvers))
        st.finish()
    ftab.finish()
    pt = t.sub("placement", None)
    where = placement(pt) if pt is not None else None
    if pt is not None:
        pt.finish()
    panel = Panel(name, lx, ly, cells[0], cells[1], float(grading[0]), float(grading[1]), snap, surface_nodes,
                  footprint_cells, tuple(layers), tuple(footprints), faces, where)
    t.finish()
    return panel


def _parse_footprints(t: Table, lx: float, ly: float) -> list:
    footprints = []
    for fname, ft in t.subtables("footprints").items():
        cx, cy = ft.pair("center", "m")
        sx, sy = ft.pair("size", "m", minimum=0.0, strict_minimum=True)
        fp = Footprint(fname, cx - sx / 2, cx + sx / 2, cy - sy / 2, cy + sy / 2,
                       ft.quantity("power", "W", 0.0, minimum=0.0), ft.string("layer", None),
                       ft.string("schedule", None),
                       ft.quantity("junction_limit", "K", None, minimum=0.0, strict_minimum=True),
                       _hot_spots(ft, cx, cy, sx, sy) + _power_map(ft, cx, cy, sx, sy))
        tol = 1e-12 * max(lx, ly)
        if fp.x0_m < -tol or fp.x1_m > lx + tol or fp.y0_m < -tol or fp.y1_m > ly + tol:
            raise ft.error("center", ft.raw.get("center"),
                           f"footprint [{fp.x0_m:g}, {fp.x1_m:g}] x [{fp.y0_m:g}, {fp.y1_m:g}] m lies outside "
                           f"the panel [0, {lx:g}] x [0, {ly:g}] m")
        ft.finish()
        footprints.append(fp)
    return footprints


def _parse_layers(t: Table, materials: dict, fp_names: set) -> list:
    layers = []
    layer_tables = t.table_list("layers")
    if not layer_tables:
        raise t.error("layers", "<missing>", "a panel needs at least one [[panels.NAME.layers]] entry")
    for i, lt in enumerate(layer_tables):
        lname = lt.string("name")
        mat = lt.string("material")
        if mat not in materials:
            raise lt.error("material", mat, "unknown material; known: " + ", ".join(sorted(materials)))
        on = lt.value("on", None)
        if on is not None:
            if not isinstance(on, list) or not on or not all(isinstance(o, str) for o in on):
                raise lt.error("on", on, "must be a non-empty list of footprint names")
            for o in on:
                if o not in fp_names:
                    raise lt.error("on", o, "unknown footprint; defined: " + (", ".join(sorted(fp_names)) or "none"))
            on = tuple(on)
        contact = lt.quantity("contact_below", "W/m^2/K", None, minimum=0.0, strict_minimum=True)
        if contact is not None and i == 0:
            raise lt.error("contact_below", lt.raw["contact_below"], "the bottom layer has no layer below it")
        layers.append(Layer(lname, mat, lt.quantity("thickness", "m", minimum=0.0, strict_minimum=True),
                            lt.integer("cells", 1, minimum=1, maximum=1000), on, contact))
        lt.finish()
    lnames = [l.name for l in layers]
    for l in layers:
        if lnames.count(l.name) > 1:
            raise t.error("layers", l.name, "layer names must be unique within a panel")
    if layers[0].on is not None and layers[-1].on is not None and all(l.on is not None for l in layers):
        raise t.error("layers", [l.name for l in layers], "at least one layer must cover the whole panel "
                      "(omit 'on' for it)")
    return layers


def _hot_spots(ft: Table, cx, cy, sx, sy) -> tuple:
    """A power map: rectangles inside the footprint, each taking a fraction of its power; the rest
    is uniform over the whole footprint."""
    spots = []
    for hs in ft.table_list("hot_spots"):
        hx, hy = hs.pair("center", "m")
        wx, wy = hs.pair("size", "m", minimum=0.0, strict_minimum=True)
        frac = hs.fraction("fraction")
        x0, x1, y0, y1 = hx - wx / 2, hx + wx / 2, hy - wy / 2, hy + wy / 2
        tol = 1e-12 * max(sx, sy)
        if x0 < cx - sx / 2 - tol or x1 > cx + sx / 2 + tol or y0 < cy - sy / 2 - tol or y1 > cy + sy / 2 + tol:
            raise hs.error("center", hs.raw.get("center"), "a hot spot must lie inside its footprint")
        hs.finish()
        spots.append((x0, x1, y0, y1, frac))
    if sum(s[4] for s in spots) > 1.0 + 1e-12:
        raise ft.error("hot_spots", [s[4] for s in spots], "the hot spots' fractions add up to more than 1")
    return tuple(spots)


def _power_map(ft: Table, cx, cy, sx, sy) -> tuple:
    """A CSV power map over the footprint: a grid of relative power densities (>= 0), first row at
    the footprint's low-y edge, first column at its low-x edge; each pixel becomes a hot spot
    taking its share of the power (the grid then snaps to the pixel edges)."""
    name = ft.string("power_map", None)
    if name is None:
        return ()
    if ft.raw.get("hot_spots"):
        raise ft.error("power_map", name, "give hot_spots or a power_map, not both")
    base = Path(ft.file).parent if ft.file and not ft.file.startswith("<") else Path.cwd()
    path = (base / name) if not Path(name).is_absolute() else Path(name)
    try:
        rows = [line.strip() for line in read_text_capped(path, MAX_POWER_MAP_BYTES).splitlines()]
    except OSError as exc:
        raise ft.error("power_map", name, f"cannot read the CSV file {path} ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ft.error("power_map", name, f"{path} is not a text (UTF-8) CSV file") from None
    except ValueError as exc:
        raise ft.error("power_map", name, str(exc)) from None
    rows = [r for r in rows if r and not r.startswith("#")]
    try:
        grid = [[float(v) for v in r.replace(";", ",").split(",")] for r in rows]
    except ValueError:
        raise ft.error("power_map", name, "the CSV must hold numbers only (relative power density per pixel; "
                       "lines starting with # are comments)") from None
    if not grid or len({len(r) for r in grid}) != 1:
        raise ft.error("power_map", name, "the CSV must be a rectangular grid (every row the same length)")
    values = np.asarray(grid)
    if not np.all(np.isfinite(values)) or np.any(values < 0) or values.max() <= 0:
        raise ft.error("power_map", name, "pixel values must be finite, >= 0 and not all zero")
    values = values / values.max()  # relative densities: 1e308 pixels would overflow the sum below
    if values.size > 4096:
        raise ft.error("power_map", name, f"{values.shape[0]} x {values.shape[1]} pixels: at most 4096 (each "
                       "pixel edge becomes a grid line); resample the map")
    ny, nx = values.shape
    x0, y0 = cx - sx / 2, cy - sy / 2
    frac = values / values.sum()
    return tuple((x0 + i * sx / nx, x0 + (i + 1) * sx / nx, y0 + j * sy / ny, y0 + (j + 1) * sy / ny, float(frac[j, i]))
                 for j in range(ny) for i in range(nx) if frac[j, i] > 0)


def _parse_date(t: Table):
    """orbit.date as an aware UTC datetime (a TOML date-time, a date, or an ISO string), or None."""
    date = t.value("date", None)
    if date is None:
        return None
    if isinstance(date, str):
        try:
            date = dt.datetime.fromisoformat(date.replace("Z", "+00:00"))
        except ValueError:
            raise t.error("date", date, "must be an ISO date-time such as 2026-06-21T12:00:00Z") from None
    if isinstance(date, dt.date) and not isinstance(date, dt.datetime):
        date = dt.datetime(date.year, date.month, date.day)
    if not isinstance(date, dt.datetime):
        raise t.error("date", date, "must be an ISO date-time such as 2026-06-21T12:00:00Z")
    if date.tzinfo is None:
        date = date.replace(tzinfo=dt.timezone.utc)
    return date


def parse_orbit(t: Table, file: str, defaults: list) -> Orbit:
    alt = t.quantity("altitude", "m", what="circular orbit altitude")
    if alt < orb.MIN_ALTITUDE_M:
        raise t.error("altitude", t.raw["altitude"], f"must be at least {orb.MIN_ALTITUDE_M / 1e3:g} km: lower "
                      "orbits are inside the atmosphere (or the Earth) and decay within days")
    date = _parse_date(t)
    inclination = raan = None
    if t.has("beta"):
        for other in ("inclination", "sun_synchronous", "raan", "ltan"):
            if t.has(other):
                raise t.error(other, t.raw[other], "give either beta, or the orbit's plane "
                              "(inclination or sun_synchronous, raan or ltan, date), not both")
        beta = t.quantity("beta", "rad", minimum=-math.pi / 2 - 1e-12, maximum=math.pi / 2 + 1e-12,
                          what="beta angle, between -90 deg and 90 deg")
    else:
        if date is None:
            raise t.error("date", "<missing>", "an orbit given by its plane needs a date (where the Sun is); "
                          "or give beta instead")
        if t.boolean("sun_synchronous", False):
            if t.has("inclination"):
                raise t.error("inclination", t.raw["inclination"], "sun_synchronous = true computes the inclination")
            inclination = orb.sun_synchronous_inclination_rad(alt)
        else:
            inclination = t.quantity("inclination", "rad", minimum=0.0, maximum=math.pi + 1e-12,
                                     what="between 0 and 180 deg")
        if t.has("ltan") == t.has("raan"):
            raise t.error("raan", t.raw.get("raan", "<missing>"), "give exactly one of raan (angle) and ltan "
                          "(local time of the ascending node, hours, e.g. 18.0)")
        if t.has("ltan"):
            ltan = t.number("ltan", minimum=0.0, maximum=24.0)
            raan = orb.raan_from_ltan_rad(ltan, date)
        else:
            raan = t.quantity("raan", "rad")
        beta = orb.beta_angle_rad(inclination, raan, date)
    shadow = t.choice("shadow", ("conical", "cylindrical"), "conical")
    if t.has("solar_constant"):
        solar = t.quantity("solar_constant", "W/m^2", minimum=0.0, strict_minimum=True)
    else:
        solar = orb.solar_constant_w_m2(date)
        defaults.append(f"orbit.solar_constant = {solar:.1f} W/m2 ({'1/r^2 on the date' if date else 'mean TSI'})")
    if t.has("earth_ir"):
        ir = t.quantity("earth_ir", "W/m^2", minimum=0.0)
    else:
        ir = orb.EARTH_IR_W_M2
        defaults.append(f"orbit.earth_ir = {ir:g} W/m2 (mean outgoing long-wave radiation)")
    if t.has("albedo"):
        albedo = t.fraction("albedo")
    else:
        albedo = orb.ALBEDO
        defaults.append(f"orbit.albedo = {albedo:g} (mean Bond albedo)")
    attitude = t.choice("attitude", orb.ATTITUDES)
    pointing = align = None
    if attitude == "inertial":
        if not t.has("pointing"):
            raise t.error("pointing", "<missing>", "attitude 'inertial' needs the direction body +z is held "
                          f"along: one of {', '.join(orb.INERTIAL_DIRECTIONS)}, or [e1, e2, n] components in the "
                          "orbit frame (e1 to orbit noon, n the orbit normal); optional align for body +x")
        pointing = _direction(t, "pointing")
        align = _direction(t, "align") if t.has("align") else None
        if align is not None:
            s_hat = np.array([math.cos(beta), 0.0, math.sin(beta)])
            z, x = orb.inertial_direction(pointing, s_hat), orb.inertial_direction(align, s_hat)
            if abs(float(z @ x)) > 1.0 - 1e-9:
                raise t.error("align", t.raw["align"], f"must not be parallel to pointing ({t.raw['pointing']}): "
                              "it sets the roll about body +z")
    else:
        for key in ("pointing", "align"):
            if t.has(key):
                raise t.error(key, t.raw[key], f"only for attitude = 'inertial'; '{attitude}' sets every body "
                              "axis itself")
    t.finish()
    return Orbit(alt, beta, attitude, shadow, solar, ir, albedo, inclination, raan, date, pointing, align)


def _direction(t: Table, key: str):
    """A named inertial direction or three orbit-frame components, not all zero."""
    value = t.raw[key]
    if isinstance(value, str):
        if value not in orb.INERTIAL_DIRECTIONS:
            raise t.error(key, value, "must be one of " + ", ".join(f"'{d}'" for d in orb.INERTIAL_DIRECTIONS)
                          + " or [e1, e2, n] components")
        return value
    if (not isinstance(value, list) or len(value) != 3
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
            or not any(value)):
        raise t.error(key, value, "must be a named direction or three numbers [e1, e2, n], not all zero "
                      "(e1 to orbit noon, n the orbit normal)")
    return tuple(float(v) for v in value)


def _check_faces(panels, orbit, file, defaults):
    """With an orbit, every radiating face needs a body-frame normal and takes its fluxes from the
    orbit; without one, normals mean nothing and fluxes are constants."""
    for p in panels:
        for side, face in p.faces.items():
            key = f"panels.{p.name}.faces.{side}"
            if orbit is None and face.normal is not None:
                raise CaseError(file, f"{key}.normal", list(face.normal), "a face normal needs an [orbit] table")
            if orbit is not None and (face.solar_flux_w_m2 or face.ir_flux_w_m2):
                raise CaseError(file, f"{key}.solar_flux", face.solar_flux_w_m2 or face.ir_flux_w_m2,
                                "with an [orbit], fluxes come from the orbit: remove solar_flux/ir_flux")
        if orbit is not None:
            top, bottom = p.faces.get("top"), p.faces.get("bottom")
            if top is not None and top.normal is None:
                raise CaseError(file, f"panels.{p.name}.faces.top.normal", "<missing>",
                                "with an [orbit], a face needs its outward normal in body axes (e.g. \"+y\")")
            if bottom is not None and bottom.normal is None:
                if top is None:
                    raise CaseError(file, f"panels.{p.name}.faces.bottom.normal", "<missing>",
                                    "with an [orbit], a face needs its outward normal in body axes")
                # the constant fluxes do not apply with an orbit; patches and louver are kept
                p.faces["bottom"] = replace(bottom, solar_flux_w_m2=0.0, ir_flux_w_m2=0.0,
                                            normal=tuple(-v for v in top.normal))
                defaults.append(f"panels.{p.name}.faces.bottom.normal = opposite of the top face")


def _parse_schedule(name: str, t: Table, orbit) -> Schedule:
    kind = t.choice("kind", SCHEDULE_KINDS)
    if kind == "eclipse":
        if orbit is None:
            raise t.error("kind", kind, "an eclipse schedule needs an [orbit]")
        sched = Schedule(name, kind, scale=t.number("scale", minimum=0.0))
        t.finish()
        return sched
    times = t.value("time", None)
    values = t.value("scale", None)
    if not isinstance(times, list) or not times:
        raise t.error("time", times if times is not None else "<missing>", "a table schedule needs a list of times")
    if not isinstance(values, list) or len(values) != len(times):
        raise t.error("scale", values if values is not None else "<missing>",
                      f"a list of {len(times)} factors (one per time) is needed")
    ts = [t.convert("time", v, "s", minimum=0.0) for v in times]
    vs = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise t.error("scale", v, "factors must be numbers >= 0")
        vs.append(float(v))
    if any(b <= a for a, b in zip(ts[:-1], ts[1:])):
        raise t.error("time", times, "times must increase")
    if ts[0] != 0.0:
        raise t.error("time", times, "the schedule must start at 0 (it has to say what happens from the start)")
    if orbit is not None:
        period = orb.orbital_period_s(orbit.altitude_m)
        if ts[-1] >= period:
            raise t.error("time", times, f"times are within one orbit (period {period:.1f} s = "
                          f"{period / 60:.2f} min); the schedule repeats every orbit")
    t.finish()
    return Schedule(name, kind, times_s=tuple(ts), values=tuple(vs))


def _parse_node(name: str, t: Table) -> LumpedNode:
    fixed = t.quantity("temperature", "K", None, minimum=0.0, strict_minimum=True)
    cap = t.quantity("capacitance", "J/K", 0.0, minimum=0.0)
    node = LumpedNode(name, cap, t.quantity("power", "W", 0.0), fixed)
    t.finish()
    return node


def _parse_contact(t: Table, panels, nodes) -> Contact:
    between = t.value("between", MISSING)
    if not isinstance(between, list) or len(between) != 2 or not all(isinstance(b, str) for b in between):
        raise t.error("between", between, "must be a list of two endpoints [\"node\", \"panel.region\"]")
    a, b = (parse_endpoint(t, "between", s, panels, nodes) for s in between)
    if a.panel is not None and b.panel is not None:
        raise t.error("between", between, "panel-to-panel contacts are made through a lumped node "
                      "(connect each panel region to the node)")
    if a == b:
        raise t.error("between", between, "the two ends must differ")
    g = t.quantity("conductance", "W/K", None, minimum=0.0, strict_minimum=True)
    h = t.quantity("conductance_per_area", "W/m^2/K", None, minimum=0.0, strict_minimum=True)
    if g is not None and h is not None:
        raise t.error("conductance_per_area", t.raw["conductance_per_area"], "give conductance or "
                      "conductance_per_area, not both")
    if g is None and h is None and a.panel is None and b.panel is None:
        raise t.error("conductance", "<missing>", "a contact between two lumped nodes needs a conductance")
    failed = t.boolean("failed", False)
    t.finish()
    return Contact(a, b, g, h, t.path, failed)
