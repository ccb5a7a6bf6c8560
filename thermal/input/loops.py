"""[loops.NAME] tables -> Loop (topology checked here: every manifold fed and drained, the branches
closing into one loop through the pump, the valve's branches leaving its split manifold)."""
from __future__ import annotations

from thermal.errors import CaseError
from thermal.input.heat_pipes import parse_panel_layer, parse_path
from thermal.input.table import Table
from thermal.model.loop import SECTION_KINDS, Accumulator, Branch, Loop, LoopSection, Pump, Valve
from thermal.physics.coolants import COOLANTS
from thermal.physics.two_phase import TWO_PHASE_FLUIDS, saturation_table

DEFAULT_ROUGHNESS_M = 1.5e-6  # drawn aluminium or stainless tubing
MAX_PIECES_ON_NODE = 10_000


def parse_loops(root: Table, panels, nodes, materials) -> tuple[Loop, ...]:
    panel_by_name = {p.name: p for p in panels}
    node_names = {n.name for n in nodes}
    out = []
    for name, t in root.subtables("loops").items():
        acc_t = t.sub("accumulator", None)
        fluid = t.choice("fluid", tuple(TWO_PHASE_FLUIDS) if acc_t is not None else tuple(COOLANTS))
        if acc_t is None and COOLANTS[fluid][2]:
            conc = t.number("concentration", minimum=0.05, maximum=0.6)
        else:
            if t.has("concentration"):
                raise t.error("concentration", t.raw["concentration"], f"only glycol mixtures take a concentration; "
                              f"'{fluid}' is a pure fluid")
            conc = 0.0
        branches = tuple(_parse_branch(bname, bt, panel_by_name, node_names, materials)
                         for bname, bt in t.subtables("branches").items())
        if not branches:
            raise t.error("branches", "<missing>", "a loop needs branches: [loops.NAME.branches.B] with from, to, "
                          "inner_diameter and sections")
        manifolds = _check_topology(t, branches)
        by_name = {b.name: b for b in branches}
        pump = _parse_pump(t.sub("pump"), by_name)
        valve_t = t.sub("valve", None)
        if acc_t is not None and valve_t is not None:
            raise t.error("valve", "<table>", "a two-phase loop (one with an accumulator) is held at its temperature "
                          "by the accumulator's set-point; a bypass valve is only for liquid loops")
        valve = _parse_valve(valve_t, by_name, manifolds) if valve_t is not None else None
        accumulator = _parse_accumulator(acc_t, fluid) if acc_t is not None else None
        t.finish()
        out.append(Loop(name, fluid, conc, branches, manifolds, pump, valve, t.path, accumulator))
    return tuple(out)


def _parse_branch(name, t: Table, panels, node_names, materials) -> Branch:
    source, target = t.string("from"), t.string("to")
    if source == target:
        raise t.error("to", target, "a branch must join two different manifolds")
    di = t.quantity("inner_diameter", "m", minimum=0.0, strict_minimum=True)
    sections = tuple(_parse_section(st, panels, node_names) for st in t.table_list("sections"))
    tubes = any(s.kind == "tube" and s.node is None for s in sections)  # on a node, the node is the wall
    if tubes:
        do = t.quantity("outer_diameter", "m", minimum=0.0, strict_minimum=True)
        if do <= di:
            raise t.error("outer_diameter", t.raw["outer_diameter"], f"must be larger than the inner diameter "
                          f"({di * 1e3:g} mm)")
        wall = t.string("wall_material")
        if wall not in materials:
            raise t.error("wall_material", wall, "unknown material; known: " + ", ".join(sorted(materials)))
    else:
        do, wall = di, None
    roughness = t.quantity("roughness", "m", DEFAULT_ROUGHNESS_M, minimum=0.0)
    if roughness >= 0.1 * di:
        raise t.error("roughness", t.raw.get("roughness"), f"must be below a tenth of the inner diameter "
                      f"({di * 1e3:g} mm): beyond that the friction laws do not apply")
    branch = Branch(
        name, source, target, di, do, wall, roughness,
        t.number("fittings", 0.0, minimum=0.0), t.quantity("extra_length", "m", 0.0, minimum=0.0), sections,
        t.quantity("saddle_width", "m", do, minimum=0.0, strict_minimum=True),
        t.quantity("saddle_conductance", "W/m^2/K", None, minimum=0.0, strict_minimum=True),
        t.quantity("film_coefficient", "W/m^2/K", None, minimum=0.0, strict_minimum=True),
        t.boolean("failed", False), t.path)
    t.finish()
    return branch


def _parse_section(st: Table, panels, node_names) -> LoopSection:
    kind = st.choice("kind", SECTION_KINDS, "tube")
    if st.has("node"):
        node = st.string("node")
        if node not in node_names:
            raise st.error("node", node, "unknown lumped node; defined: " + (", ".join(sorted(node_names)) or "none"))
        length = st.quantity("length", "m", minimum=0.0, strict_minimum=True)
        pieces = st.integer("pieces", 10, minimum=1, maximum=MAX_PIECES_ON_NODE)
        for key in ("panel", "layer", "path"):
            if st.has(key):
                raise st.error(key, st.raw[key], "a section lies either on a lumped node (node, length, pieces) or "
                               "along a path in a panel layer (panel, layer, path), not both")
        st.finish()
        return LoopSection(kind, None, None, (), node, length, pieces, st.path)
    panel, lname = parse_panel_layer(st, panels)
    path = parse_path(st, panel)
    st.finish()
    return LoopSection(kind, panel.name, lname, path, None, 0.0, 0, st.path)


def _check_topology(t: Table, branches) -> tuple[str, ...]:
    """Every manifold has a branch in and a branch out, and the branches form one closed circuit
    (strongly connected): fluid leaving any manifold comes back to it."""
    manifolds = sorted({b.source for b in branches} | {b.target for b in branches})
    for m in manifolds:
        ins = [b.name for b in branches if b.target == m]
        outs = [b.name for b in branches if b.source == m]
        if not ins or not outs:
            what, have = ("no branch leaves it", ins) if not outs else ("no branch enters it", outs)
            raise CaseError(t.file, f"{t.key('branches')}", m, f"flow direction inconsistent at manifold '{m}': "
                            f"{what} (branches touching it: {', '.join(have)}); every manifold needs flow in and out")
    reach = {m: {m} for m in manifolds}
    for _ in manifolds:  # transitive closure of the directed graph (a loop has few manifolds)
        for b in branches:
            for m in manifolds:
                if b.source in reach[m]:
                    reach[m].add(b.target)
    for m in manifolds:
        if reach[m] != set(manifolds):
            missing = sorted(set(manifolds) - reach[m])
            raise CaseError(t.file, t.key("branches"), m, f"the branches do not close into one loop: from manifold "
                            f"'{m}' the flow never reaches {', '.join(repr(x) for x in missing)}")
    return tuple(manifolds)


def _parse_pump(t: Table, branches: dict) -> Pump:
    name = t.string("branch")
    if name not in branches:
        raise t.error("branch", name, "unknown branch; defined: " + ", ".join(sorted(branches)))
    if branches[name].failed:
        raise t.error("branch", name, "the pump's branch cannot be failed")
    given = [k for k in ("mass_flow", "volume_flow", "curve") if t.has(k)]
    if len(given) != 1:
        raise t.error("mass_flow", given or "<missing>", "give exactly one of mass_flow (kg/s), volume_flow "
                      "(L/min, m^3/s) or curve = [[volume flow, pressure rise], ...]")
    mass_flow = volume_flow = None
    curve = ()
    if given[0] == "mass_flow":
        mass_flow = t.quantity("mass_flow", "kg/s", minimum=0.0, strict_minimum=True)
    elif given[0] == "volume_flow":
        volume_flow = t.quantity("volume_flow", "m^3/s", minimum=0.0, strict_minimum=True)
    else:
        raw = t.raw["curve"]
        if not isinstance(raw, list) or len(raw) < 2 or not all(isinstance(p, list) and len(p) == 2 for p in raw):
            raise t.error("curve", raw, "must be a list of at least two points [[volume flow, pressure rise], ...]")
        curve = tuple((t.convert("curve", q, "m^3/s", minimum=0.0), t.convert("curve", dp, "Pa", minimum=0.0))
                      for q, dp in raw)
        flows, rises = [p[0] for p in curve], [p[1] for p in curve]
        if any(b <= a for a, b in zip(flows, flows[1:])) or any(b >= a for a, b in zip(rises, rises[1:])):
            raise t.error("curve", raw, "a pump curve's flows must increase and its pressure rises decrease")
    eff = t.number("efficiency", minimum=0.0, maximum=1.0, strict_minimum=True)
    max_rise = t.quantity("max_pressure_rise", "Pa", None, minimum=0.0, strict_minimum=True)
    if max_rise is not None and curve:
        raise t.error("max_pressure_rise", t.raw["max_pressure_rise"], "a pump curve already says its largest rise")
    t.finish()
    return Pump(name, mass_flow, volume_flow, curve, eff, t.path, max_rise)


def _parse_valve(t: Table, branches: dict, manifolds) -> Valve:
    split = t.string("split")
    if split not in manifolds:
        raise t.error("split", split, "unknown manifold; defined: " + ", ".join(manifolds))
    names = []
    for key in ("radiator_branch", "bypass_branch"):
        name = t.string(key)
        if name not in branches:
            raise t.error(key, name, "unknown branch; defined: " + ", ".join(sorted(branches)))
        if branches[name].source != split:
            raise t.error(key, name, f"must leave the split manifold '{split}' (it leaves "
                          f"'{branches[name].source}')")
        names.append(name)
    if names[0] == names[1]:
        raise t.error("bypass_branch", names[1], "must differ from the radiator branch")
    leaving = sorted(b.name for b in branches.values() if b.source == split)
    if len(leaving) != 2:
        raise t.error("split", split, f"a three-way valve's manifold has exactly two branches leaving it; "
                      f"'{split}' has {', '.join(leaving)}")
    sensor = t.string("sensor")
    if sensor not in manifolds:
        raise t.error("sensor", sensor, "unknown manifold; defined: " + ", ".join(manifolds))
    valve = Valve(split, names[0], names[1], sensor, t.quantity("set_point", "K", minimum=0.0, strict_minimum=True),
                  t.quantity("band", "K", 5.0, minimum=0.0, strict_minimum=True),
                  t.quantity("integral_time", "s", 300.0, minimum=0.0, strict_minimum=True),
                  t.fraction("initial_position", 1.0), t.path)
    t.finish()
    return valve


def _parse_accumulator(t: Table, fluid: str) -> Accumulator:
    t_set = t.quantity("saturation_temperature", "K", minimum=0.0, strict_minimum=True)
    sat = saturation_table(fluid)
    lo, hi = sat.t_freeze_k + 1.0, sat.t_max_k - 3.0
    if not lo <= t_set <= hi:
        raise t.error("saturation_temperature", t.raw["saturation_temperature"], f"a two-phase loop of {fluid} "
                      f"works between its triple point and critical point: {lo - 273.15:.1f} to "
                      f"{hi - 273.15:.1f} degC")
    t.finish()
    return Accumulator(t_set, t.path)
