"""A pumped fluid loop (single-phase liquid, or two-phase with an accumulator) as the case describes it (frozen, SI).

Topology: named manifolds joined by branches; each branch flows from one manifold to another along
ordered sections (a tube bonded under a saddle or a channel in a cold plate, on a path in a panel
layer; or a length on a lumped node: a box's cold plate).  One branch carries the pump; an optional
three-way bypass valve splits the flow leaving one manifold between a radiator branch and a bypass
branch to hold a sensor manifold at a set-point.  Physics in physics/channel_flow.py and
solvers/loops.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

SECTION_KINDS = ("tube", "channel")


@dataclass(frozen=True, slots=True)
class LoopSection:
    kind: str  # tube: a tube with its own wall, bonded under a saddle; channel: a bore in the host layer
    panel: str | None  # None: on a lumped node
    layer: str | None
    path_m: tuple  # ((x, y), ...) in the panel's plane; () on a lumped node
    node: str | None  # lumped node the section is bonded to
    node_length_m: float  # its length on the lumped node
    node_pieces: int
    key: str

    @property
    def length_m(self) -> float:
        if self.node is not None:
            return self.node_length_m
        return sum(math.dist(a, b) for a, b in zip(self.path_m[:-1], self.path_m[1:]))


@dataclass(frozen=True, slots=True)
class Branch:
    name: str
    source: str  # manifold the branch leaves
    target: str  # manifold it enters
    inner_diameter_m: float
    outer_diameter_m: float  # tubes: the tube's outer diameter (wall mass, saddle); channels: = inner
    wall_material: str | None
    roughness_m: float
    fittings_k: float  # sum of the loss coefficients of bends, tees and fittings
    extra_length_m: float  # unheated tubing outside the sections (manifold runs, flex lines)
    sections: tuple[LoopSection, ...]
    saddle_width_m: float
    saddle_w_m2k: float | None  # bond per saddle area; None: the host cell alone
    film_w_m2k: float | None  # override of the correlations (closed-form checks, test data)
    failed: bool  # blocked (a leak isolated): no flow
    key: str

    @property
    def heated_length_m(self) -> float:
        return sum(s.length_m for s in self.sections)

    @property
    def flow_area_m2(self) -> float:
        return 0.25 * math.pi * self.inner_diameter_m ** 2


@dataclass(frozen=True, slots=True)
class Pump:
    branch: str
    mass_flow_kg_s: float | None  # a flow-controlled pump, by mass
    volume_flow_m3_s: float | None  # or by volume (at the density of the pump's outlet)
    curve: tuple  # ((volume flow m^3/s, pressure rise Pa), ...) of a fixed-speed pump
    efficiency: float  # hydraulic power / electrical power; all the electrical power heats the fluid
    key: str
    max_rise_pa: float | None = None  # a flow-set pump's largest pressure rise (None: unlimited)


@dataclass(frozen=True, slots=True)
class Valve:
    """A three-way bypass valve.  Position = fraction of the split manifold's outflow sent to the
    radiator branch.  Steady: the position that holds the sensor at the set-point (integral action's
    steady state).  Transient: proportional-integral, evaluated once per step from the sensor at the
    step's start: x = clamp(x_I + (T - T_set)/band), x_I += h (T - T_set)/(band * integral_time),
    x_I kept in [0, 1] (no wind-up); continuous in T, so it cannot chatter."""

    split: str
    radiator_branch: str
    bypass_branch: str
    sensor: str  # manifold whose mixed temperature is held
    set_point_k: float
    band_k: float
    integral_time_s: float
    initial_position: float
    key: str


@dataclass(frozen=True, slots=True)
class Accumulator:
    """A two-phase accumulator (a heated/cooled reservoir of liquid and vapour) at the pump's suction
    manifold: it holds the loop's pressure there at the saturation pressure of its set-point, so the
    evaporators boil near that temperature whatever the load; it takes up the liquid the vapour
    displaces.  Its presence makes the loop two-phase (solvers/loops.py, physics/two_phase.py)."""

    saturation_temperature_k: float
    key: str


@dataclass(frozen=True, slots=True)
class Loop:
    name: str
    fluid: str
    concentration: float  # mass fraction of a glycol mixture; 0 for the others
    branches: tuple[Branch, ...]
    manifolds: tuple[str, ...]
    pump: Pump
    valve: Valve | None
    key: str
    accumulator: Accumulator | None = None  # set: a mechanically pumped two-phase loop

    @property
    def two_phase(self) -> bool:
        return self.accumulator is not None

    def branch(self, name: str) -> Branch:
        return next(b for b in self.branches if b.name == name)
