"""The thermal environment over time: incident sunlight (+ albedo) and infrared on every face.

Without an ``[orbit]`` the fluxes are the constants of the case's faces.  With one, they follow the
orbit (thermal/orbit.py): ``apply(net, t)`` writes the fluxes at time t into the network's face
arrays, which is all the kernels see.  A steady solve of an orbit case uses the orbit average of
the fluxes (the state the orbit-periodic solution oscillates about), and says so in its summary.
"""
from __future__ import annotations

import math

import numpy as np

from .orbit import OrbitGeometry


class Environment:
    def __init__(self, case, net):
        self.orbit = case.orbit
        self.face_names = list(net.face_names)
        self.constant_solar = net.face_q_solar_w_m2.copy()
        self.constant_ir = net.face_q_ir_w_m2.copy()
        self.geometry = None
        if self.orbit is not None:
            o = self.orbit
            self.geometry = OrbitGeometry(o.altitude_m, o.beta_rad, o.solar_constant_w_m2, o.earth_ir_w_m2,
                                          o.albedo, o.shadow)
            normals = []
            for panel in case.panels:
                for side, face in panel.faces.items():
                    normals.append(face.normal)
            self.normals = np.asarray(normals, float).reshape(-1, 3)

    @property
    def period_s(self) -> float | None:
        return self.geometry.period_s if self.geometry is not None else None

    def at(self, t_s: float):
        """(incident solar + albedo per face, incident IR per face, visible fraction of the Sun)."""
        if self.geometry is None:
            return self.constant_solar, self.constant_ir, 1.0
        if self.normals.size == 0:
            return np.zeros(0), np.zeros(0), self.geometry.sun_fraction(t_s)
        return self.geometry.face_fluxes(t_s, self.normals, self.orbit.attitude)

    def apply(self, net, t_s: float) -> float:
        solar, ir, nu = self.at(t_s)
        net.face_q_solar_w_m2[:] = solar
        net.face_q_ir_w_m2[:] = ir
        return nu

    def orbit_average(self, samples: int = 720):
        """Mean incident fluxes over one orbit (midpoint rule; eclipse edges resolved to P/samples)."""
        if self.geometry is None:
            return self.constant_solar, self.constant_ir
        ts = (np.arange(samples) + 0.5) * self.period_s / samples
        rows = [self.at(t) for t in ts]
        return np.mean([r[0] for r in rows], axis=0), np.mean([r[1] for r in rows], axis=0)

    def apply_orbit_average(self, net):
        solar, ir = self.orbit_average()
        net.face_q_solar_w_m2[:] = solar
        net.face_q_ir_w_m2[:] = ir

    def describe(self) -> str:
        if self.orbit is None:
            return "constant incident fluxes from the case's faces"
        o = self.orbit
        return (f"circular orbit {o.altitude_m / 1e3:g} km, beta {math.degrees(o.beta_rad):.2f} deg, attitude "
                f"{o.attitude}, period {self.period_s / 60:.2f} min, {o.shadow} shadow")
