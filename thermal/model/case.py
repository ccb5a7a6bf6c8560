"""The model: frozen dataclasses in SI units that a case file becomes (input/case_file.py reads
them; build/ turns them into a network).  No parsing and no numerics here."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from thermal.constants import DIRECT_LIMIT_NODES


@dataclass(frozen=True, slots=True)
class PropertyTable:
    """A property against temperature: linear between points, constant beyond the ends."""

    t_k: tuple[float, ...]
    value: tuple[float, ...]

    @property
    def is_constant(self) -> bool:
        return len(self.value) == 1 or len(set(self.value)) == 1

    def __call__(self, t_k: float) -> float:
        return float(np.interp(t_k, self.t_k, self.value))


@dataclass(frozen=True, slots=True)
class Material:
    name: str
    rho_kg_m3: float
    k_inplane: PropertyTable
    k_through: PropertyTable
    cp: PropertyTable  # sensible heat capacity
    description: str = ""
    source: str = ""
    latent_heat_j_kg: float = 0.0  # phase-change material: latent heat over melting_k (physics/pcm.py)
    melting_k: tuple | None = None  # (solidus, liquidus)

    @property
    def is_pcm(self) -> bool:
        return self.melting_k is not None


@dataclass(frozen=True, slots=True)
class Coating:
    name: str
    alpha: float  # solar absorptance, 0..1
    eps: float  # infrared hemispherical emittance, 0..1
    description: str = ""
    source: str = ""
    # end of life: what years of UV, particles, atomic oxygen and contamination leave (alpha rises,
    # eps may fall); NaN = not given, the beginning-of-life values stand in (``at_end_of_life``)
    alpha_eol: float = float("nan")
    eps_eol: float = float("nan")
    eol_source: str = ""

    def at_end_of_life(self) -> tuple[float, float]:
        """(alpha, eps) at end of life, the beginning-of-life values where none are given."""
        a = self.alpha if self.alpha_eol != self.alpha_eol else self.alpha_eol  # NaN check without numpy
        e = self.eps if self.eps_eol != self.eps_eol else self.eps_eol
        return a, e


@dataclass(frozen=True, slots=True)
class Layer:
    name: str
    material: str
    thickness_m: float
    z_cells: int
    on: tuple[str, ...] | None  # footprints this layer exists on; None = whole panel
    contact_below_w_m2k: float | None  # interface conductance to the layer below; None = perfect


@dataclass(frozen=True, slots=True)
class Footprint:
    name: str
    x0_m: float
    x1_m: float
    y0_m: float
    y1_m: float
    power_w: float
    layer: str | None  # layer receiving the power; None = topmost layer present on the footprint
    schedule: str | None = None  # name of a [schedules.NAME] scaling the power over time
    junction_limit_k: float | None = None  # reported with the margin to the hottest junction cell
    hot_spots: tuple = ()  # (x0, x1, y0, y1, fraction of the power) rectangles inside the footprint

    @property
    def area_m2(self) -> float:
        return (self.x1_m - self.x0_m) * (self.y1_m - self.y0_m)


@dataclass(frozen=True, slots=True)
class Face:
    coating: str
    solar_flux_w_m2: float  # incident; absorbed with alpha (constant environment only)
    ir_flux_w_m2: float  # incident infrared; absorbed with eps (constant environment only)
    normal: tuple[float, float, float] | None = None  # outward normal in body axes (orbit cases)
    patches: tuple[int, int] = (1, 1)  # radiation patches along the face's x and y (surface exchange)
    louver: str | None = None  # a [louvers.NAME] whose effective eps and alpha replace the coating's


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a rectangle lies in body axes: the corner at its local (0, 0) and its local x and y axes
    (unit, orthogonal).  Its front (a panel's top face) faces x_axis x y_axis."""

    origin_m: tuple[float, float, float]
    x_axis: tuple[float, float, float]
    y_axis: tuple[float, float, float]

    @property
    def normal(self) -> tuple[float, float, float]:
        return tuple(float(v) for v in np.cross(self.x_axis, self.y_axis))

    def point(self, x_m: float, y_m: float) -> np.ndarray:
        """Body-axes position of the local point (x, y)."""
        return np.asarray(self.origin_m) + x_m * np.asarray(self.x_axis) + y_m * np.asarray(self.y_axis)


@dataclass(frozen=True, slots=True)
class Panel:
    name: str
    length_x_m: float
    length_y_m: float
    x_cells: int
    y_cells: int
    x_grading: float
    y_grading: float
    snap_to_footprints: bool
    surface_nodes: bool
    footprint_cells: int
    layers: tuple[Layer, ...]
    footprints: tuple[Footprint, ...]
    faces: dict  # "top"/"bottom" -> Face (absent = adiabatic)
    placement: Placement | None = None  # where the panel lies in body axes (surface exchange)


@dataclass(frozen=True, slots=True)
class LumpedNode:
    name: str
    capacitance_j_k: float
    power_w: float
    fixed_t_k: float | None


@dataclass(frozen=True, slots=True)
class Endpoint:
    node: str | None = None  # a lumped node, or
    panel: str | None = None  # a region of a panel
    region: str | None = None
    footprint: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    a: Endpoint
    b: Endpoint
    conductance_w_k: float | None  # total, shared over the region's area
    conductance_w_m2k: float | None  # per area of the region
    key: str = ""
    failed: bool = False  # a failure case: the contact carries nothing


@dataclass(frozen=True, slots=True)
class SolverSettings:
    initial_t_k: float = 293.15
    step_tolerance: float = 1e-8  # max|dT| <= tol * max|T|
    residual_tolerance: float = 1e-8  # ||R||_2 <= tol * ||heat input||_2
    max_iterations: int = 50
    linear_solver: str = "auto"
    direct_limit: int = DIRECT_LIMIT_NODES  # nodes; "auto" factorises below, AMG-CG above


SCHEMES = ("fixed", "bdf1", "bdf2")


@dataclass(frozen=True, slots=True)
class TransientSettings:
    time_step_s: float  # the step ('fixed'), or the first step (adaptive)
    end_time_s: float
    output_every: int = 1  # 'fixed': every n-th step
    scheme: str = "fixed"  # 'fixed' backward Euler, or adaptive 'bdf1' / 'bdf2'
    tolerance_k: float = 0.01  # adaptive: local error per step (absolute)
    max_step_s: float = float("inf")
    output_interval_s: float | None = None  # adaptive: outputs land on multiples; None = every step
    output_times_s: tuple | None = None  # either scheme: outputs at these times only (the steps land on them)


@dataclass(frozen=True, slots=True)
class Orbit:
    """A circular orbit and the spacecraft's attitude (see thermal/physics/orbit.py for the frames)."""

    altitude_m: float
    beta_rad: float  # given, or computed from inclination, node and date
    attitude: str
    shadow: str = "conical"
    solar_constant_w_m2: float = 1361.0
    earth_ir_w_m2: float = 237.0
    albedo: float = 0.30
    inclination_rad: float | None = None
    raan_rad: float | None = None
    date: object = None  # datetime (UTC) or None
    pointing: object = None  # inertial attitude: body +z, a name in orbit.INERTIAL_DIRECTIONS or (e1, e2, n)
    align: object = None  # inertial attitude: body +x leans this way (same forms); None = orbit noon


SURFACE_KINDS = ("solar_array", "wall", "blocker")
SHAPES = ("rectangle", "disc", "box", "cylinder")


@dataclass(frozen=True, slots=True)
class Surface:
    """A surface that is not a conduction panel (radiation exchange cases).

    * ``solar_array``: a rectangle with its own lumped node (capacitance), radiating from both faces;
      it converts ``efficiency`` of the sunlight incident on its front into electrical power, which
      leaves it (the compute consumes it) and is reported.
    * ``wall``: a rectangle or disc of the bus, radiating from its front (and back, if given) at a
      fixed temperature or at the temperature of a lumped node.
    * ``blocker``: opaque geometry (rectangle, disc, box, cylinder) that casts shadows and hides
      surfaces from each other; it takes part in no heat balance: what is aimed at it is lost as if
      to deep space (black at the sink temperature).
    """

    name: str
    kind: str
    shape: str
    placement: Placement  # corner (rectangle, box) or centre (disc, cylinder base) and axes
    size_m: tuple  # rectangle (x, y); disc (radius,); box (x, y, z); cylinder (radius, length along normal)
    front: Face | None = None
    back: Face | None = None
    node: str | None = None  # wall: the lumped node it belongs to
    t_fixed_k: float | None = None  # wall: held at this temperature
    capacitance_j_k: float = 0.0  # solar array
    efficiency: float = 0.0  # solar array: electrical power / incident sunlight on the front


@dataclass(frozen=True, slots=True)
class RadiationSettings:
    """Surface-to-surface exchange (build/radiation.py)."""

    blocking_points: int = 4  # n x n sample points per patch for ray-cast blocking and shadows
    earth_rays: int = 64  # rays per sample point towards the Earth (its visible part)


SCHEDULE_KINDS = ("eclipse", "table")


@dataclass(frozen=True, slots=True)
class Schedule:
    """A factor on a footprint's power.  'eclipse': ``scale`` in the Earth's shadow, 1 in sunlight
    (running on batteries).  'table': piecewise constant, ``values[i]`` from ``times_s[i]`` on, over
    one orbit (repeating) in orbit cases, else from t = 0 (the last value holds)."""

    name: str
    kind: str
    scale: float = 1.0
    times_s: tuple = ()
    values: tuple = ()


@dataclass(frozen=True, slots=True)
class PeriodicSettings:
    tolerance_k: float = 1e-3  # periodicity: max |T(P) - T(0)|
    method: str = "anderson"  # or "march"
    max_orbits: int = 100
    step_tolerance_k: float = 0.01  # local error of the BDF2 steps inside an orbit
    max_step_s: float = 120.0


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    description: str
    mode: str
    file: str
    source_text: str
    t_sink_k: float
    materials: dict
    coatings: dict
    panels: tuple[Panel, ...]
    nodes: tuple[LumpedNode, ...]
    contacts: tuple[Contact, ...]
    solver: SolverSettings
    transient: TransientSettings | None
    defaults_used: tuple[str, ...] = field(default=())
    orbit: Orbit | None = None
    periodic: PeriodicSettings | None = None
    schedules: dict = field(default_factory=dict)
    heat_pipes: tuple = ()  # model.heat_pipe.HeatPipe
    loops: tuple = ()  # model.loop.Loop: pumped fluid loops
    surfaces: tuple = ()  # Surface: arrays, walls, blockers (radiation exchange)
    radiation: RadiationSettings | None = None  # None: every face sees only space and the Earth
    heaters: tuple = ()  # model.control.Heater
    louvers: dict = field(default_factory=dict)  # name -> model.control.Louver
    # reads a case text with key-path overrides into a Case (set by the reader that built this one:
    # the model does not import the input stage)
    reader: object = field(default=None, repr=False, compare=False)

    def with_overrides(self, overrides: dict, create: bool = False) -> "Case":
        """This case with ``overrides`` applied: ``{"panels.radiator.faces.top.coating": "osr",
        "orbit.beta": "60 deg"}`` (the key paths and values of sweep files; ``create``: allow keys
        the case does not have yet).  A new Case, checked like a case file; this one is unchanged."""
        if self.reader is None:
            raise TypeError("this Case was not built by thermal's case reader; use thermal.parse_case")
        return self.reader(self.source_text, overrides, self.file, create)

    def __repr__(self) -> str:
        return (f"Case({self.name!r}, {self.mode}, {len(self.panels)} panel(s), {len(self.nodes)} node(s), "
                f"{len(self.heat_pipes)} heat pipe(s), {len(self.loops)} loop(s), from {self.file!r})")
