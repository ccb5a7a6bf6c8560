"""[heaters.NAME] and [louvers.NAME] tables -> model.control.Heater, Louver."""
from __future__ import annotations

import math

from thermal.input.endpoints import parse_endpoint
from thermal.input.table import MISSING, Table
from thermal.model.control import HEATER_CONTROLS, Heater, Louver

MAX_LOUVER_POINTS = 64


def parse_louvers(root: Table) -> dict:
    """``table = [[T, eps, alpha], ...]`` (the vendor's curve, temperatures increasing), or
    ``closed``/``open`` temperatures with ``eps = [closed, open]`` and ``alpha = [closed, open]``."""
    out = {}
    for name, t in root.subtables("louvers").items():
        if t.has("table"):
            for key in ("closed", "open", "eps", "alpha"):
                if t.has(key):
                    raise t.error(key, t.raw[key], "give either table = [[T, eps, alpha], ...] or closed, open, "
                                  "eps and alpha, not both")
            rows = t.value("table", MISSING)
            if not isinstance(rows, list) or not 2 <= len(rows) <= MAX_LOUVER_POINTS or not all(
                    isinstance(r, list) and len(r) == 3 for r in rows):
                raise t.error("table", rows, f"must be 2 to {MAX_LOUVER_POINTS} rows [temperature, eps, alpha] "
                              "from closed to open")
            t_k = tuple(t.convert("table", r[0], "K", minimum=0.0, strict_minimum=True) for r in rows)
            eps = tuple(_fraction(t, "table", r[1]) for r in rows)
            alpha = tuple(_fraction(t, "table", r[2]) for r in rows)
        else:
            closed = t.quantity("closed", "K", minimum=0.0, strict_minimum=True)
            opened = t.quantity("open", "K", minimum=0.0, strict_minimum=True)
            t_k = (closed, opened)
            eps, alpha = (_closed_open(t, key) for key in ("eps", "alpha"))
        if any(b <= a for a, b in zip(t_k, t_k[1:])):
            raise t.error("table" if t.has("table") else "open", t.raw.get("table", t.raw.get("open")),
                          "the louver's temperatures must increase from closed to open (its band is inverted "
                          "or empty)")
        source = t.string("source", "case file")
        t.finish()
        out[name] = Louver(name, t_k, eps, alpha, source)
    return out


def _fraction(t: Table, key: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise t.error(key, value, "emittance and absorptance must be numbers between 0 and 1")
    return float(value)


def _closed_open(t: Table, key: str) -> tuple:
    value = t.value(key, MISSING)
    if not isinstance(value, list) or len(value) != 2:
        raise t.error(key, value, "must be two numbers [closed, open] between 0 and 1")
    return tuple(_fraction(t, key, v) for v in value)


def check_face_louver(t: Table, louvers: dict) -> str | None:
    """The ``louver`` key of a face table: a name defined under [louvers]."""
    if not t.has("louver"):
        return None
    name = t.string("louver")
    if name not in louvers:
        raise t.error("louver", name, "unknown louver; defined: " + (", ".join(sorted(louvers)) or "none (add a "
                      "[louvers.NAME] table)"))
    return name


def parse_heaters(root: Table, panels, nodes) -> tuple:
    out = []
    for name, t in root.subtables("heaters").items():
        target = parse_endpoint(t, "heats", t.value("heats", MISSING), panels, nodes)
        sensor = parse_endpoint(t, "sensor", t.value("sensor", t.raw.get("heats")), panels, nodes)
        power = t.quantity("power", "W", minimum=0.0, strict_minimum=True)
        control = t.choice("control", HEATER_CONTROLS, "thermostat")
        on_k = t.quantity("on_below", "K", minimum=0.0, strict_minimum=True)
        off_k = t.quantity("off_above", "K", minimum=0.0, strict_minimum=True)
        if not off_k > on_k:
            raise t.error("off_above", t.raw["off_above"], f"must be above on_below ({on_k - 273.15:.6g} degC): "
                          "the deadband (thermostat) or the proportional band runs from on_below up to off_above")
        if fixed_node(target, nodes):
            raise t.error("heats", target.node, "a node held at a fixed temperature takes any heat; heat a node "
                          "that has a heat balance")
        t.finish()
        out.append(Heater(name, target, sensor, power, control, on_k, off_k, t.path))
    return tuple(out)


def fixed_node(endpoint, nodes) -> bool:
    return endpoint.node is not None and any(n.name == endpoint.node and n.fixed_t_k is not None
                                             and math.isfinite(n.fixed_t_k) for n in nodes)
