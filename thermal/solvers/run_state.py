"""What changes during a run, kept apart from the network it runs on.

The network built from a case is immutable (its arrays are read-only).  A run starts from a fresh
:class:`RunState` copied from the network's base values; the environment writes the face fluxes and
the scheduled loads of each instant into it, and the heat-pipe hooks write film resistances and
wetted fractions.  So one network can be solved any number of times, in any mode and order, with
the same answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np


@dataclass
class PipeState:
    """A heat pipe's state in one run."""

    g_evaporator_w_mk: float  # wet film conductances now in ``RunState.r_link``
    g_condenser_w_mk: float
    wetted: float = 1.0  # wetted fraction of the evaporating wall (< 1: partly dried out)
    evaporating: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # film pieces that dry out
    blocked_m: float = 0.0  # gas-loaded pipe: condenser length the non-condensable gas blocks
    active: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per film piece: share not gas-blocked

    @property
    def dried(self) -> bool:
        return self.wetted < 1.0


@dataclass
class LoopState:
    """A pumped loop's state in one run (solvers/loops.py writes it)."""

    mass_flow_kg_s: np.ndarray  # per branch, in the loop's branch order
    valve_position: float = 1.0  # fraction of the split manifold's outflow sent to the radiator
    valve_integral: float = 1.0  # the controller's integral term (transients)
    cp_j_kgk: float = 0.0  # the loop's heat capacity per kg, at its mean fluid temperature
    pump_head_pa: float = 0.0
    pump_power_w: float = 0.0
    valve_dp_pa: float = 0.0  # throttling the valve adds on the bypass (< 0: on the radiator side)
    branch_dp_pa: np.ndarray = field(default_factory=lambda: np.zeros(0))
    hydraulic_iterations: int = 0
    updated_at_k: np.ndarray = field(default_factory=lambda: np.zeros(0))  # fluid T the coefficients are for
    # two-phase loops: absolute pressure at each fluid node and manifold that the saturation maps in
    # use are at, the pressures the last hydraulic solve found (the next update's), and the heat each
    # piece took from its wall at the last update (flow boiling's film depends on the heat flux)
    pressure_pa: np.ndarray = field(default_factory=lambda: np.zeros(0))
    manifold_pressure_pa: np.ndarray = field(default_factory=lambda: np.zeros(0))
    next_pressure_pa: np.ndarray = field(default_factory=lambda: np.zeros(0))
    homotopy: float = 0.0  # the steady solver's path: two-phase T rises at this x the liquid's slope (0: T_sat)
    piece_heat_w: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass
class RunState:
    """Per-run values the kernels read in place of the network's base values."""

    q_w: np.ndarray  # fixed heat load of each node now [W] (schedules scale the network's base)
    r_link: np.ndarray  # contact / film resistance of each CSR entry now [K/W]
    face_q_solar_w_m2: np.ndarray  # incident sunlight (+ albedo) on each face now
    face_q_ir_w_m2: np.ndarray  # incident infrared on each face now
    pipes: dict  # pipe name -> PipeState (live pipes only)
    adv_c_w_k: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per advection term: wall-to-fluid
    adv_m_w_k: np.ndarray = field(default_factory=lambda: np.zeros(0))  # m_dot cp carried
    adv_stagnant: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    loops: dict = field(default_factory=dict)  # loop name -> LoopState
    # per heater: < 0 acts on its law (proportional; any heater in a steady solve), else a
    # thermostat's state in a transient (1 on, 0 off), switched by solvers/thermostats.py
    heater_switched: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # per advection term of a two-phase loop: 1, and the saturation map of its reference node
    # (kernels/advection.py); 0 for single-phase loops (the fluid nodes hold temperatures)
    adv_phase: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    adv_sat: np.ndarray = field(default_factory=lambda: np.zeros((0, 7)))
    # mass of each node [kg] now: the network's, except a two-phase loop's fluid nodes, whose volume
    # holds the homogeneous mixture's density at their quality (solvers/two_phase.py)
    rho_v_kg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # what arrives at each face before the patches' reflections (= the incident fluxes without
    # radiation exchange); louvers under exchange reflect it at their optics of the moment
    face_q_solar_direct_w_m2: np.ndarray = field(default_factory=lambda: np.zeros(0))
    face_q_ir_direct_w_m2: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def fresh(cls, net) -> "RunState":
        pipes = {pn.pipe.name: PipeState(pn.g_evaporator_w_mk, pn.g_condenser_w_mk, evaporating=pn.role[pn.film] > 0,
                                         active=np.ones(pn.film.size))
                 for pn in net.heat_pipes if pn.vapour >= 0}
        n_terms = net.advection.count
        loops = {ln.loop.name: LoopState(np.zeros(len(ln.branches)), branch_dp_pa=np.zeros(len(ln.branches)),
                                         valve_position=ln.loop.valve.initial_position
                                         if ln.loop.valve else 1.0,
                                         valve_integral=ln.loop.valve.initial_position if ln.loop.valve else 1.0)
                 for ln in net.loops}
        # only heat pipes' films change resistances during a run: without them the network's
        # read-only array serves (40 MB of a 1024^2 plate not copied)
        r_link = np.array(net.r_link, float) if pipes else net.r_link
        # likewise the masses: only a two-phase loop's fluid nodes change theirs
        rho_v_kg = np.array(net.rho_v_kg, float) if net.loops else net.rho_v_kg
        return cls(np.array(net.q_w, float), r_link, np.array(net.face_q_solar_w_m2, float),
                   np.array(net.face_q_ir_w_m2, float), pipes, np.zeros(n_terms), np.zeros(n_terms),
                   np.zeros(n_terms, np.uint8), loops, np.full(net.heaters.count, -1.0),
                   np.zeros(n_terms, np.uint8), np.zeros((n_terms, 7)), rho_v_kg,
                   np.array(net.face_q_solar_direct_w_m2, float), np.array(net.face_q_ir_direct_w_m2, float))

    def snapshot(self) -> dict:
        """Everything in the run state as plain values (a checkpoint: output/checkpoint.py)."""
        out = {f.name: np.array(getattr(self, f.name)) for f in fields(self) if f.name not in ("pipes", "loops")}
        out["pipes"] = {name: _plain(ps) for name, ps in self.pipes.items()}
        out["loops"] = {name: _plain(ls) for name, ls in self.loops.items()}
        return out

    def restore(self, tree: dict) -> None:
        """Put a ``snapshot`` back, in place (the assembler and the hooks hold these arrays and objects)."""
        for f in fields(self):
            if f.name in ("pipes", "loops"):
                continue
            mine = getattr(self, f.name)
            value = np.asarray(tree[f.name])
            if value.shape != mine.shape:
                raise ValueError(f"run state {f.name}: {value.shape} against {mine.shape}")
            if not mine.flags.writeable:  # shared with the network (fresh): nothing may have changed it
                if not np.array_equal(value, mine):
                    raise ValueError(f"run state {f.name}: the saved values differ from the network's")
                continue
            mine[...] = value
        for held, saved in ((self.pipes, tree["pipes"]), (self.loops, tree["loops"])):
            if set(held) != set(saved):
                raise ValueError(f"run state: {sorted(saved)} against {sorted(held)}")
            for name, values in saved.items():
                for key, value in values.items():
                    setattr(held[name], key, np.array(value) if isinstance(value, np.ndarray) else value)


def _plain(obj) -> dict:
    """A pipe's or loop's state as a dict of copies."""
    return {f.name: (np.array(v) if isinstance(v := getattr(obj, f.name), np.ndarray) else v) for f in fields(obj)}
