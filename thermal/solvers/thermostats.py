"""Heaters in a transient: thermostats switched at located instants, and each heater's log.

A thermostat is on at or below ``on_k`` and off at or above ``off_k``.  Its switching function

    g = T_s - off_k (while on),   g = on_k - T_s (while off)

is negative between switches.  When a step ends with g > tol for some thermostat, the sensor
crossed its threshold inside the step: the step is solved again, shorter, with the length found
by the Illinois variant of regula falsi on g(h) (each trial is one implicit step from the same
state), until |g| <= tol; the earliest crossing of all thermostats wins.  The heater switches at
that step's end, and the integrator restarts there at first order, as at an eclipse edge (the
forcing jumps).  So a switch is an event in time, never a toggle between whole steps: no
chattering, and the switching instants converge with the integrator's accuracy.

A thermostat starts on if its sensor is at or below ``on_k``, off otherwise (inside the deadband
the history is not known; off is the state a heater powered up in the band would be in).

``tol`` is ten times what Newton guarantees on T (its step tolerance times the threshold): finer
would chase Newton's own noise.
"""
from __future__ import annotations

import numpy as np

MAX_TRIALS = 60


class HeaterLog:
    """Each heater's energy, on-time and switches in one transient run (and the thermostats'
    state, which it writes into the run state)."""

    def __init__(self, net, state, t0_k: np.ndarray, step_tolerance: float, period_s: float | None = None):
        ht = net.heaters
        self.names = ht.names
        self.power_w = np.asarray(ht.power_w)
        self.thermo = np.nonzero(ht.control == 0)[0]
        self.sensor = ht.sensor[self.thermo]
        self.on_k, self.off_k = ht.on_k[self.thermo], ht.off_k[self.thermo]
        self.state = state
        ts = t0_k[self.sensor]
        state.heater_switched[self.thermo] = (ts <= self.on_k).astype(float)
        self.initial_on = state.heater_switched.copy()
        self.tol_k = 10.0 * step_tolerance * np.maximum(self.off_k, 1.0)
        self.period_s = period_s
        self.energy_j = np.zeros(len(self.names))
        self.orbit_energy_j = []  # per orbit of the run (orbit cases): energy of each heater
        self.on_time_s = np.zeros(len(self.names))
        self.duration_s = 0.0
        self.switch_time_s, self.switch_heater, self.switch_on = [], [], []
        self.located = 0  # steps solved again to land on a switch

    def g(self, t_k: np.ndarray) -> np.ndarray:
        on = self.state.heater_switched[self.thermo] > 0.5
        ts = t_k[self.sensor]
        return np.where(on, ts - self.off_k, self.on_k - ts)

    def locate(self, solve, h: float, t_old: np.ndarray, t_new: np.ndarray):
        """(h, T at its end) of the step to the earliest crossing inside a step of ``h`` from
        ``t_old`` that ended at ``t_new``; ``solve(h')`` solves that step with another length.
        (h, t_new) unchanged when nothing crossed; the last ``solve`` call is always the answer's."""
        if not self.thermo.size:
            return h, t_new, False
        g0 = self.g(t_old)
        moved = False
        while True:
            g1 = self.g(t_new)
            crossed = np.nonzero(g1 > self.tol_k)[0]
            if not crossed.size:
                return h, t_new, moved
            frac = g0[crossed] / np.minimum(g0[crossed] - g1[crossed], -1e-300)
            k = int(crossed[np.argmin(np.abs(frac))])
            h, t_new = self._illinois(solve, k, g0[k], h, g1[k])
            moved = True

    def _illinois(self, solve, k, g_lo, h_hi, g_hi):
        lo, hi = 0.0, h_hi
        side = 0
        best = None
        for _ in range(MAX_TRIALS):
            x = lo + (hi - lo) * g_lo / (g_lo - g_hi)
            x = min(max(x, lo + 1e-3 * (hi - lo)), hi - 1e-3 * (hi - lo)) if hi - lo > 0 else x
            t = solve(x)
            self.located += 1
            gx = float(self.g(t)[k])
            best = (x, t)
            if abs(gx) <= self.tol_k[k] or hi - lo <= 1e-13 * max(h_hi, 1.0):
                break
            if gx > 0.0:
                hi, g_hi = x, gx
                if side == 1:
                    g_lo *= 0.5
                side = 1
            else:
                lo, g_lo = x, gx
                if side == -1:
                    g_hi *= 0.5
                side = -1
        return best

    def accept(self, now_s: float, h: float, t_k: np.ndarray, power_w: np.ndarray) -> bool:
        """Book a step of ``h`` ending at ``now_s`` (``power_w``: each heater's power over it); switch
        every thermostat due at its end.  True if any switched (the forcing jumps: restart)."""
        self.energy_j += power_w * h
        if self.period_s:
            self._book_orbits(now_s - h, now_s, power_w)
        self.on_time_s += (power_w > 0.0) * h
        self.duration_s += h
        due = np.nonzero(self.g(t_k) >= -self.tol_k)[0]
        for k in due:
            h_id = int(self.thermo[k])
            new = 0.0 if self.state.heater_switched[h_id] > 0.5 else 1.0
            self.state.heater_switched[h_id] = new
            self.switch_time_s.append(now_s)
            self.switch_heater.append(h_id)
            self.switch_on.append(bool(new))
        return bool(due.size)

    def _book_orbits(self, t0: float, t1: float, power_w: np.ndarray) -> None:
        """Split a step's energy between the orbits it spans (the power is constant over a step)."""
        k = int(t0 // self.period_s)
        while t0 < t1:
            end = min(t1, (k + 1) * self.period_s)
            while len(self.orbit_energy_j) <= k:
                self.orbit_energy_j.append(np.zeros(len(self.names)))
            self.orbit_energy_j[k] += power_w * (end - t0)
            t0, k = end, k + 1

    _SAVED = ("initial_on", "energy_j", "orbit_energy_j", "on_time_s", "duration_s", "switch_time_s",
              "switch_heater", "switch_on", "located")

    def snapshot(self) -> dict:
        """What a resumed run needs to go on booking (and the thermostats' switches now)."""
        out = {k: _copy(getattr(self, k)) for k in self._SAVED}
        out["switched"] = self.state.heater_switched.copy()
        return out

    def restore(self, tree: dict) -> None:
        for k in self._SAVED:
            setattr(self, k, _copy(tree[k]))
        self.state.heater_switched[:] = tree["switched"]

    def record(self) -> dict:
        return {"names": list(self.names), "power_w": self.power_w, "energy_j": self.energy_j.copy(),
                "on_time_s": self.on_time_s.copy(), "duration_s": self.duration_s,
                "initial_on": self.initial_on, "switch_time_s": np.asarray(self.switch_time_s, float),
                "switch_heater": np.asarray(self.switch_heater, np.int64),
                "switch_on": np.asarray(self.switch_on, bool), "located_steps": self.located,
                "period_s": self.period_s, "orbit_energy_j": np.asarray(self.orbit_energy_j, float)}


def heater_powers(net, state, t_k: np.ndarray) -> np.ndarray:
    """Each heater's power [W] in run state ``state`` at temperatures ``t_k`` (kernels/control.py's law)."""
    ht = net.heaters
    law = np.clip((ht.off_k - t_k[ht.sensor]) / (ht.off_k - ht.on_k), 0.0, 1.0)
    return ht.power_w * np.where(state.heater_switched < 0, law, state.heater_switched)


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
