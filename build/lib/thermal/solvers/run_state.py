"""What changes during a run, kept apart from the network it runs on.

The network built from a case is immutable (its arrays are read-only).  A run starts from a fresh
:class:`RunState` copied from the network's base values; the environment writes the face fluxes and
the scheduled loads of each instant into it, and the heat-pipe hooks write film resistances and
wetted fractions.  So one network can be solved any number of times, in any mode and order, with
the same answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class PipeState:
    """A heat pipe's state in one run."""

    g_evaporator_w_mk: float  # wet film conductances now in ``RunState.r_link``
    g_condenser_w_mk: float
    wetted: float = 1.0  # wetted fraction of the evaporating wall (< 1: partly dried out)
    evaporating: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # film pieces that dry out

    @property
    def dried(self) -> bool:
        return self.wetted < 1.0


@dataclass
class RunState:
    """Per-run values the kernels read in place of the network's base values."""

    q_w: np.ndarray  # fixed heat load of each node now [W] (schedules scale the network's base)
    r_link: np.ndarray  # contact / film resistance of each CSR entry now [K/W]
    face_q_solar_w_m2: np.ndarray  # incident sunlight (+ albedo) on each face now
    face_q_ir_w_m2: np.ndarray  # incident infrared on each face now
    pipes: dict  # pipe name -> PipeState (live pipes only)

    @classmethod
    def fresh(cls, net) -> "RunState":
        pipes = {pn.pipe.name: PipeState(pn.g_evaporator_w_mk, pn.g_condenser_w_mk, evaporating=pn.role[pn.film] > 0)
                 for pn in net.heat_pipes if pn.vapour >= 0}
        return cls(np.array(net.q_w, float), np.array(net.r_link, float), np.array(net.face_q_solar_w_m2, float),
                   np.array(net.face_q_ir_w_m2, float), pipes)
