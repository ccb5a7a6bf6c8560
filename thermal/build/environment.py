"""The thermal environment over time: incident sunlight (+ albedo) and infrared on every face, and
the compute loads that follow a schedule.

Without an ``[orbit]`` the fluxes are the constants of the case's faces.  With one, they follow the
orbit (thermal/physics/orbit.py): ``apply(state, t)`` writes the fluxes and scheduled loads at time t into
a run state (run_state.RunState), which is all the kernels see; the network is never written.  A steady solve of an orbit case uses the orbit average of
the fluxes (the state the orbit-periodic solution oscillates about), and says so in its summary.
"""
from __future__ import annotations

import math

import numpy as np

from thermal.constants import ORBIT_AVERAGE_SAMPLES
from thermal.physics.geometry import hemisphere_directions
from thermal.physics.orbit import OrbitGeometry
from thermal.physics.rays import earth_visibilities, sunlit_fractions

SUNLIT_CACHE_BYTES = 64_000_000  # the patches' sunlit fractions kept per Sun direction, at most


class Environment:
    def __init__(self, case, net):
        self.orbit = case.orbit
        self.face_names = list(net.face_names)
        self.constant_solar = net.face_q_solar_w_m2.copy()
        self.constant_ir = net.face_q_ir_w_m2.copy()
        # before reflections (exchange cases; the same as the above without exchange)
        self.direct_solar = net.face_q_solar_direct_w_m2.copy() if net.radiation is not None else self.constant_solar
        self.direct_ir = net.face_q_ir_direct_w_m2.copy() if net.radiation is not None else self.constant_ir
        self.geometry = None
        self.schedules = case.schedules
        self.loads = list(net.scheduled_loads)
        self.base_q_w = net.q_w  # read-only: the unscaled loads the schedules act on
        if self.orbit is not None:
            o = self.orbit
            self.geometry = OrbitGeometry(o.altitude_m, o.beta_rad, o.solar_constant_w_m2, o.earth_ir_w_m2,
                                          o.albedo, o.shadow)
            self.normals = np.asarray(net.face_normal, float).reshape(-1, 3)
        self.radiation = net.radiation
        self.arrays = net.solar_arrays
        if self.radiation is not None and self.geometry is not None:
            self._earth_dirs = hemisphere_directions(case.radiation.earth_rays)
            self._earth_cache = {}
            self._sunlit_cache = {}
        self.last_visibility = None  # (sunlit, earth-visible) fractions per patch at the last orbit time

    @property
    def period_s(self) -> float | None:
        return self.geometry.period_s if self.geometry is not None else None

    def at(self, t_s: float):
        """(incident solar + albedo per face, incident IR per face, visible fraction of the Sun)."""
        if self.geometry is None:
            return self.constant_solar, self.constant_ir, 1.0
        solar, ir, nu = self.over(np.array([float(t_s)]))
        return solar[0], ir[0], float(nu[0])

    def over(self, ts_s: np.ndarray):
        """``at`` for many orbit times at once: (solar + albedo (nt, n_faces), IR (nt, n_faces), nu (nt,))."""
        solar, ir, nu = self.over_direct(ts_s)
        return self.reflected(solar, ir) + (nu,)

    def reflected(self, solar: np.ndarray, ir: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Incident fluxes from direct ones: what patches reflect falls on the others (solar band with
        alpha, infrared with eps; the network's optics)."""
        if self.radiation is None:
            return solar, ir
        return solar + solar @ self.radiation.reflect_solar.T, ir + ir @ self.radiation.reflect_ir.T

    def over_direct(self, ts_s: np.ndarray):
        """What reaches each face directly (before the patches' reflections), as ``over``."""
        ts_s = np.asarray(ts_s, float)
        if self.geometry is None:
            nt = ts_s.size
            return np.tile(self.direct_solar, (nt, 1)), np.tile(self.direct_ir, (nt, 1)), np.ones(nt)
        if self.normals.size == 0:
            nu = np.array([self.geometry.sun_fraction(t) for t in ts_s])
            return np.zeros((ts_s.size, 0)), np.zeros((ts_s.size, 0)), nu
        o = self.orbit
        if self.radiation is None:
            return self.geometry.face_fluxes_over(ts_s, self.normals, o.attitude, o.pointing, o.align)
        direct, albedo, ir, nu, sun, nadir = self.geometry.flux_parts_over(ts_s, self.normals, o.attitude, o.pointing,
                                                                           o.align)
        solar = np.empty_like(direct)
        for k in range(ts_s.size):
            sunlit, earth = self.visibility(sun[k], nadir[k], float(nu[k]))
            self.last_visibility = (sunlit, earth)
            solar[k] = direct[k] * sunlit + albedo[k] * earth
            ir[k] = ir[k] * earth
        return solar, ir, nu

    def visibility(self, sun_body, nadir_body, nu: float):
        """(share of each patch's sample points in sunlight, share of its rays to the Earth not
        blocked), by ray casting (physics/rays.py); the Earth's part is cached by its direction
        (constant in a nadir attitude)."""
        rad = self.radiation
        verts, count, normals, offset, bounds = rad.blockers
        sunlit = np.ones(rad.count)
        if nu > 0.0:
            # cached by the Sun's direction in body axes, to 1e-12 (an orbit-periodic search comes
            # back to the same orbit times, whose directions differ in the last bits: measured on
            # a periodic run of radiator_with_array, 1504 calls found 926 directions so, 1324
            # bit for bit).  1e-12 rad moves a shadow's edge by picometres, far from any sample
            # point; only a face the Sun grazes (n.s ~ 1e-17, as edge-on radiators are) can read
            # lit for shaded, where its direct flux is ~1e-14 W/m2 either way.  At most
            # SUNLIT_CACHE_BYTES of fractions are kept
            sun_key = tuple(np.round(sun_body, 12))
            cached = self._sunlit_cache.get(sun_key)
            if cached is not None:
                return cached, self._earth_visibility(nadir_body)
            sunlit_fractions(rad.points, rad.normal, np.ascontiguousarray(sun_body, float), verts, count, normals,
                             offset, bounds, sunlit)
            if len(self._sunlit_cache) * rad.count * 8 < SUNLIT_CACHE_BYTES:
                sunlit.flags.writeable = False
                self._sunlit_cache[sun_key] = sunlit
        return sunlit, self._earth_visibility(nadir_body)

    def _earth_visibility(self, nadir_body):
        rad = self.radiation
        verts, count, normals, offset, bounds = rad.blockers
        key = tuple(np.round(nadir_body, 9))
        earth = self._earth_cache.get(key)
        if earth is None:
            earth = np.ones(rad.count)
            earth_visibilities(rad.points, rad.frames, self._earth_dirs, np.ascontiguousarray(nadir_body, float),
                               self.geometry.earth_cone_cos, verts, count, normals, offset, bounds, earth)
            if len(self._earth_cache) < 1024:  # a nadir attitude needs one; an inertial one a row per sample
                self._earth_cache[key] = earth
        return earth

    def _apply_arrays(self, state):
        """The arrays' electrical power leaves them (it feeds the compute, whose heat is its own load)."""
        if self.arrays and self.geometry is not None:
            for a, p in zip(self.arrays, electrical_w(self.arrays, state.face_q_solar_w_m2)):
                state.q_w[a.node] = self.base_q_w[a.node] - p  # the base is 0 with an orbit: no constant flux

    def apply(self, state, t_s: float) -> float:
        """Write the fluxes and loads at time t into the run state; return the visible Sun fraction."""
        direct_solar, direct_ir, nu = self.over_direct(np.array([float(t_s)]))
        self._write_fluxes(state, direct_solar[0], direct_ir[0])
        nu = float(nu[0])
        self._apply_loads(state, lambda sched: self.factor(sched, t_s, nu))
        self._apply_arrays(state)
        return nu

    def _write_fluxes(self, state, direct_solar: np.ndarray, direct_ir: np.ndarray) -> None:
        """The direct fluxes, and the incident ones with the network's reflections, into the run
        state (an assembler whose patch optics follow louvers reflects the direct ones itself)."""
        if self.geometry is None:  # the network's own constants
            solar, ir = self.constant_solar, self.constant_ir
        else:
            solar, ir = (v[0] for v in self.reflected(direct_solar[None, :], direct_ir[None, :]))
        state.face_q_solar_w_m2[:] = solar
        state.face_q_ir_w_m2[:] = ir
        if self.radiation is not None:
            state.face_q_solar_direct_w_m2[:] = direct_solar
            state.face_q_ir_direct_w_m2[:] = direct_ir

    def factor(self, sched, t_s: float, sun_fraction: float) -> float:
        """The schedule's factor at time t (sun_fraction: visible part of the Sun then)."""
        if sched.kind == "eclipse":
            return 1.0 - (1.0 - sched.scale) * (1.0 - sun_fraction)
        t = t_s % self.period_s if self.geometry is not None else t_s
        i = int(np.searchsorted(np.asarray(sched.times_s), t, side="right")) - 1
        return sched.values[max(i, 0)]

    def _apply_loads(self, state, factor_of):
        if not self.loads:
            return
        state.q_w[:] = self.base_q_w
        for name, nodes, base in self.loads:
            state.q_w[nodes] += (factor_of(self.schedules[name]) - 1.0) * base

    def events(self, end_time_s: float) -> list:
        """Times in (0, end_time) where the forcing jumps, for a time stepper to land on: eclipse entry
        and exit (the cylindrical shadow's edges, the middle of the conical penumbra) and the
        switches of table schedules (eclipse-scaled loads switch with the eclipse)."""
        out = []
        window = self.geometry.eclipse_times_s() if self.geometry is not None else None
        if window is not None:
            k = 0
            while k * self.period_s < end_time_s:
                out += [k * self.period_s + edge for edge in window if 0.0 < k * self.period_s + edge < end_time_s]
                k += 1
        for sched in self.schedules.values():
            if sched.kind != "table":
                continue
            if self.geometry is None:
                out += [t for t in sched.times_s if 0 < t < end_time_s]
            else:
                k = 0
                while k * self.period_s < end_time_s:
                    out += [k * self.period_s + t for t in sched.times_s if 0 < k * self.period_s + t < end_time_s]
                    k += 1
        return out

    def orbit_average(self, samples: int = ORBIT_AVERAGE_SAMPLES):
        """Mean incident fluxes over one orbit (midpoint rule; eclipse edges resolved to P/samples)."""
        if self.geometry is None:
            return self.constant_solar, self.constant_ir
        solar, ir, _ = self.over((np.arange(samples) + 0.5) * self.period_s / samples)
        return solar.mean(axis=0), ir.mean(axis=0)

    def apply_orbit_average(self, state, samples: int = ORBIT_AVERAGE_SAMPLES):
        """Orbit-mean fluxes and orbit-mean scheduled loads (a steady solve of a time-varying case),
        written into the run state."""
        if self.geometry is None:
            self._write_fluxes(state, self.direct_solar, self.direct_ir)
        else:  # reflection is linear: the mean of the incident fluxes is the reflected mean
            solar, ir, _ = self.over_direct((np.arange(samples) + 0.5) * self.period_s / samples)
            self._write_fluxes(state, solar.mean(axis=0), ir.mean(axis=0))
        self._apply_arrays(state)  # electrical power is linear in the flux: its mean is the mean flux's
        if self.loads and self.geometry is not None:
            ts = (np.arange(samples) + 0.5) * self.period_s / samples
            nus = [self.geometry.sun_fraction(t) for t in ts]
            self._apply_loads(state, lambda sched: float(np.mean([self.factor(sched, t, nu) for t, nu in zip(ts, nus)])))

    def mean_sun_fraction(self, samples: int = ORBIT_AVERAGE_SAMPLES) -> float:
        """The visible fraction of the Sun averaged over an orbit (same midpoint samples as the fluxes)."""
        period = self.period_s
        return float(sum(self.geometry.sun_fraction((k + 0.5) * period / samples) for k in range(samples)) / samples)

    def describe(self) -> str:
        if self.orbit is None:
            return "constant incident fluxes from the case's faces"
        o = self.orbit
        attitude = o.attitude
        if o.pointing is not None:  # an inertial attitude says where it is held
            attitude += f" (+z along {o.pointing}" + (f", +x towards {o.align})" if o.align is not None else ")")
        return (f"circular orbit {o.altitude_m / 1e3:g} km, beta {math.degrees(o.beta_rad):.2f} deg, attitude "
                f"{attitude}, period {self.period_s / 60:.2f} min, {o.shadow} shadow")


def electrical_w(arrays, solar_w_m2: np.ndarray) -> np.ndarray:
    """Electrical power of each solar array [W] for these incident solar fluxes per face."""
    return np.array([a.efficiency * float(a.front_area_m2 @ solar_w_m2[a.front_faces]) for a in arrays])
