"""/heaters/<name>/ in the HDF5 result, and the heater lines of the summary.

Per heater: ``power`` (nt,) W at each output step; attributes ``rated_power_w``, ``control``,
``on_k``/``off_k``, ``sensor`` (the node it reads), ``energy_j`` and ``duration_s`` of the run,
``duty`` (energy / (rated power x duration); a steady solve: power / rated power), ``switches``;
datasets ``switch_time`` (s) and ``switch_on`` (1: switched on) of a thermostat in a transient,
and per orbit of an orbit transient ``orbit_energy`` (J) and ``orbit_duty``.
"""
from __future__ import annotations

import numpy as np

from thermal.build.control import CONTROL_CODES
from thermal.solvers.thermostats import heater_powers

CONTROLS = {code: name for name, code in CONTROL_CODES.items()}


class HeaterSeries:
    """Each heater's power at the outputs of a run."""

    def __init__(self, net):
        self.net = net
        self.rows = []

    def add(self, state, t_k) -> None:
        self.rows.append(heater_powers(self.net, state, t_k))

    def snapshot(self) -> dict:
        return {"rows": list(self.rows)}

    def restore(self, tree: dict) -> None:
        self.rows = list(tree["rows"])

    def result(self, log: dict | None, node_name) -> dict:
        """Per heater name a record; ``log``: the transient's HeaterLog.record() (None: steady)."""
        ht = self.net.heaters
        power = np.asarray(self.rows, float).reshape(-1, ht.count)
        out = {}
        for h, name in enumerate(ht.names):
            rec = {"power_w": power[:, h], "rated_w": float(ht.power_w[h]), "control": CONTROLS[int(ht.control[h])],
                   "on_k": float(ht.on_k[h]), "off_k": float(ht.off_k[h]), "sensor": node_name(int(ht.sensor[h])),
                   "steady": log is None}
            if log is None:
                rec.update(energy_j=0.0, duration_s=0.0, duty=float(power[-1, h] / ht.power_w[h]), switches=0,
                           switch_time_s=np.zeros(0), switch_on=np.zeros(0, bool), orbit_energy_j=np.zeros(0))
            else:
                mine = log["switch_heater"] == h
                duration = float(log["duration_s"])
                energy = float(log["energy_j"][h])
                orbit = log["orbit_energy_j"][:, h] if log["orbit_energy_j"].size else np.zeros(0)
                rec.update(energy_j=energy, duration_s=duration,
                           duty=energy / (ht.power_w[h] * duration) if duration > 0 else 0.0,
                           switches=int(mine.sum()), switch_time_s=log["switch_time_s"][mine],
                           switch_on=log["switch_on"][mine], orbit_energy_j=orbit,
                           period_s=log["period_s"] or 0.0)
            out[name] = rec
        return out


def node_label(net, i: int) -> str:
    """A node's name for people: a lumped node's, or PANEL[k, j, i] of a cell (layer, row, column)."""
    hit = np.nonzero(net.lumped_nodes == i)[0]
    if hit.size:
        return str(net.lumped_names[int(hit[0])])
    for panel, index in net.node_index.items():
        where = np.argwhere(index == i)
        if where.size:
            k, j, c = (int(v) for v in where[0])
            return f"{panel}[layer cell {k}, y cell {j}, x cell {c}]"
    return f"node {i}"


def write_heaters(f, heaters: dict) -> None:
    if "heaters" in f:
        del f["heaters"]
    for name, rec in heaters.items():
        g = f.create_group(f"heaters/{name}")
        g.create_dataset("power", data=np.asarray(rec["power_w"], float)).attrs["units"] = "W"
        g.create_dataset("switch_time", data=np.asarray(rec["switch_time_s"], float)).attrs["units"] = "s"
        g.create_dataset("switch_on", data=np.asarray(rec["switch_on"], np.int8))
        orbit = np.asarray(rec["orbit_energy_j"], float)
        g.create_dataset("orbit_energy", data=orbit).attrs["units"] = "J"
        period = rec.get("period_s", 0.0)
        if orbit.size and period:
            g.create_dataset("orbit_duty", data=orbit / (rec["rated_w"] * period)).attrs["units"] = "1"
        for key in ("rated_w", "on_k", "off_k", "energy_j", "duration_s", "duty", "switches"):
            g.attrs[{"rated_w": "rated_power_w"}.get(key, key)] = rec[key]
        g.attrs["control"] = rec["control"]
        g.attrs["sensor"] = rec["sensor"]
        g.attrs["steady"] = bool(rec["steady"])
        g.attrs["period_s"] = float(period or 0.0)


def read_heaters(f, nt: int) -> dict:
    out = {}
    if "heaters" not in f:
        return out
    for name in f["heaters"]:
        g = f[f"heaters/{name}"]
        rec = {"power_w": g["power"][:nt], "switch_time_s": g["switch_time"][:], "switch_on": g["switch_on"][:] > 0,
               "orbit_energy_j": g["orbit_energy"][:], "rated_w": float(g.attrs["rated_power_w"]),
               "control": _s(g.attrs["control"]), "sensor": _s(g.attrs["sensor"]), "steady": bool(g.attrs["steady"]),
               "period_s": float(g.attrs["period_s"])}
        for key in ("on_k", "off_k", "energy_j", "duration_s", "duty"):
            rec[key] = float(g.attrs[key])
        rec["switches"] = int(g.attrs["switches"])
        out[name] = rec
    return out


def summary_lines(heaters: dict) -> list[str]:
    lines = []
    for name, rec in heaters.items():
        band = f"{rec['on_k'] - 273.15:.2f} to {rec['off_k'] - 273.15:.2f} degC on {rec['sensor']}"
        if rec["steady"]:
            how = ("thermostat taken as proportional across its deadband (steady)" if rec["control"] == "thermostat"
                   else "proportional")
            lines.append(f"heater {name} ({how}, {band}): {rec['power_w'][-1]:.4g} W of {rec['rated_w']:.4g} W "
                         f"({100 * rec['duty']:.1f} %)")
            continue
        text = (f"heater {name} ({rec['control']}, {band}): {rec['energy_j'] / 3.6e6:.4g} kWh over "
                f"{rec['duration_s']:.6g} s, mean {rec['energy_j'] / max(rec['duration_s'], 1e-300):.4g} W of "
                f"{rec['rated_w']:.4g} W (duty {100 * rec['duty']:.1f} %)")
        if rec["control"] == "thermostat":
            text += f", {rec['switches']} switches"
        lines.append(text)
        orbit = np.asarray(rec["orbit_energy_j"])
        if orbit.size > 1 and rec.get("period_s"):
            duty = orbit / (rec["rated_w"] * rec["period_s"])
            lines.append("  duty per orbit: " + ", ".join(f"{100 * d:.1f} %" for d in duty))
    return lines


def _s(v):
    return v.decode() if isinstance(v, bytes) else str(v)
