"""Sizing files: a compute power, its chips, the chip stack, heat pipes, radiator construction and
orbit, read into frozen dataclasses in SI (same rules as case files: units at the edge, unknown
keys are errors, every error names file, key, value and what is allowed)."""
from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from thermal.apps.sizing.margins import NONE, POLICIES, MarginPolicy, parse_margins
from thermal.constants import DEFAULT_T_SINK_K
from thermal.errors import CaseError
from thermal.input import materials as matlib
from thermal.input.case_file import MAX_CASE_BYTES, parse_orbit, read_text_capped
from thermal.input.radiation import AXIS_NAMES, direction, parse_surfaces, patches, position
from thermal.input.heat_pipes import parse_wick
from thermal.input.overrides import dumps, toml_scalar
from thermal.physics.manifolds import LAYOUTS
from thermal.input.table import Table
from thermal.physics.coolants import COOLANTS
from thermal.physics.fluids import FLUIDS

# Design environments (documented defaults, echoed): the solar constant at perihelion/aphelion
# (1361 W/m2 x (1 -/+ 0.0167)^-2), and a hot/cold pair around the 0.30 / 237 W/m2 orbit averages,
# the spread typically used for LEO design (Gilmore, Spacecraft Thermal Control Handbook, ch. 2).
HOT_DEFAULT = {"solar_constant": 1414.0, "albedo": 0.35, "earth_ir": 258.0}
COLD_DEFAULT = {"solar_constant": 1322.0, "albedo": 0.25, "earth_ir": 216.0}


@dataclass(frozen=True)
class Env:
    solar_constant_w_m2: float
    albedo: float
    earth_ir_w_m2: float


@dataclass(frozen=True)
class SizingSpec:
    file: str
    name: str
    description: str
    compute_power_w: float
    chip_power_w: float
    junction_limit_k: float
    junction_margin_k: float
    hot_power_factor: float
    idle_fraction: float
    min_temperature_k: float
    materials: dict  # library + the file's [materials], resolved (case.Material by name)
    orbit: object  # case.Orbit
    hot: Env
    cold: Env
    # radiator
    coating: str
    alpha_bol: float
    eps_bol: float
    alpha_eol: float
    eps_eol: float
    sides: int
    normal: tuple
    facesheet: str
    facesheet_m: float
    core: str
    core_m: float
    pipe_pitch_m: float  # with pitch_range_m set: a placeholder until size() chooses it
    max_length_m: float
    # chip stack
    die_x_m: float
    die_y_m: float
    die_m: float
    tim: str
    tim_m: float
    plate: str
    plate_m: float
    plate_x_m: float
    plate_y_m: float
    # heat pipes
    pipes_per_chip: int
    fluid: str
    outer_diameter_m: float
    vapour_diameter_m: float
    wall_material: str
    wick_text: str  # inline TOML table
    wick: object
    adiabatic_length_m: float
    materials_text: str  # [materials]/[coatings] tables copied into generated cases
    defaults_used: tuple
    pitch_range_m: tuple | None = None  # pipe_pitch = "auto": size() picks the least-mass pitch in here
    neighbourhood: object = None  # Neighbourhood: the wing's surroundings (radiation exchange), or None
    architecture: str = "heat_pipes"  # or "pumped_loop": then ``loop`` holds its design and the pipe
    loop: object = None  # fields above describe its radiator tubes (per chip, diameters, wall, transfer run)
    margins: MarginPolicy = NONE  # apps/sizing/margins.py
    cold_control: bool = False  # also solve the cold case with thermostats, VCHPs, louvers (apps/sizing/control.py)
    tim_contact_w_m2k: float | None = None  # at each face of the TIM (die/TIM, TIM/plate); None = perfect (echoed)
    saddle_w_m2k: float | None = None  # heat pipe to radiator and cold plate bond; None = perfect (echoed)
    input_sha256: str = ""  # of the sizing file's text (traceability)
    compare: object = None  # SizingSpec of the same job with the other architecture ([sizing] compare_with)

    @property
    def chips(self) -> int:
        return math.ceil(self.compute_power_w / self.chip_power_w - 1e-9)

    @property
    def target_k(self) -> float:
        """Hot case: the hottest junction sits here (limit less the junction margin and the policy's
        hot uncertainty)."""
        return self.junction_limit_k - self.junction_margin_k - self.margins.hot_k

    @property
    def cold_floor_k(self) -> float:
        """Cold case: the heaters hold the protected points here (min_temperature plus the policy's
        cold uncertainty)."""
        return self.min_temperature_k + self.margins.cold_k


def _inline(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_inline(v)}" for k, v in value.items()) + " }"
    return toml_scalar(value)


def load_sizing(path) -> SizingSpec:
    path = Path(path)
    file = str(path)
    try:
        text = read_text_capped(path, MAX_CASE_BYTES, "utf-8-sig")  # a BOM (Windows editors) is not content
    except FileNotFoundError:
        raise CaseError(file, "", None, "file not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CaseError(file, "", None, f"cannot read the file ({exc})") from None
    return parse_sizing(text, file)


def is_sizing_text(text: str) -> bool:
    """A sizing file (a [sizing] table) rather than a case file."""
    try:
        return "sizing" in tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False


def parse_sizing(text: str, file: str = "<string>", compare: bool = True) -> SizingSpec:
    """``compare``: also load ``[sizing] compare_with`` (off for that file itself: no chains)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(file, "", None, f"not valid TOML: {exc}") from None

    defaults: list[str] = []
    root = Table(raw, file)
    materials = matlib.resolve_materials(root.subtables("materials"))
    coatings = matlib.resolve_coatings(root.subtables("coatings"))
    extra = {k: raw[k] for k in ("materials", "coatings") if k in raw}
    fields = {"file": file, "materials": materials, "materials_text": dumps(extra) if extra else ""}
    fields.update(_sizing_table(root.sub("sizing")))
    orbit_defaults: list[str] = []  # the orbit's own flux defaults are replaced by the hot/cold design values
    fields["orbit"] = parse_orbit(root.sub("orbit"), file, orbit_defaults)
    defaults += [d for d in orbit_defaults if not d.startswith(("orbit.solar_constant", "orbit.earth_ir",
                                                                 "orbit.albedo"))]
    fields["hot"], fields["cold"] = _design_environments(root.sub("environment", {}), defaults)
    r = root.sub("radiator")
    fields.update(_radiator_table(r, coatings, materials))
    fields.update(_chip_table(root.sub("chip"), materials))
    if root.has("pumped_loop"):
        if root.has("heat_pipes"):
            raise CaseError(file, "pumped_loop", "{...}", "give [heat_pipes] or [pumped_loop], not both: one "
                            "architecture carries the heat from the chips to the radiator")
        fields.update(_pumped_loop_table(root.sub("pumped_loop"), materials))
    else:
        fields.update(_heat_pipes_table(root.sub("heat_pipes"), materials))
    _resolve_pitch(fields, r, file, defaults)
    fields["neighbourhood"] = _neighbourhood_table(root.sub("neighbourhood", None), coatings, fields["normal"], raw)
    if fields.get("tim_contact_w_m2k") is None:
        defaults.append("chip.tim_contact: perfect (no resistance at the die/TIM and TIM/plate faces); give the "
                        "interface conductance you expect (W/m2/K)")
    if spec_is_heat_pipes(fields) and fields.get("saddle_w_m2k") is None:
        defaults.append("heat_pipes.saddle_conductance: perfect bond (the host's half cell only); give the bond's "
                        "conductance (W/m2/K)")
    compare_with = fields.pop("compare_with")
    if compare and compare_with:
        fields["compare"] = _compare_spec(compare_with, file, fields.get("architecture", "heat_pipes"))
    policy = fields.pop("margins_name")
    fields["margins"] = parse_margins(policy, root.sub("margins", None), root)
    if policy == "none":
        defaults.append("sizing.margins = \"none\": only junction_margin (choose smc-s-016, ecss-e-st-31c or custom)")
    root.finish()
    limit, margin, hot = fields["junction_limit_k"], fields["junction_margin_k"], fields["margins"].hot_k
    if limit - margin - hot <= DEFAULT_T_SINK_K:  # the environment only adds heat to deep space's sink
        key, value = ("sizing.margins", policy) if hot else ("sizing.junction_limit", f"{limit:.2f} K")
        raise CaseError(file, key, value, f"with a {margin:g} K junction margin and {hot:g} K of policy margin the "
                        f"target {limit - margin - hot:.2f} K is not above the radiative sink "
                        f"({DEFAULT_T_SINK_K:.1f} K deep space): no radiator can reject heat there")
    floor = fields["min_temperature_k"] + fields["margins"].cold_k
    if fields["margins"].any and floor >= limit - margin - hot:
        raise CaseError(file, "sizing.margins", policy,
                        f"the cold case would hold the cold plates at {floor - 273.15:.1f} degC (min_temperature plus "
                        f"{fields['margins'].cold_k:g} K) but the hot case sizes the junction to "
                        f"{limit - margin - hot - 273.15:.1f} degC: the margins leave no room between them")
    return SizingSpec(defaults_used=tuple(defaults), input_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                      **fields)


@dataclass(frozen=True)
class LoopDesign:
    """``[pumped_loop]``: one coolant loop per module; per chip a bore through its cold plate (a
    serpentine of ``tubes_per_chip`` passes) and ``tubes_per_chip`` parallel tubes under the radiator,
    fed and drained by two headers along the radiator's root; the flow is set so that the coolant
    rises by ``coolant_rise`` across a chip at full power."""

    fluid: str
    concentration: float
    tube_inner_m: float
    channel_m: float
    coolant_rise_k: float
    pump_efficiency: float
    pump_mass_kg: float  # the module's pumps (with redundancy), user data
    accumulator_mass_kg: float
    header_inner_m: float
    bypass_set_point_k: float | None = None  # a three-way valve holding the cold-plate inlet here, or none
    # the headers' connections: "same_end" (supply in and return out at the first unit) or
    # "reverse_return" (the return leaves beyond the last unit: equal path lengths)
    header_layout: str = "same_end"


@dataclass(frozen=True)
class Neighbourhood:
    """The radiator wing in body axes and the surfaces around it (``[neighbourhood]``): the wing is one
    plate of the sized area, ``aspect`` = length along x_axis / width along y_axis, its root edge
    centred on ``root``; the surfaces use the case-file syntax ([neighbourhood.surfaces.NAME])."""

    root_m: tuple
    x_axis: tuple
    y_axis: tuple
    aspect: float
    patches: tuple
    surfaces: tuple  # model.case.Surface
    surfaces_text: str  # the same, as case-file TOML ([surfaces.NAME] tables)
    radiation_text: str  # the [radiation] table


def _neighbourhood_table(t: Table | None, coatings: dict, normal: tuple, raw: dict):
    if t is None:
        return None
    w = t.sub("wing")
    root = position(w, "root")
    x_axis, y_axis = direction(w, "x_axis"), direction(w, "y_axis")
    if abs(sum(a * b for a, b in zip(x_axis, y_axis))) > 1e-6:
        raise w.error("y_axis", w.raw["y_axis"], "must be perpendicular to x_axis")
    n = (x_axis[1] * y_axis[2] - x_axis[2] * y_axis[1], x_axis[2] * y_axis[0] - x_axis[0] * y_axis[2],
         x_axis[0] * y_axis[1] - x_axis[1] * y_axis[0])
    if abs(abs(sum(a * b for a, b in zip(n, normal))) - 1.0) > 1e-6:
        raise w.error("y_axis", w.raw["y_axis"], f"the wing's normal x_axis x y_axis = {[round(v, 6) for v in n]} must "
                      f"be the radiator's normal {list(normal)} (or its opposite)")
    wing = dict(root_m=root, x_axis=x_axis, y_axis=y_axis, aspect=w.number("aspect", 1.0, minimum=0.01, maximum=100.0),
                patches=patches(w))
    w.finish()
    surfaces = parse_surfaces(t, coatings, set())
    if not surfaces:
        raise t.error("surfaces", "<missing>", "a neighbourhood needs at least one [neighbourhood.surfaces.NAME]")
    settings = t.sub("radiation", {})
    settings.integer("blocking_points", 4, minimum=1, maximum=32)
    settings.integer("earth_rays", 64, minimum=8, maximum=4096)
    settings.finish()
    t.finish()
    nb = raw["neighbourhood"]
    return Neighbourhood(surfaces=surfaces, surfaces_text=dumps({"surfaces": nb["surfaces"]}),
                         radiation_text=dumps({"radiation": nb.get("radiation", {})}), **wing)


def _compare_spec(name: str, file: str, architecture: str) -> SizingSpec:
    """The sizing file ``compare_with`` names (relative to this one): the same job with the other
    architecture, for the architecture trade; its own errors name its own file."""
    path = Path(name) if Path(name).is_absolute() else Path(file).parent / name
    try:
        text = read_text_capped(path, MAX_CASE_BYTES, "utf-8-sig")
    except (OSError, UnicodeDecodeError, ValueError):
        raise CaseError(file, "sizing.compare_with", name, f"no readable sizing file at {path} (a path relative "
                        "to this file)") from None
    other = parse_sizing(text, str(path), compare=False)
    if other.architecture == architecture:
        raise CaseError(file, "sizing.compare_with", name, f"is a {architecture} design too: name a sizing file "
                        "with the other architecture ([heat_pipes] or [pumped_loop])")
    return other


def _sizing_table(s: Table) -> dict:
    out = {"name": s.string("name"), "description": s.string("description", "")}
    power = s.quantity("compute_power", "W", minimum=0.0, strict_minimum=True, what="total compute power")
    chip = s.quantity("chip_power", "W", minimum=0.0, strict_minimum=True, what="power of one chip")
    if chip > power:
        raise s.error("chip_power", s.raw["chip_power"], f"larger than compute_power ({power:g} W)")
    out.update(compute_power_w=power, chip_power_w=chip,
               junction_limit_k=s.quantity("junction_limit", "K", minimum=0.0, strict_minimum=True),
               junction_margin_k=s.quantity("junction_margin", "K", 0.0, minimum=0.0),
               hot_power_factor=s.number("hot_power_factor", 1.0, minimum=1.0, maximum=3.0),
               idle_fraction=s.number("idle_fraction", 0.3, minimum=0.0, maximum=1.0),
               min_temperature_k=s.quantity("min_temperature", "K", minimum=0.0, strict_minimum=True),
               margins_name=s.choice("margins", POLICIES, "none"), cold_control=s.boolean("cold_control", False),
               compare_with=s.string("compare_with", ""))
    s.finish()
    return out


def _design_environments(et: Table, defaults: list) -> tuple[Env, Env]:
    envs = []
    for which, dflt in (("hot", HOT_DEFAULT), ("cold", COLD_DEFAULT)):
        t = et.sub(which, {})
        if not t.raw:
            defaults.append(f"environment.{which}: solar constant {dflt['solar_constant']:g} W/m2, albedo "
                            f"{dflt['albedo']:g}, Earth IR {dflt['earth_ir']:g} W/m2")
        envs.append(Env(t.quantity("solar_constant", "W/m^2", dflt["solar_constant"], minimum=0.0),
                        t.fraction("albedo", dflt["albedo"]),
                        t.quantity("earth_ir", "W/m^2", dflt["earth_ir"], minimum=0.0)))
        t.finish()
    et.finish()
    return envs[0], envs[1]


def spec_is_heat_pipes(fields: dict) -> bool:
    return fields.get("architecture", "heat_pipes") == "heat_pipes"


def _known(t: Table, key: str, name: str, known: dict, what: str) -> None:
    if name not in known:
        raise t.error(key, name, f"unknown {what}; known: " + ", ".join(sorted(known)))


def _radiator_table(r: Table, coatings: dict, materials: dict) -> dict:
    coat = r.string("coating")
    _known(r, "coating", coat, coatings, "coating")
    c = coatings[coat]
    alpha_lib, eps_lib = c.at_end_of_life()  # the library's end of life unless the file says otherwise
    alpha_eol = r.fraction("alpha_eol", alpha_lib)
    eps_eol = r.fraction("eps_eol", eps_lib)
    if eps_eol <= 0.0 or c.eps <= 0.0:
        raise r.error("eps_eol" if eps_eol <= 0.0 else "coating", eps_eol if eps_eol <= 0.0 else coat,
                      "a radiator needs an infrared emittance above 0 (it rejects heat only by emission)")
    if alpha_eol < c.alpha or eps_eol > c.eps:
        raise r.error("alpha_eol", [alpha_eol, eps_eol], f"end of life degrades a coating: alpha_eol >= alpha "
                      f"({c.alpha:g}) and eps_eol <= eps ({c.eps:g})")
    sides = r.integer("sides", 2, minimum=1, maximum=2)
    normal = r.value("normal", "+y")
    if normal not in AXIS_NAMES:
        raise r.error("normal", normal, "a body axis: " + ", ".join(AXIS_NAMES))
    face = r.string("facesheet")
    core = r.string("core", "al_honeycomb")
    for key, mat in (("facesheet", face), ("core", core)):
        _known(r, key, mat, materials, "material")
    out = dict(coating=coat, alpha_bol=c.alpha, eps_bol=c.eps, alpha_eol=alpha_eol, eps_eol=eps_eol, sides=sides,
               normal=tuple(AXIS_NAMES[normal]), facesheet=face,
               facesheet_m=r.quantity("facesheet_thickness", "m", minimum=0.0, strict_minimum=True),
               core=core, core_m=r.quantity("core_thickness", "m", 0.0, minimum=0.0))
    auto_pitch = r.raw.get("pipe_pitch") == "auto"
    if auto_pitch:
        r.known.add("pipe_pitch")
        out["pipe_pitch_m"] = None
    else:
        out["pipe_pitch_m"] = r.quantity("pipe_pitch", "m", minimum=0.0, strict_minimum=True)
        if r.has("pipe_pitch_range"):
            raise r.error("pipe_pitch_range", r.raw["pipe_pitch_range"], 'only with pipe_pitch = "auto"')
    out["pitch_range_m"] = (r.pair("pipe_pitch_range", "m", None, minimum=0.0, strict_minimum=True)
                            if auto_pitch else None)
    out["max_length_m"] = r.quantity("max_length", "m", 20.0, minimum=0.0, strict_minimum=True)
    r.finish()
    return out


def _chip_table(ch: Table, materials: dict) -> dict:
    dx, dy = ch.pair("die_size", "m", minimum=0.0, strict_minimum=True)
    die_m = ch.quantity("die_thickness", "m", 0.75e-3, minimum=0.0, strict_minimum=True)
    tim = ch.string("tim", "indium")
    tim_m = ch.quantity("tim_thickness", "m", 0.1e-3, minimum=0.0, strict_minimum=True)
    plate = ch.string("cold_plate", "copper")
    plate_m = ch.quantity("cold_plate_thickness", "m", minimum=0.0, strict_minimum=True)
    px, py = ch.pair("cold_plate_size", "m", minimum=0.0, strict_minimum=True)
    for key, mat in (("tim", tim), ("cold_plate", plate)):
        _known(ch, key, mat, materials, "material")
    if dx > px or dy > py:
        raise ch.error("die_size", ch.raw["die_size"], "the die must fit on its cold plate")
    contact = ch.quantity("tim_contact", "W/m^2/K", None, minimum=0.0, strict_minimum=True)
    ch.finish()
    return dict(die_x_m=dx, die_y_m=dy, die_m=die_m, tim=tim, tim_m=tim_m, plate=plate, plate_m=plate_m,
                plate_x_m=px, plate_y_m=py, tim_contact_w_m2k=contact)


def _heat_pipes_table(hp: Table, materials: dict) -> dict:
    n_p = hp.integer("per_chip", minimum=1, maximum=64)
    fluid = hp.choice("fluid", tuple(FLUIDS))
    do = hp.quantity("outer_diameter", "m", minimum=0.0, strict_minimum=True)
    dv = hp.quantity("vapour_diameter", "m", minimum=0.0, strict_minimum=True)
    if dv >= do:
        raise hp.error("vapour_diameter", hp.raw["vapour_diameter"], "must be smaller than the outer diameter")
    wall = hp.string("wall_material", "al6061")
    _known(hp, "wall_material", wall, materials, "material")
    wick_raw = hp.raw.get("wick")
    out = dict(pipes_per_chip=n_p, fluid=fluid, outer_diameter_m=do, vapour_diameter_m=dv, wall_material=wall,
               wick=parse_wick(hp.sub("wick"), do, dv), wick_text=_inline(wick_raw),
               adiabatic_length_m=hp.quantity("adiabatic_length", "m", 0.3, minimum=0.0),
               saddle_w_m2k=hp.quantity("saddle_conductance", "W/m^2/K", None, minimum=0.0, strict_minimum=True))
    hp.finish()
    return out


def _pumped_loop_table(t: Table, materials: dict) -> dict:
    n = t.integer("tubes_per_chip", minimum=1, maximum=64)
    fluid = t.choice("fluid", tuple(COOLANTS))
    conc = t.number("concentration", minimum=0.05, maximum=0.6) if COOLANTS[fluid][2] else 0.0
    do = t.quantity("tube_outer_diameter", "m", minimum=0.0, strict_minimum=True)
    di = t.quantity("tube_inner_diameter", "m", minimum=0.0, strict_minimum=True)
    if di >= do:
        raise t.error("tube_inner_diameter", t.raw["tube_inner_diameter"], "must be smaller than the outer diameter")
    wall = t.string("wall_material", "al6061")
    _known(t, "wall_material", wall, materials, "material")
    loop = LoopDesign(fluid, conc, di, t.quantity("channel_diameter", "m", 6e-3, minimum=0.0, strict_minimum=True),
                      t.quantity("coolant_rise", "K", minimum=0.0, strict_minimum=True),
                      t.number("pump_efficiency", minimum=0.0, maximum=1.0, strict_minimum=True),
                      t.quantity("pump_mass", "kg", minimum=0.0), t.quantity("accumulator_mass", "kg", minimum=0.0),
                      t.quantity("header_inner_diameter", "m", minimum=0.0, strict_minimum=True),
                      t.quantity("bypass_set_point", "K", None, minimum=0.0, strict_minimum=True),
                      t.choice("header_layout", LAYOUTS, "same_end"))
    out = dict(pipes_per_chip=n, fluid=fluid, outer_diameter_m=do, vapour_diameter_m=di, wall_material=wall,
               wick=None, wick_text="", adiabatic_length_m=t.quantity("transfer_length", "m", 0.3, minimum=0.0),
               architecture="pumped_loop", loop=loop)
    t.finish()
    return out


def _resolve_pitch(fields: dict, r: Table, file: str, defaults: list) -> None:
    """pipe_pitch = "auto": its range (default twice the pipe diameter to 0.5 m) and a placeholder
    pitch until size() chooses; either way the pipes must fit."""
    do, n_p, py = fields["outer_diameter_m"], fields["pipes_per_chip"], fields["plate_y_m"]
    if fields["pipe_pitch_m"] is None:
        pitch_range = fields["pitch_range_m"]
        if pitch_range is None:
            pitch_range = (2.0 * do, 0.5)
            defaults.append(f"radiator.pipe_pitch_range = [{2e3 * do:g} mm, 500 mm] (twice the pipe diameter "
                            "to half a metre)")
        if not do < pitch_range[0] < pitch_range[1]:
            raise CaseError(file, "radiator.pipe_pitch_range", r.raw.get("pipe_pitch_range", pitch_range),
                            f"[low, high] with the pipe diameter ({do * 1e3:g} mm) < low < high")
        fields["pitch_range_m"] = pitch_range
        fields["pipe_pitch_m"] = math.sqrt(pitch_range[0] * pitch_range[1])
    if n_p * fields["pipe_pitch_m"] < do:
        raise CaseError(file, "radiator.pipe_pitch", r.raw["pipe_pitch"], "closer than one pipe diameter")
    if py / n_p < do:
        raise CaseError(file, "heat_pipes.per_chip", n_p, f"{n_p} pipes of {do * 1e3:g} mm do not fit across a "
                        f"{py * 1e3:g} mm cold plate")

